// SPDX-License-Identifier: MIT
#include "api/watch_hub.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "common/logging.hpp"
#include "common/strings.hpp"

namespace chipmunk::api {
namespace {

std::string randomBoot() {
  std::random_device rd;
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    uint32_t v = rd();
    for (int j = 0; j < 4; ++j, v >>= 8) {
      bytes += static_cast<char>(v & 255);
    }
  }
  return hexOf(bytes);
}

class WatchedStore final : public Store {
 public:
  WatchedStore(std::shared_ptr<Store> inner, std::shared_ptr<WatchHub> hub)
      : inner_(std::move(inner)), hub_(std::move(hub)) {}

  UpdateResult update(const std::string& name, const RecordUpdate& update, int64_t now) override {
    UpdateResult r = inner_->update(name, update, now);
    if (r.outcome == SetOutcome::kSaved) {  // not a last_seen-only refresh
      hub_->touched(name);
    }
    return r;
  }
  // Changes nothing the watch sees (the last-seen time only).
  bool updateIfUnchanged(const std::string& name, const RecordUpdate& update,
                         int64_t now) override {
    return inner_->updateIfUnchanged(name, update, now);
  }
  bool answersUnchanged() const override { return inner_->answersUnchanged(); }
  std::optional<HostRecord> get(const std::string& name) override { return inner_->get(name); }
  std::vector<HostRecord> list() override { return inner_->list(); }
  std::vector<HostRecord> listAfter(const std::string& after, size_t limit) override {
    return inner_->listAfter(after, limit);
  }
  bool put(const HostRecord& record) override {
    const bool ok = inner_->put(record);
    if (ok) {
      hub_->touched(record.name);
    }
    return ok;
  }
  std::vector<HostRecord> expireDue(int64_t now) override {
    auto expired = inner_->expireDue(now);
    for (const auto& r : expired) {
      hub_->touched(r.name);
    }
    return expired;
  }
  void flush() override { inner_->flush(); }

 private:
  std::shared_ptr<Store> inner_;
  std::shared_ptr<WatchHub> hub_;
};

}  // namespace

std::shared_ptr<Store> watchedStore(std::shared_ptr<Store> inner, std::shared_ptr<WatchHub> hub) {
  return std::make_shared<WatchedStore>(std::move(inner), std::move(hub));
}

WatchHub::WatchHub() : boot_(randomBoot()) {
  thread_ = std::thread([this] { run(); });
}

WatchHub::~WatchHub() {
  stop();
}

void WatchHub::setLimits(size_t total, size_t perUser) {
  std::lock_guard<std::mutex> lock(mutex_);
  maxTotal_ = total;
  maxPerUser_ = perUser;
}

void WatchHub::touched(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  stamps_[name] = ++counter_;
  wakeForChange();
}

void WatchHub::touchedAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  epoch_ = ++counter_;
  wakeForChange();
}

// With no watch held the hub's thread is not woken (a context switch per change, for
// nothing): a watch held later is checked against the stamps when it comes (pass: fresh).
void WatchHub::wakeForChange() {
  if (total_ > 0) {
    dirty_ = true;
    cv_.notify_all();
  }
}

std::string WatchHub::versionText(uint64_t n) const {
  return boot_ + "-" + std::to_string(n);
}

std::string WatchHub::versionOf(const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t n = epoch_;
  for (const auto& name : names) {
    const auto it = stamps_.find(name);
    if (it != stamps_.end()) {
      n = std::max(n, it->second);
    }
  }
  return versionText(n);
}

std::string WatchHub::versionOfAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  return versionText(counter_);
}

WatchHub::Hold WatchHub::hold(Waiter waiter) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    return Hold::kStopping;
  }
  if (total_ >= maxTotal_) {
    return Hold::kFull;
  }
  size_t& mine = perUser_[waiter.user];
  if (mine >= maxPerUser_) {
    if (mine == 0) {
      perUser_.erase(waiter.user);
    }
    return Hold::kUserFull;
  }
  ++mine;
  ++total_;
  waiter.seq = ++seq_;
  incoming_.push_back(std::make_shared<Waiter>(std::move(waiter)));
  cv_.notify_all();
  return Hold::kHeld;
}

void WatchHub::dropConnection(const void* connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (total_ == 0 || stopping_) {
    return;  // every connection's close comes here: nothing to do for most
  }
  gone_.emplace_back(connection, ++seq_);
  cv_.notify_all();
}

size_t WatchHub::held() {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_;
}

void WatchHub::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void WatchHub::finish(const std::shared_ptr<Waiter>& w, End how) {
  {
    // Released first: once a client has its answer, its place is free.
    std::lock_guard<std::mutex> lock(mutex_);
    --total_;
    auto it = perUser_.find(w->user);
    if (it != perUser_.end() && --it->second == 0) {
      perUser_.erase(it);
    }
  }
  try {
    w->end(how);
  } catch (const std::exception& e) {
    logging::get("api")->error("watch answer failed error=\"{}\"", e.what());
  }
}

void WatchHub::pass(bool dirty, const std::vector<std::pair<const void*, uint64_t>>& gone,
                    std::vector<std::shared_ptr<Waiter>> fresh) {
  const size_t firstFresh = active_.size();
  active_.insert(active_.end(), fresh.begin(), fresh.end());
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<Waiter>> keep;
  for (size_t i = 0; i < active_.size(); ++i) {
    const auto& w = active_[i];
    const bool dropped = std::any_of(gone.begin(), gone.end(), [&](const auto& g) {
      return g.first == w->connection && g.second > w->seq;
    });
    bool changed = false;
    if (!dropped && w->deadline > now && (dirty || i >= firstFresh)) {
      try {
        changed = w->changed();
      } catch (const std::exception&) {
        changed = true;  // answered at once: the answer says what went wrong
      }
    }
    if (dropped) {
      finish(w, End::kGone);
    } else if (changed) {
      finish(w, End::kChanged);
    } else if (w->deadline <= now) {
      finish(w, End::kTimedOut);
    } else {
      keep.push_back(w);
    }
  }
  active_ = std::move(keep);
}

void WatchHub::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    const auto ready = [this] {
      return stopping_ || dirty_ || !incoming_.empty() || !gone_.empty();
    };
    if (active_.empty()) {
      cv_.wait(lock, ready);
    } else {
      auto next = active_.front()->deadline;
      for (const auto& w : active_) {
        next = std::min(next, w->deadline);
      }
      cv_.wait_until(lock, next, ready);
    }
    if (stopping_) {
      auto all = std::move(active_);
      all.insert(all.end(), incoming_.begin(), incoming_.end());
      incoming_.clear();
      lock.unlock();
      for (const auto& w : all) {
        finish(w, End::kStopping);
      }
      return;
    }
    const bool dirty = dirty_;
    dirty_ = false;
    auto gone = std::move(gone_);
    gone_.clear();
    auto fresh = std::move(incoming_);
    incoming_.clear();
    lock.unlock();
    pass(dirty, gone, std::move(fresh));
    lock.lock();
  }
}

}  // namespace chipmunk::api
