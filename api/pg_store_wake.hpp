// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace chipmunk::api::pg {

class Connection;

// The wake-ups of the store's committed writes (NOTIFY chipmunk_outbox for the outbox
// dispatchers, NOTIFY chipmunk_records "<tag> <name>" for the other replicas' watches),
// sent after the write committed, from a session of its own, many per transaction.
//
// Why not from the writing transaction: a transaction that NOTIFYs takes PostgreSQL's one
// notification lock (a lock on the database object, AccessExclusive) from its pre-commit
// until after its commit record is flushed, so every notifying writer of the cluster
// commits one after another and group commit is lost (pgbench, single-row upsert with and
// without a pg_notify in it: 2121 vs 293 tps at 8 clients, 10411 vs 281 at 32;
// docs/BENCHMARKS.md). Here the lock is held by one short transaction per batch (at most
// one per 5 ms), committed with synchronous_commit = off (a notification is delivered at
// commit, not at flush).
//
// A notification is a wake-up, never the data: one that is lost (this process killed
// between a commit and its NOTIFY, or the database unreachable) costs a dispatcher its poll
// interval (1 s) and a watch its timeout; the outbox row itself was committed with the
// change. Pending names are bounded (kMaxPending; past it they are dropped and counted).
class Waker {
 public:
  explicit Waker(std::string conninfo);
  // Sends what is pending (one attempt, on the session if one is open) and stops.
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  // Names this process in record notices; "" (the default): none are sent. Hex digits only
  // (the caller checks).
  void setTag(const std::string& tag);
  // After a write of records `names` committed: `outbox` when it added outbox rows.
  void committed(const std::vector<std::string>& names, bool outbox);

  static constexpr size_t kMaxPending = 100000;

 private:
  void run();
  // One transaction of NOTIFYs; false when it failed (the connection is then dropped).
  bool send(bool outbox, const std::set<std::string>& names);

  std::string conninfo_;
  std::unique_ptr<Connection> conn_;  // the waker thread's only
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string tag_;
  bool outbox_ = false;          // an outbox wake is pending
  std::set<std::string> names_;  // record notices pending
  size_t dropped_ = 0;
  bool stopping_ = false;
  bool idle_ = false;  // the thread waits for work (not gathering, not sending)
  std::thread thread_;
};

}  // namespace chipmunk::api::pg
