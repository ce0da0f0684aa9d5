// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "api/pg_connection.hpp"

namespace chipmunk::api::pg {

// One caller's change, queued to be written with others' (PgStore::update).
struct QueuedChange {
  std::string name;
  Params row;        // the statement's values for this change, after the name
  size_t bytes = 0;  // what it adds to a batch's parameters
  // Set by the batch that ran it: the statement's answer (shared by the batch; row `row`
  // is this change's), or null when the batch failed (nothing of it committed).
  std::shared_ptr<const Result> result;
  int rowIndex = -1;
  bool done = false;
  // A change planned from a row this process knows (PgStore's known records): when its
  // batch is itself alone, or every change of it is known, this statement and these values
  // run instead of the batch's (pg_sql::updateKnown; several in one pipeline), `ranKnown`
  // says so and `knownResult` holds its own answer (null: it failed).
  const std::string* knownSql = nullptr;
  Params knownParams;
  bool ranKnown = false;
  std::shared_ptr<const Result> knownResult;
  // Its caller waits here (under the combiner's mutex): woken when its batch finished, or
  // when it is the oldest queued change and a batch may start. Shared: the thread that
  // finished the batch notifies after releasing the mutex (a waiter woken under it would
  // only go back to sleep on the mutex), when the caller may have returned already.
  std::shared_ptr<std::condition_variable> wake = std::make_shared<std::condition_variable>();
};

// Write combining for the PostgreSQL store: concurrent callers' changes go to the database
// as ONE statement, ONE transaction, so that they share its round trip, its planning and
// executor start-up, and one WAL flush at commit, where one statement per change pays each
// of them per change.
//
// write() queues a change and returns once it was written (or its batch failed): the calling
// thread itself takes the queued changes (the oldest first, at most kMaxBatch and kMaxBytes)
// and runs them as a batch when fewer than `inFlight` batches are running; else it waits.
// A caller alone never waits for anyone (no thread hand-off: its batch is itself).
//
// A name is in at most one batch at a time (in this process): a second change to a name
// whose batch is running (or already in the batch being taken) stays queued, in order, for a
// later batch, so one statement never writes a row twice and the changes of one name are
// applied in the order they came. The answer of every change of a batch is given after
// the batch's statement returned (committed or failed, all or nothing). A finished batch
// wakes its own callers and the oldest queued one (who may start the next batch), not every
// waiting caller: with 64 writers a broadcast cost ~60 futile wake-ups per batch.
class WriteCombiner {
 public:
  // Runs `batch` (names unique, sorted) as one statement: the answer, rows in the order of
  // `batch`, or null when it failed. Called on a caller's thread, never under a lock.
  using RunBatch =
      std::function<std::shared_ptr<const Result>(const std::vector<QueuedChange*>& batch)>;

  WriteCombiner(RunBatch run, size_t inFlight);

  void write(QueuedChange& change);

  struct Stats {
    uint64_t batches = 0;
    uint64_t changes = 0;
    size_t largest = 0;
  };
  Stats stats() const;

  static constexpr size_t kMaxBatch = 64;
  static constexpr size_t kMaxBytes = 1 << 20;

 private:
  // Under mutex_: the next batch from the queue (empty when every queued name is running).
  std::vector<QueuedChange*> take();
  // Under mutex_: answers `batch`; the waiters to wake once mutex_ is released in `wakes`.
  void finish(const std::vector<QueuedChange*>& batch, std::shared_ptr<const Result> result,
              const QueuedChange& own,
              std::vector<std::shared_ptr<std::condition_variable>>& wakes);

  RunBatch run_;
  size_t inFlight_;
  mutable std::mutex mutex_;
  std::deque<QueuedChange*> queue_;
  std::unordered_set<std::string> running_;  // names in running batches
  size_t batchesRunning_ = 0;
  Stats stats_;
};

}  // namespace chipmunk::api::pg
