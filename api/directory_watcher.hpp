// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/directory.hpp"
#include "api/token_table.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

// Keeps the running server's users, hosts and tokens in step with the directory: once a
// second it asks the store whether the directory changed (Directory::changed(): a stat of
// three files, or one row in PostgreSQL) and, when it did, reads it, merges it over the
// INI (mergeDirectory) and hands the result to `apply`. A directory that cannot be read
// (a corrupt file, the database away) is logged with its file:line and the last good one
// kept.
class DirectoryWatcher {
 public:
  using Apply =
      std::function<void(const config::ApiConfig& merged, std::shared_ptr<const TokenTable>)>;

  explicit DirectoryWatcher(std::unique_ptr<Directory> directory);
  ~DirectoryWatcher();
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  // A new INI configuration (start-up, SIGHUP): merged with the directory (loaded when it
  // changed) and applied.
  void setBase(const config::ApiConfig& base);
  // Checks once (what the thread does every second); true when something was applied.
  bool poll();
  // Calls `apply` for every change from now on, from a thread that polls once a second.
  void start(Apply apply);
  void stop();

  config::ApiConfig merged() const;
  std::shared_ptr<const TokenTable> tokens() const;

 private:
  // Loads the directory when it changed (or `force`); false when the last good one stays.
  bool refresh(bool force);
  void applyLocked();

  std::unique_ptr<Directory> directory_;
  mutable std::mutex mutex_;
  config::ApiConfig base_;
  // The last good directory, without its users once merged (usersInMerged_): they are in
  // merged_.users, and a second copy of a million users' hashes would be most of the
  // process's memory.
  DirectoryData data_;
  bool usersInMerged_ = false;
  config::ApiConfig merged_;
  std::shared_ptr<const TokenTable> tokens_ = std::make_shared<const TokenTable>();
  Apply apply_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chipmunk::api
