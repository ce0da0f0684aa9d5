// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/pg_connection.hpp"
#include "api/pg_store_batch.hpp"
#include "api/pg_store_wake.hpp"
#include "api/record_update.hpp"
#include "api/store.hpp"

namespace chipmunk::api {

// A parameter's text: an address (nullopt: SQL NULL), a number.
inline std::optional<std::string> addressText(const std::optional<IpAddress>& ip) {
  return ip ? std::optional<std::string>(ip->toString()) : std::nullopt;
}
inline std::optional<std::string> pgNumber(int64_t value) {
  return std::to_string(value);
}

// Records in PostgreSQL (table chipmunk_records, api/pg_schema.cpp), shared by every
// replica that uses the same database. Concurrent updates are combined (api/pg_store_batch.hpp):
// one statement, one round trip, one commit for all the changes queued meanwhile
// (api/pg_store_sql.hpp): it reads each record, plans its change and, when something
// changed, writes the record (a compare-and-set on its revision) and, when its address
// changed or it expired, a row in chipmunk_outbox, all committed together
// (synchronous_commit as the server has it: kSaved means committed; a batch that fails
// fails every change of it). The wake-ups follow the commit (api/pg_store_wake.hpp). A poll that
// changes nothing writes nothing: its last-seen time waits in memory for flush(), which writes them
// all in batches; a record whose stored last-seen would let it expire before the next flush is
// written at once, so that no replica expires a host that is still polling. Never throws; a
// database that cannot be reached makes update() kFailed (the routes answer 503), reads empty
// (logged). Error messages never hold the conninfo.
class PgStore final : public Store {
 public:
  // `flushInterval`: how often the owner calls flush() (see above). `batchesInFlight`: how
  // many combined statements may run at once (each on a connection of the pool; at most
  // the pool's size).
  PgStore(std::shared_ptr<pg::Pool> pool, std::chrono::seconds flushInterval,
          size_t batchesInFlight = kBatchesInFlight);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  // Store
  UpdateResult update(const std::string& name, const RecordUpdate& update, int64_t now) override;
  std::optional<HostRecord> get(const std::string& name) override;
  std::vector<HostRecord> list() override;
  std::vector<HostRecord> listAfter(const std::string& after, size_t limit) override;
  bool put(const HostRecord& record) override;
  std::vector<HostRecord> expireDue(int64_t now) override;
  void flush() override;

  // Writes `records` exactly as put() does, all in one transaction (one statement): what
  // `chipmunk-api migrate` copies a page with. False (nothing written) when it failed.
  bool putAll(const std::vector<HostRecord>& records) override;

  // Tells the other replicas of every change and expiry this one writes (NOTIFY
  // chipmunk_records, payload "<tag> <name>", after the commit: api/pg_store_wake.hpp), so
  // that their watches of GET /hosts wake (OutboxDispatcher::onRecordNotices). `tag`: hex
  // digits that name this process; empty (the default): no notices.
  void setNoticeTag(const std::string& tag) {
    const bool hex = tag.find_first_not_of("0123456789abcdef") == std::string::npos;
    waker_->setTag(hex ? tag : std::string());
  }

  // Which changed addresses get a chipmunk_outbox row (api/outbox.hpp): `wanted(name)` false
  // means nothing would consume the row (no on_change hook, no push target of the record:
  // OutboxEffects::wantsChange), so the change is written without one, and without the
  // dispatcher's transaction that would remove it. Null (the default): every one. Replicas
  // sharing a database are expected to share the configuration (as for the hooks the rows
  // run). Thread-safe; a reload sets it again. Expiries always get their row.
  using OutboxWanted = std::function<bool(const std::string& name)>;
  void setOutboxWanted(OutboxWanted wanted) {
    std::atomic_store(&outboxWanted_,
                      wanted ? std::make_shared<const OutboxWanted>(std::move(wanted)) : nullptr);
  }

  // What the write combiner did since the start (batches run, changes in them, the largest).
  pg::WriteCombiner::Stats batchStats() const { return combiner_.stats(); }
  // Changes written from a known row (pg_sql::updateKnown) since the start.
  uint64_t knownWrites() const { return knownWrites_.load(std::memory_order_relaxed); }
  // Unchanged polls answered from a known row whose revision was still the table's.
  uint64_t knownPolls() const { return knownPolls_.load(std::memory_order_relaxed); }

  // Batches running at once (api/pg_store_batch.hpp): up to as many concurrent writers
  // each run their own statement, as without combining; past it changes queue and go
  // together, known ones in one pipeline (docs/BENCHMARKS.md: 4 against 8 with pipelines;
  // before them 8 against 2, 4 and 16).
  static constexpr size_t kBatchesInFlight = 4;
  // Records expired per expireDue() call at most (the rest wait for the next call).
  static constexpr int kExpireBatch = 10000;
  // Last-seen times written per statement by flush().
  static constexpr size_t kFlushBatch = 10000;
  // Rows remembered as this process last read or wrote them (see known_).
  static constexpr size_t kKnownRecords = 16384;

 private:
  struct Stored {  // a row as read, with its revision
    HostRecord record;
    bool exists = false;
    int64_t revision = 0;
    int64_t storedLastSeen = 0;  // as in the table (record.lastSeen may be newer, in memory)
  };
  enum class Write { kDone, kConflict, kFailed };

  // Runs one statement through pg::Pool::run, which runs it once more on a fresh
  // connection when the connection broke: every statement of this store may run twice
  // (reads, exact upserts, the last-seen GREATEST, the update's compare-and-set). False when
  // it failed (logged; an outage once a second).
  bool run(const std::string& sql, const pg::Params& params, pg::Result& out);
  std::optional<Stored> load(const std::string& name, bool& failed);
  static Stored storedAt(const pg::Result& r, int row);
  std::vector<HostRecord> records(const pg::Result& r);
  // Known changes (planKnown) of a batch in one pipeline, one transaction: each change's
  // answer in its knownResult (none when the pipeline failed: each is planned again alone).
  void runKnownPipeline(const std::vector<pg::QueuedChange*>& batch);
  // One combined statement for `batch` (api/pg_store_batch.hpp); null when it failed.
  std::shared_ptr<const pg::Result> runBatch(const std::vector<pg::QueuedChange*>& batch);
  // What `change`'s batch made of it: kConflict when another writer won the compare-and-set.
  Write settle(const pg::QueuedChange& change, const RecordUpdate& update, int64_t now,
               UpdateResult& result);
  int64_t unwrittenSeen(const std::string& name);
  bool outboxWanted(const std::string& name) const;  // setOutboxWanted
  // An unchanged poll: its last-seen time kept for flush() (or written now, see above).
  void keepSeen(const Stored& before, int64_t now);
  // The newest last-seen time of `record` (the table's or this process's unwritten one).
  void overlaySeen(HostRecord& record);
  void forgetSeen(const std::string& name, int64_t upTo);
  void logUnavailable(const std::string& error);
  // known_: the row of `name` as this process last had it, if it has it.
  std::optional<Stored> known(const std::string& name);
  void remember(Stored row);
  void forgetKnown(const std::string& name);
  // A change to a known row that changes it: planned here (planUpdate), written by a
  // compare-and-set on the known revision (pg_sql::updateKnown) when it runs alone. Its
  // plan is kept in `plan`, `before` (the record before, last-seen overlaid) and `outbox`.
  struct KnownPlan {
    Stored base;
    HostRecord before;
    PlannedUpdate plan;
    bool outbox = false;
  };
  std::optional<KnownPlan> planKnown(const std::string& name, const RecordUpdate& update,
                                     int64_t now, pg::QueuedChange& change);
  // A poll that changes nothing of a row this replica knows, while the table's revision is
  // still that row's (one point SELECT): answered unchanged here, as settle() answers the
  // full statement's unchanged row. nullopt: not known, a change, the row moved on (then
  // forgotten) or the read failed — the full statement decides.
  std::optional<UpdateResult> unchangedKnown(const std::string& name, const RecordUpdate& update,
                                             int64_t now);
  // The answer to an update that changed nothing of `before` (its poll time kept for the
  // next flush, or written now when a TTL needs it), from the full statement's row or a
  // known one.
  void settleUnchanged(const Stored& before, int64_t now, UpdateResult& result);
  // The known plan's change was written (its statement's one row): its answer.
  void settleKnown(const KnownPlan& known, const pg::QueuedChange& change, UpdateResult& result);
  bool flushBatch(const std::vector<std::pair<std::string, int64_t>>& batch);
  // A token no other change of any replica has: written with the record by the change that
  // carries it (chipmunk_records.write_token), so that the change, run again after its
  // connection broke, can tell that its first run committed (pg_sql::updateRecord()).
  std::string writeToken();

  std::shared_ptr<pg::Pool> pool_;
  std::chrono::seconds flushInterval_;
  const std::string tokenPrefix_;    // 96 random bits, in hex
  std::atomic<uint64_t> tokens_{0};  // write tokens made
  std::unique_ptr<pg::Waker> waker_;
  std::shared_ptr<const OutboxWanted> outboxWanted_;  // atomic_load/atomic_store
  pg::WriteCombiner combiner_;
  // Rows as this process last read or wrote them through update(), each with its revision:
  // a change planned from one needs no reading and planning in SQL, only a compare-and-set
  // on that revision (another replica's write, an expiry or a put() moved the revision on:
  // then it is planned again in SQL). At most kKnownRecords (past it all are forgotten,
  // and the map fills again from the next writes). Last-seen times written by a
  // flush do not move the revision: this process's raise its known rows' (flushBatch),
  // another replica's leave them older than the table's, which only the outbox row's
  // `before.last_seen` shows. Rows must be changed through chipmunk-api (or with their
  // revision raised): a row edited by hand without it would be written over from what the
  // known row holds.
  std::mutex knownMutex_;
  std::unordered_map<std::string, Stored> known_;
  std::atomic<uint64_t> knownWrites_{0};
  std::atomic<uint64_t> knownPolls_{0};
  std::mutex seenMutex_;
  std::unordered_map<std::string, int64_t> seen_;  // last-seen times not yet written
  std::atomic<int64_t> lastUnavailableLog_{0};     // steady seconds
  std::atomic<int64_t> unavailable_{0};            // failures since that line
};

}  // namespace chipmunk::api
