// SPDX-License-Identifier: MIT
#pragma once
// The outbox consumer of the PostgreSQL backend (docs/SCALING.md, "Replicas and the
// outbox"). The store writes one chipmunk_outbox row per expiry, and per address change
// that a hook or push consumes (PgStore::setOutboxWanted), in the same transaction as the
// record; every replica runs one OutboxDispatcher, and each row's side effects (hooks,
// gateway push) run on exactly one of them:
//   BEGIN; SELECT the oldest ready row whose record has no older row, FOR UPDATE SKIP
//   LOCKED; if it has effects (hasEffects), run them alone; if not, claim again up to kBatch
//   rows (this transaction's lock does not hide the first) and finish every row up to the
//   first that has effects, not including it; DELETE them (or note the hook ran and when to
//   retry the push); COMMIT. A row whose hook or push runs (seconds, maybe) thus holds only
//   its own lock: the other replicas take the other records' rows meanwhile.
// The rows stay locked while their effects run, so the other replicas skip them; a replica
// that dies (or loses its connection) mid-transaction has it rolled back by the server,
// and another replica takes the rows: at most one of them had effects (a hook, a push),
// which run again. Rows of one record are taken in order.
// The dispatcher sleeps on LISTEN chipmunk_outbox (the store's Waker notifies after each
// commit that added rows), with a bounded poll as the fallback, and reconnects with backoff.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/pg_connection.hpp"
#include "api/store.hpp"

namespace chipmunk::api {

struct OutboxEvent {
  enum class Kind { kChanged, kExpired };
  long long id = 0;
  Kind kind = Kind::kChanged;
  std::string owner;
  HostRecord before;      // kExpired: the record before it expired
  HostRecord after;       // kChanged only
  bool hookDone = false;  // an earlier attempt ran the hook; only the push is left
  int attempts = 0;
  // A newer event of the record is waiting: this one's address is stale, no push is left
  // to retry (its hook still runs if it has not).
  bool superseded = false;
};

// What became of one event's effects.
struct OutboxOutcome {
  bool done = true;      // false: keep the row and try again after retryIn
  bool hookRan = false;  // the hook ran (or had nothing to run) in this attempt
  std::chrono::seconds retryIn{0};
};

// Runs one event's side effects, bounded in time (hook_timeout, push timeout). Called in
// the claiming transaction, on its connection `tx`, which it may use for shared state
// (chipmunk_push_state): that state commits with the row's removal.
class OutboxHandler {
 public:
  virtual ~OutboxHandler() = default;
  virtual OutboxOutcome handle(pg::Connection& tx, const OutboxEvent& event) = 0;
  // Whether handle() would act outside the database for `event` (a hook, a push). Events
  // that would not are finished many per transaction (a re-run costs nothing); one that
  // would has a transaction of its own, so a replica that dies reruns that one only.
  virtual bool hasEffects(const OutboxEvent& event) const {
    (void)event;
    return true;
  }
};

class OutboxDispatcher {
 public:
  // Rows claimed per transaction at most.
  static constexpr int kBatch = 64;

  struct Options {
    // The fallback when a notification is lost (and how soon a push retry is seen).
    std::chrono::milliseconds poll{1000};
    std::chrono::milliseconds reconnectMin{100};
    std::chrono::milliseconds reconnectMax{5000};
  };
  struct Stats {
    uint64_t done = 0;         // rows handled and removed
    uint64_t retried = 0;      // rows kept for a push retry
    uint64_t lostCommits = 0;  // effects ran but the commit failed: another replica reruns
    uint64_t connects = 0;     // successful (re)connections
  };

  OutboxDispatcher(std::string conninfo, std::shared_ptr<OutboxHandler> handler, Options options);
  ~OutboxDispatcher();
  OutboxDispatcher(const OutboxDispatcher&) = delete;
  OutboxDispatcher& operator=(const OutboxDispatcher&) = delete;

  // Also LISTEN chipmunk_records (PgStore::setNoticeTag): `onChange(name)` for every record
  // another replica changed or expired, whose notice does not carry `ownTag`, and
  // `onChange("")` for a notice that anything may have changed (api/pg_store_wake.hpp).
  // Called on the dispatcher's thread; must not block. Before start().
  void onRecordNotices(std::string ownTag, std::function<void(const std::string&)> onChange);
  void start();
  // Finishes the row in progress (its effects are bounded), then stops the thread.
  void stop();
  // A reload: the next row uses `handler`.
  void setHandler(std::shared_ptr<OutboxHandler> handler);
  Stats stats() const;

 private:
  enum class Step { kHandled, kIdle, kBroken };
  void run();
  bool connect();
  Step dispatchBatch();
  // Runs the effects of the claimed `rows` (see above); false when a handler threw (the
  // transaction is then rolled back).
  // `done`: the ids to delete; `retried`: rows kept for a push retry.
  // `batch`: the rows of the second claim, where none with effects is run (one of them
  // may have come first there, committed late with an older id: it waits for the next
  // round, alone). `first`: row 0, already read (the single claim), or null. `handler`: the
  // one this round started with (a reload meanwhile takes effect at the next).
  bool handleRows(const pg::Result& rows, bool batch, std::optional<OutboxEvent> first,
                  OutboxHandler& handler, pg::Params& done, uint64_t& retried);
  // Deletes `done` and commits; the stats count them once committed.
  Step finish(const pg::Params& done, uint64_t retried);
  // Sleeps until an outbox notification, stop() or `limit` (record notices are passed on
  // meanwhile); false when the connection broke.
  bool waitForWork(std::chrono::milliseconds limit);
  void sleepFor(std::chrono::milliseconds limit);
  // Takes the notifications libpq holds; true when one was the outbox's.
  bool drainNotices();
  // A chipmunk_records notice's payload, to onRecordChange_ (see onRecordNotices).
  void passRecordNotice(std::string_view payload);

  std::string conninfo_;
  Options options_;
  std::shared_ptr<OutboxHandler> handler_;  // atomic_load/atomic_store
  std::unique_ptr<pg::Connection> conn_;    // the dispatcher thread's only
  int wakePipe_[2] = {-1, -1};              // stop() writes a byte
  std::string ownTag_;                      // onRecordNotices
  std::function<void(const std::string&)> onRecordChange_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex statsMutex_;
  Stats stats_;
  std::thread thread_;
};

}  // namespace chipmunk::api
