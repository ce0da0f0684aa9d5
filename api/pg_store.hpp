// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "api/pg_connection.hpp"
#include "api/store.hpp"

namespace chipmunk::api {

// Records in PostgreSQL (table chipmunk_records, api/pg_schema.cpp), shared by every
// replica that uses the same database. A change is one statement: the record (a
// compare-and-set on its revision) and, when its address changed or it expired, a row in
// chipmunk_outbox, committed together (synchronous_commit as the server has it: kSaved
// means committed). A poll that changes nothing writes nothing: its last-seen time waits
// in memory for flush(), which writes them all in batches; a record whose stored last-seen
// would let it expire before the next flush is written at once, so that no replica expires
// a host that is still polling.
// Never throws; a database that cannot be reached makes update() kFailed (the routes answer
// 503), reads empty (logged). Error messages never hold the conninfo.
class PgStore final : public Store {
 public:
  // `flushInterval`: how often the owner calls flush() (see above).
  PgStore(std::shared_ptr<pg::Pool> pool, std::chrono::seconds flushInterval);
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

  // Tells the other replicas of every change and expiry this one writes (NOTIFY
  // chipmunk_records, payload "<tag> <name>", in the writing statement), so that their
  // watches of GET /hosts wake (OutboxDispatcher::onRecordNotices). `tag`: hex digits that
  // name this process; empty (the default): no notices. Before the first update.
  void setNoticeTag(const std::string& tag) {
    const bool hex = tag.find_first_not_of("0123456789abcdef") == std::string::npos;
    tag_ = hex ? tag : std::string();  // it goes into the SQL text
  }

  // Records expired per expireDue() call at most (the rest wait for the next call).
  static constexpr int kExpireBatch = 10000;
  // Last-seen times written per statement by flush().
  static constexpr size_t kFlushBatch = 10000;

 private:
  struct Stored;  // a row as read, with its revision
  enum class Write { kDone, kConflict, kFailed };

  // Runs a read (idempotent) and retries once on a fresh connection when the connection
  // broke; false when it failed.
  bool read(const std::string& sql, const pg::Params& params, pg::Result& out);
  std::optional<Stored> load(const std::string& name, bool& failed);
  static Stored storedAt(const pg::Result& r, int row);
  std::vector<HostRecord> records(const pg::Result& r);
  Write write(const Stored& before, const HostRecord& next, bool announce);
  // An unchanged poll: its last-seen time kept for flush() (or written now, see above).
  void keepSeen(const Stored& before, int64_t now);
  // The newest last-seen time of `record` (the table's or this process's unwritten one).
  void overlaySeen(HostRecord& record);
  void forgetSeen(const std::string& name, int64_t upTo);
  void logUnavailable(const std::string& error);
  bool flushBatch(const std::vector<std::pair<std::string, int64_t>>& batch);

  // " , n AS (SELECT pg_notify(...) FROM `from`)" naming `column`, or "" without a tag.
  std::string noticeCte(const char* from, const char* column) const;

  std::shared_ptr<pg::Pool> pool_;
  std::chrono::seconds flushInterval_;
  std::string tag_;  // setNoticeTag
  std::mutex seenMutex_;
  std::unordered_map<std::string, int64_t> seen_;  // last-seen times not yet written
  std::atomic<int64_t> lastUnavailableLog_{0};     // steady seconds
  std::atomic<int64_t> unavailable_{0};            // failures since that line
};

}  // namespace chipmunk::api
