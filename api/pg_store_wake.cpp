// SPDX-License-Identifier: MIT
#include "api/pg_store_wake.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "api/pg_connection.hpp"
#include "common/logging.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api::pg {
namespace {

// Between two transactions of NOTIFYs at least: what commits meanwhile goes into the next
// one (a dispatcher or another replica's watch wakes at most this much later; at most 50
// such transactions a second, however many writes). Each costs PostgreSQL a transaction id,
// a commit record and the notification queue's lock: at 5 ms (200 a second) the waking
// session took 5 % of the CPU at 8 writers (docs/BENCHMARKS.md).
constexpr std::chrono::milliseconds kGather{20};
// Between failed attempts to reach the database.
constexpr std::chrono::milliseconds kRetryMin{100};
constexpr std::chrono::milliseconds kRetryMax{2000};

// One statement, one transaction: the outbox wake (when $1) and the record notices' payloads.
constexpr const char* kNotify =
    "SELECT count(*) FROM (SELECT pg_notify('chipmunk_outbox', '') WHERE $1::boolean"
    " UNION ALL SELECT pg_notify('chipmunk_records', p) FROM unnest($2::text[]) AS p) AS s";

std::shared_ptr<spdlog::logger> wakeLog() {
  return logging::get("store");
}

}  // namespace

Waker::Waker(std::string conninfo) : conninfo_(std::move(conninfo)) {
  thread_ = std::thread([this] { run(); });
}

Waker::~Waker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Waker::setTag(const std::string& tag) {
  std::lock_guard<std::mutex> lock(mutex_);
  tag_ = tag;
}

void Waker::committed(const std::vector<std::string>& names, bool outbox) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    outbox_ = outbox_ || outbox;
    if (!tag_.empty()) {
      for (const auto& name : names) {
        if (names_.size() < kMaxPending) {
          names_.insert(name);
        } else {
          anything_ = true;
        }
      }
    }
    // Only a waker waiting for work is woken: one gathering (kGather) takes this with what
    // else comes, and a wake-up meanwhile would only put it back to sleep (a context switch
    // per change).
    if (!idle_ || (!outbox_ && names_.empty() && !anything_)) {
      return;
    }
  }
  cv_.notify_one();
}

void Waker::run() {
  auto retry = kRetryMin;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    idle_ = true;
    cv_.wait(lock, [this] { return stopping_ || outbox_ || !names_.empty() || anything_; });
    idle_ = false;
    if (!outbox_ && names_.empty() && !anything_) {
      return;  // stopping, nothing left
    }
    const bool outbox = std::exchange(outbox_, false);
    std::set<std::string> names;
    names.swap(names_);
    const bool anything = std::exchange(anything_, false);
    const bool stopping = stopping_;
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    // At the end, only on a session already open: a new one to an unreachable host could
    // hold the shutdown for as long as the kernel tries to connect.
    const bool sent = (!stopping || conn_) && send(outbox, names, anything);
    lock.lock();
    if (sent) {
      retry = kRetryMin;
      cv_.wait_until(lock, started + kGather, [this] { return stopping_; });
      continue;
    }
    if (stopping) {
      return;  // one attempt at the end
    }
    // Kept for the next attempt (with what came meanwhile, bounded), after a pause.
    outbox_ = outbox_ || outbox;
    anything_ = anything_ || anything;
    for (auto& name : names) {
      if (names_.size() >= kMaxPending) {
        anything_ = true;
        break;
      }
      names_.insert(name);
    }
    cv_.wait_for(lock, retry, [this] { return stopping_; });
    retry = std::min(retry * 2, kRetryMax);
  }
}

std::vector<std::string> Waker::payloads(const std::string& tag, const std::set<std::string>& names,
                                         bool anything) {
  if (tag.empty() || (names.empty() && !anything)) {
    return {};
  }
  if (anything) {
    return {tag};  // one notice for all: the names add nothing to it
  }
  std::vector<std::string> out;
  std::string payload;
  for (const auto& name : names) {
    // Such a name cannot be told apart in a payload: "anything" wakes its watchers instead.
    if (name.empty() || name.find(' ') != std::string::npos ||
        tag.size() + 1 + name.size() > kMaxPayload) {
      return {tag};
    }
    if (!payload.empty() && payload.size() + 1 + name.size() > kMaxPayload) {
      out.push_back(std::move(payload));
      payload.clear();
    }
    if (payload.empty()) {
      payload = tag;
    }
    payload += ' ';
    payload += name;
  }
  out.push_back(std::move(payload));
  return out;
}

bool Waker::send(bool outbox, const std::set<std::string>& names, bool anything) {
  std::string tag;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tag = tag_;
  }
  if (!conn_) {
    std::string error;
    conn_ = Connection::open(conninfo_, error);
    // Notifications are delivered at commit; their durability does not matter.
    if (!conn_ || !conn_->exec("SET synchronous_commit = off").ok()) {
      wakeLog()->warn("wake-up session cannot connect error=\"{}\"", conn_ ? "SET failed" : error);
      conn_.reset();
      return false;
    }
  }
  const auto texts = payloads(tag, names, anything);
  static const std::string kNotifySql(kNotify);
  const auto r = conn_->execPrepared(
      kNotifySql,
      {std::string(outbox ? "true" : "false"), arrayLiteral(Params(texts.begin(), texts.end()))});
  if (!r.ok()) {
    wakeLog()->warn("wake-up failed error=\"{}\"", r.error());
    conn_.reset();
    return false;
  }
  return true;
}

}  // namespace chipmunk::api::pg
