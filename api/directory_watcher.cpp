// SPDX-License-Identifier: MIT
#include "api/directory_watcher.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "api/memory_trim.hpp"
#include "api/metrics.hpp"
#include "api/server.hpp"
#include "common/logging.hpp"

namespace chipmunk::api {

DirectoryWatcher::DirectoryWatcher(std::unique_ptr<Directory> directory, size_t cacheCapacity)
    : directory_(std::move(directory)) {
  if (directory_->lookup() != nullptr) {
    cache_ = std::make_shared<DirectoryCache>(directory_, cacheCapacity);
  }
}

DirectoryWatcher::~DirectoryWatcher() {
  stop();
}

namespace {

// A rule's name that no user or host has (yet): logged, the rule matches nobody meanwhile.
void warnUnknownRuleNames(const config::ApiConfig& merged) {
  try {
    for (const auto& w : config::unknownRuleNames(merged)) {
      logging::get("api")->warn("{}; the rule gives nothing until the name exists", w);
    }
  } catch (const std::exception& e) {  // a looked-up directory away: asked again next change
    logging::get("api")->warn("rule names not checked: {}", e.what());
  }
}

}  // namespace

bool DirectoryWatcher::refresh(bool force) {
  if (cache_) {
    try {
      const bool moved = cache_->refresh();
      if (unavailable_) {
        logging::get("api")->info("directory reachable again");
        unavailable_ = false;
      }
      return moved || force || overlapStale_;
    } catch (const std::exception& e) {
      if (!unavailable_) {
        logging::get("api")->error("directory check failed error=\"{}\"", e.what());
        unavailable_ = true;
      }
      return force;
    }
  }
  if (!force && !directory_->changed()) {
    return false;
  }
  DirectoryData fresh;
  std::string error;
  if (!directory_->load(fresh, error)) {
    logging::get("api")->error("directory rejected error=\"{}\"; still serving the last good one",
                               error);
    return false;
  }
  data_ = std::move(fresh);
  usersInMerged_ = false;
  return true;
}

void DirectoryWatcher::publishLocked(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    logging::get("api")->warn("{}", w);
  }
  warnUnknownRuleNames(merged_);
  if (apply_) {
    apply_(merged_, tokens_);
  }
}

void DirectoryWatcher::applyLookedUpLocked() {
  std::vector<std::string> warnings;
  DirectoryData overlap;  // the INI's users that are directory users too
  try {
    std::vector<std::string> names;
    for (const auto& user : base_.users) {
      names.push_back(user.name);
      if (names.size() == 1000 || &user == &base_.users.back()) {
        auto found = directory_->lookup()->users(names);
        overlap.users.insert(overlap.users.end(), found.begin(), found.end());
        names.clear();
      }
    }
    overlap_ = overlap.users;
    overlapStale_ = false;
  } catch (const DirectoryUnavailable& e) {
    // The last known overrides stay (an INI password the directory replaced must not come
    // back while the database is away); read again at the next poll that reaches it.
    overlap.users = overlap_;
    overlapStale_ = true;
    warnings.push_back(std::string("INI users not compared with the directory: ") + e.what());
  }
  mergeDirectory(base_, overlap, merged_, warnings);
  merged_.indexOwnership(cache_);
  tokens_ = std::make_shared<const TokenTable>(cache_, merged_);
  publishLocked(warnings);
  auto log = logging::get("api");
  log->info("directory applied users={} (the directory's are looked up) hosts={}",
            merged_.users.size(), merged_.hostOwners.size());
}

void DirectoryWatcher::applyLocked() {
  if (cache_) {
    applyLookedUpLocked();
    return;
  }
  if (usersInMerged_) {
    // A new base without a new directory: the last merge's directory users, for this one.
    for (const auto& user : merged_.users) {
      if (user.where == kDirectoryUserWhere) {
        data_.users.push_back({user.name, user.secret});
      }
    }
  }
  std::vector<std::string> warnings;
  mergeDirectory(base_, data_, merged_, warnings);
  data_.users = {};
  usersInMerged_ = true;
  tokens_ = std::make_shared<const TokenTable>(data_.tokens, merged_);
  publishLocked(warnings);
  auto log = logging::get("api");
  // What the load and the previous tables held goes back to the system: soon, on the
  // server's maintenance thread (api/memory_trim.hpp), not here.
  requestMemoryTrim();
  // After apply_: from this line on, requests see the new directory.
  log->info("directory applied users={} hosts={} tokens={}", merged_.users.size(),
            merged_.hostOwners.size(), tokens_->size());
}

void DirectoryWatcher::setBase(const config::ApiConfig& base) {
  std::lock_guard<std::mutex> lock(mutex_);
  base_ = base;
  refresh(false);
  applyLocked();
}

bool DirectoryWatcher::poll() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!refresh(false)) {
    return false;
  }
  applyLocked();
  return true;
}

void DirectoryWatcher::start(Apply apply) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    apply_ = std::move(apply);
  }
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      try {
        poll();
      } catch (const std::exception& e) {
        logging::get("api")->error("directory check failed error=\"{}\"", e.what());
      }
      lock.lock();
    }
  });
}

void DirectoryWatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

config::ApiConfig DirectoryWatcher::merged() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return merged_;
}

std::shared_ptr<const TokenTable> DirectoryWatcher::tokens() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tokens_;
}

void serveDirectory(DirectoryWatcher& watcher, ApiServer& server) {
  const auto& cache = watcher.cache();
  server.reload(watcher.merged(), watcher.tokens(), cache);
  if (cache) {
    server.service().metrics().setDirectoryProbe([cache] {
      const auto sizes = cache->sizes();
      return DirectoryStats{sizes.users, sizes.names + sizes.unknownNames, cache->queries()};
    });
  }
  watcher.start(
      [&server, cache](const config::ApiConfig& merged, std::shared_ptr<const TokenTable> tokens) {
        server.reload(merged, std::move(tokens), cache);
      });
}

}  // namespace chipmunk::api
