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
// dispatchers, NOTIFY chipmunk_records for the other replicas' watches), sent after the
// write committed, from a session of its own, many per transaction.
//
// A record notice's payload is "<tag> <name> <name> ...": the names committed since the
// last one, as many as fit in a payload (kMaxPayload bytes; PostgreSQL's bound is 8000),
// so that a burst of changes is a few notifications, not one per name — each of which
// every listening session of the database reads and every replica parses (one per name
// cost the writing replica 7-10 % of its changes/s at 8 clients: docs/BENCHMARKS.md).
// A payload of the tag alone means "anything may have changed": sent in place of names
// that cannot be listed (more than kMaxPending pending, or a name with a space in it or
// too long for a payload), so a watch is woken rather than missed.
//
// Why not from the writing transaction: a transaction that NOTIFYs takes PostgreSQL's one
// notification lock (a lock on the database object, AccessExclusive) from its pre-commit
// until after its commit record is flushed, so every notifying writer of the cluster
// commits one after another and group commit is lost (pgbench, single-row upsert with and
// without a pg_notify in it: 2121 vs 293 tps at 8 clients, 10411 vs 281 at 32;
// docs/BENCHMARKS.md). Here the lock is held by one short transaction per batch (at most
// one per 20 ms), committed with synchronous_commit = off (a notification is delivered at
// commit, not at flush).
//
// A notification is a wake-up, never the data: one that is lost (this process killed
// between a commit and its NOTIFY, or the database unreachable) costs a dispatcher its poll
// interval (1 s) and a watch its timeout; the outbox row itself was committed with the
// change. Pending names are bounded (kMaxPending; past it one "anything" notice instead).
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
  static constexpr size_t kMaxPayload = 7900;

  // The payloads of one transaction's record notices for `names` (see above), `tag` first.
  // Public for its test.
  static std::vector<std::string> payloads(const std::string& tag,
                                           const std::set<std::string>& names, bool anything);

 private:
  void run();
  // One transaction of NOTIFYs; false when it failed (the connection is then dropped).
  bool send(bool outbox, const std::set<std::string>& names, bool anything);

  std::string conninfo_;
  std::unique_ptr<Connection> conn_;  // the waker thread's only
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string tag_;
  bool outbox_ = false;          // an outbox wake is pending
  std::set<std::string> names_;  // record notices pending
  bool anything_ = false;        // past kMaxPending: one notice for all instead
  bool stopping_ = false;
  bool idle_ = false;  // the thread waits for work (not gathering, not sending)
  std::thread thread_;
};

}  // namespace chipmunk::api::pg
