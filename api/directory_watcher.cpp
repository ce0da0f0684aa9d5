// SPDX-License-Identifier: MIT
#include "api/directory_watcher.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "api/memory_trim.hpp"
#include "common/logging.hpp"

namespace chipmunk::api {

DirectoryWatcher::DirectoryWatcher(std::unique_ptr<Directory> directory)
    : directory_(std::move(directory)) {}

DirectoryWatcher::~DirectoryWatcher() {
  stop();
}

bool DirectoryWatcher::refresh(bool force) {
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

void DirectoryWatcher::applyLocked() {
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
  auto log = logging::get("api");
  for (const auto& w : warnings) {
    log->warn("{}", w);
  }
  for (const auto& w : config::unknownRuleNames(merged_)) {
    log->warn("{}; the rule gives nothing until the name exists", w);
  }
  if (apply_) {
    apply_(merged_, tokens_);
  }
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

}  // namespace chipmunk::api
