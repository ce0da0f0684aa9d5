// SPDX-License-Identifier: MIT
#pragma once
// The watch of GET /hosts (docs/ADDRESS_BOOK.md, "Watching for changes"): versions of what
// a caller may see, and the requests held until that changes.
//
// A version is "<boot>-<n>": <boot> is random per process (a restarted server never
// matches a version of the previous one), n the change counter at the last change of any
// record the caller may read (or at the last reload, which may change who reads what).
// Every change a client could see bumps the counter and stamps the record's name
// (WatchedStore: a saved update, an expiry, a put); a refresh of last_seen alone does not.
//
// Held requests are data here, not threads: one hub thread re-checks them when the counter
// moves and answers them at their deadline, through the callbacks the HTTP layer gave.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/store.hpp"

namespace chipmunk::api {

class WatchHub {
 public:
  // What becomes of a held request.
  enum class End {
    kChanged,   // what the caller sees changed: answer the new page
    kTimedOut,  // the wait ran out: 304
    kStopping,  // the server stops: 503
    kGone,      // the client went away: release, send nothing
  };
  struct Waiter {
    std::string user;
    uint64_t seq = 0;                  // set by hold(): orders it against dropConnection()
    const void* connection = nullptr;  // dropConnection() ends the waiters of one
    std::chrono::steady_clock::time_point deadline;
    // On the hub thread: whether what the caller sees differs from the version it holds.
    std::function<bool()> changed;
    // On the hub thread (or in stop()), exactly once.
    std::function<void(End)> end;
  };
  enum class Hold { kHeld, kUserFull, kFull, kStopping };

  WatchHub();
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Held requests: at most `total`, and `perUser` of one user.
  void setLimits(size_t total, size_t perUser);

  // A change a client may see: record `name` changed (or was added or expired).
  void touched(const std::string& name);
  // Something changed for anyone (a reload, a change on another replica whose record is
  // not known): every version moves.
  void touchedAll();
  // The version of a caller who may read `names`, and of one who may read everything.
  std::string versionOf(const std::vector<std::string>& names);
  std::string versionOfAll();

  // Random per process: the first part of every version (and PgStore's notice tag).
  const std::string& boot() const { return boot_; }

  Hold hold(Waiter waiter);
  // The client of `connection` closed it: its held requests end with kGone.
  void dropConnection(const void* connection);
  // Ends every held request (kStopping) and refuses new ones; returns once they are answered.
  void stop();
  size_t held();

 private:
  void run();
  // Under mutex_, after a change: wakes the hub while a watch is held.
  void wakeForChange();
  std::string versionText(uint64_t n) const;
  // The hub thread's pass over the held requests: drops those of closed connections,
  // answers those whose caller's view changed (all are checked when `dirty`, the fresh
  // ones always) and those past their deadline.
  void pass(bool dirty, const std::vector<std::pair<const void*, uint64_t>>& gone,
            std::vector<std::shared_ptr<Waiter>> fresh);
  void finish(const std::shared_ptr<Waiter>& w, End how);

  const std::string boot_;
  std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t counter_ = 1;
  uint64_t epoch_ = 1;  // the counter at the last touchedAll()
  std::unordered_map<std::string, uint64_t> stamps_;
  size_t maxTotal_ = 1024;
  size_t maxPerUser_ = 4;
  std::unordered_map<std::string, size_t> perUser_;
  size_t total_ = 0;
  bool dirty_ = false;
  bool stopping_ = false;
  std::vector<std::shared_ptr<Waiter>> incoming_;
  uint64_t seq_ = 0;
  std::vector<std::pair<const void*, uint64_t>> gone_;  // connection, seq of the drop
  std::vector<std::shared_ptr<Waiter>> active_;         // the hub thread's only
  std::thread thread_;
};

// `inner` with every visible change told to `hub` (see WatchHub).
std::shared_ptr<Store> watchedStore(std::shared_ptr<Store> inner, std::shared_ptr<WatchHub> hub);

}  // namespace chipmunk::api
