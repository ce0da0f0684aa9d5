// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/directory.hpp"
#include "api/directory_cache.hpp"
#include "api/token_table.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

class ApiServer;

// Keeps the running server's users, hosts and tokens in step with the directory: once a
// second it asks the store whether the directory changed (Directory::changed(): a stat of
// three files, or one row in PostgreSQL) and, when it did, reads it, merges it over the
// INI (mergeDirectory) and hands the result to `apply`. A directory that cannot be read
// (a corrupt file, the database away) is logged with its file:line and the last good one
// kept.
//
// A directory with lookups (PostgreSQL) is not loaded: the merged configuration is the INI
// (its users that the directory also has take the directory's hash, as mergeDirectory
// does), with an ownership index and a token table that ask cache() for everything else.
// Once a second the cache compares the directory's version and re-validates itself when it
// moved (DirectoryCache::refresh), and the INI part is merged and applied again.
class DirectoryWatcher {
 public:
  using Apply =
      std::function<void(const config::ApiConfig& merged, std::shared_ptr<const TokenTable>)>;

  // `cacheCapacity`: [Store] user_cache, for a directory with lookups.
  explicit DirectoryWatcher(std::unique_ptr<Directory> directory,
                            size_t cacheCapacity = kDefaultUserCache);
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
  // The looked-up directory's cache (null for a loaded one); the same for the watcher's life.
  const std::shared_ptr<DirectoryCache>& cache() const { return cache_; }

 private:
  // Loads the directory when it changed (or `force`); false when the last good one stays.
  bool refresh(bool force);
  void applyLocked();
  // applyLocked() of a directory that is looked up, not loaded.
  void applyLookedUpLocked();
  // Logs the merge's warnings and unknown rule names, then hands the merge to apply_.
  void publishLocked(const std::vector<std::string>& warnings);

  std::shared_ptr<Directory> directory_;
  std::shared_ptr<DirectoryCache> cache_;
  bool unavailable_ = false;  // the last refresh failed (logged once)
  // The INI's users that the looked-up directory has too (their directory hashes win), as
  // last read; `overlapStale_`: that read failed, so it is tried again at the next poll.
  std::vector<DirectoryUser> overlap_;
  bool overlapStale_ = false;
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

// Gives `server` the watcher's merged users, hosts and tokens (and its cache) now and at
// every change from now on, and the cache's figures to /metrics. Before watcher.start().
void serveDirectory(DirectoryWatcher& watcher, ApiServer& server);

}  // namespace chipmunk::api
