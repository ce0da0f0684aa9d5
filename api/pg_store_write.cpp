// SPDX-License-Identifier: MIT
// The PostgreSQL store's update(): each change queued in the write combiner
// (api/pg_store_batch.hpp), written with the others queued meanwhile by one statement
// (pg_sql::updateRecords()), then settled by its own caller from its row of the answer.
#include <algorithm>
#include <exception>
#include <utility>

#include "api/pg_store.hpp"
#include "api/pg_store_sql.hpp"
#include "api/record_json.hpp"
#include "api/record_update.hpp"
#include "common/logging.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api {
namespace {

// Contended compare-and-set writes on one record retried before update() gives up.
constexpr int kMaxAttempts = 8;
// A queued change's values after its name ($2..$10 of pg_sql::updateRecords()).
constexpr size_t kChangeValues = 9;

}  // namespace

void PgStore::runKnownPipeline(const std::vector<pg::QueuedChange*>& batch) {
  std::vector<pg::Connection::Statement> statements;
  for (auto* change : batch) {
    change->ranKnown = true;
    statements.push_back({change->knownSql, &change->knownParams});
  }
  std::vector<pg::Result> answers;
  const auto status = pool_->runPipeline(statements, answers);
  if (status == pg::Pool::RunStatus::kUnavailable) {
    logUnavailable(pool_->lastError());
  } else if (status == pg::Pool::RunStatus::kFailed) {
    // Nothing committed. A deadlock with another replica's batch is no error: planned again.
    for (const auto& a : answers) {
      const std::string state = a.sqlState();
      if (!a.ok() && !state.empty() && state != "40P01" && state != "40001") {
        logging::get("store")->error("database statement failed error=\"{}\"", a.error());
        break;
      }
    }
  }
  static const auto none = std::make_shared<const pg::Result>();
  for (size_t i = 0; i < batch.size(); ++i) {
    // Failed: an answer without rows, so that each change is planned again alone (in SQL,
    // with its own outage handling); a compare-and-set that committed unheard is found there
    // by its write token.
    batch[i]->knownResult = status == pg::Pool::RunStatus::kOk && answers[i].rows() <= 1
                                ? std::make_shared<const pg::Result>(std::move(answers[i]))
                                : none;
  }
}

std::shared_ptr<const pg::Result> PgStore::runBatch(const std::vector<pg::QueuedChange*>& batch) {
  if (batch.size() == 1 && batch.front()->knownSql != nullptr) {
    // Planned from a known row (planKnown): one row when written, none when the row had
    // moved on. Run twice at most (run(): a broken connection), as a compare-and-set.
    pg::QueuedChange& change = *batch.front();
    change.ranKnown = true;
    auto r = std::make_shared<pg::Result>();
    change.knownResult =
        run(*change.knownSql, change.knownParams, *r) && r->rows() <= 1 ? r : nullptr;
    return change.knownResult;
  }
  if (std::all_of(batch.begin(), batch.end(),
                  [](const pg::QueuedChange* c) { return c->knownSql != nullptr; })) {
    runKnownPipeline(batch);
    return std::make_shared<const pg::Result>();  // each change has its own answer
  }
  pg::Params params;
  if (batch.size() == 1) {  // alone: its values as they are, the one-change statement
    params.emplace_back(batch.front()->name);
    params.insert(params.end(), batch.front()->row.begin(), batch.front()->row.end());
  } else {
    std::vector<pg::Params> columns(1 + kChangeValues);
    for (const auto* change : batch) {
      columns[0].emplace_back(change->name);
      for (size_t c = 0; c < kChangeValues; ++c) {
        columns[c + 1].push_back(change->row[c]);
      }
    }
    for (const auto& column : columns) {
      params.push_back(pg::arrayLiteral(column));
    }
  }
  const std::string& sql = batch.size() == 1 ? pg_sql::updateRecord() : pg_sql::updateRecords();
  auto r = std::make_shared<pg::Result>();
  for (int attempt = 0; attempt < 2; ++attempt) {
    // Retried on a fresh connection when the connection broke (in run()): the statement is
    // a compare-and-set, so when the first one committed unheard, the second finds the
    // records written with the changes' own write tokens (`replayed`: answered saved, no
    // second write, no second outbox row).
    if (run(sql, params, *r)) {
      return r->rows() == static_cast<int>(batch.size()) ? r : nullptr;
    }
    // Another replica's batch locked a row of ours as we locked one of its (rows are taken
    // in name order, but a plan may not keep it): nothing committed, run it once more.
    const std::string state = r->sqlState();
    if (state != "40P01" && state != "40001") {
      break;
    }
  }
  return nullptr;
}

bool PgStore::outboxWanted(const std::string& name) const {
  const auto wanted = std::atomic_load(&outboxWanted_);
  return !wanted || (*wanted)(name);
}

std::optional<PgStore::Stored> PgStore::known(const std::string& name) {
  std::lock_guard<std::mutex> lock(knownMutex_);
  const auto it = known_.find(name);
  return it == known_.end() ? std::nullopt : std::optional<Stored>(it->second);
}

void PgStore::remember(Stored row) {
  row.record.lastSeen = row.storedLastSeen;  // the table's: unwritten polls are in seen_
  std::lock_guard<std::mutex> lock(knownMutex_);
  if (known_.size() >= kKnownRecords && known_.count(row.record.name) == 0) {
    known_.clear();
  }
  known_[row.record.name] = std::move(row);
}

void PgStore::forgetKnown(const std::string& name) {
  std::lock_guard<std::mutex> lock(knownMutex_);
  known_.erase(name);
}

std::optional<PgStore::KnownPlan> PgStore::planKnown(const std::string& name,
                                                     const RecordUpdate& update, int64_t now,
                                                     pg::QueuedChange& change) {
  auto base = known(name);
  if (!base) {
    return std::nullopt;
  }
  KnownPlan k{std::move(*base), {}, {}, false};
  k.plan = planUpdate(k.base.record, true, update, now);
  if (!k.plan.changed) {
    return std::nullopt;  // an unchanged poll is decided on the row as it is now (in SQL)
  }
  // As updateRecord()'s statement: the outbox row's `before` has the newest last-seen time,
  // and a row is written when an address changed or the record was expired.
  k.before = k.base.record;
  k.before.lastSeen = std::max(k.before.lastSeen, unwrittenSeen(name));
  const HostRecord& n = k.plan.next;
  k.outbox = addressesChanged(k.base.record, n) && outboxWanted(name);
  change.knownParams = {name,
                        addressText(n.ip),
                        addressText(n.ipv4),
                        addressText(n.ipv6),
                        pgNumber(n.firstSeen),
                        pgNumber(n.changedAt),
                        pgNumber(n.lastSeen),
                        pgNumber(n.ttl),
                        metadataToJson(n.metadata),
                        n.ttl > 0 && n.ip ? pgNumber(n.lastSeen + n.ttl) : std::nullopt,
                        pgNumber(k.base.revision),
                        change.row.back()};  // the write token
  if (k.outbox) {
    change.knownParams.emplace_back(recordToJson(k.before));
    change.knownParams.emplace_back(recordToJson(n));
  }
  change.knownSql = k.outbox ? &pg_sql::updateKnownWithOutbox() : &pg_sql::updateKnown();
  return k;
}

std::optional<UpdateResult> PgStore::unchangedKnown(const std::string& name,
                                                    const RecordUpdate& update, int64_t now) {
  auto base = known(name);
  if (!base || planUpdate(base->record, true, update, now).changed) {
    return std::nullopt;
  }
  pg::Result r;
  if (!run(pg_sql::knownRevision(), {name}, r)) {
    return std::nullopt;  // logged; the full statement meets the same outage
  }
  if (r.rows() != 1 || r.getInt(0, 0) != base->revision) {
    forgetKnown(name);  // moved on (another replica, an expiry, a put) or deleted
    return std::nullopt;
  }
  Stored before = std::move(*base);
  // A flush writes last_seen without a new revision: the table's, for keepSeen's TTL margin.
  before.storedLastSeen = static_cast<int64_t>(r.getInt(0, 1));
  before.record.lastSeen = before.storedLastSeen;
  overlaySeen(before.record);
  UpdateResult result;
  result.before = before.record;
  settleUnchanged(before, now, result);
  knownPolls_.fetch_add(1, std::memory_order_relaxed);
  return result;
}

void PgStore::settleUnchanged(const Stored& before, int64_t now, UpdateResult& result) {
  if (before.exists) {
    remember(before);
  }
  keepSeen(before, now);
  result.after = before.record;
  result.after.lastSeen = std::max(before.record.lastSeen, now);
  result.outcome = SetOutcome::kUnchanged;
}

void PgStore::settleKnown(const KnownPlan& k, const pg::QueuedChange& change,
                          UpdateResult& result) {
  result.before = k.before;
  result.after = k.plan.next;
  remember(Stored{k.plan.next, true, change.knownResult->getInt(0, 0), k.plan.next.lastSeen});
  forgetSeen(k.plan.next.name, k.plan.next.lastSeen);
  waker_->committed({k.plan.next.name}, k.outbox);
  knownWrites_.fetch_add(1, std::memory_order_relaxed);
  result.outcome = SetOutcome::kSaved;
}

PgStore::Write PgStore::settle(const pg::QueuedChange& change, const RecordUpdate& update,
                               int64_t now, UpdateResult& result) {
  const int row = change.rowIndex;
  if (!change.result || change.result->getInt(row, 16) != row + 1) {
    return Write::kFailed;  // logged by run(), an outage once a second
  }
  const pg::Result& r = *change.result;
  Stored before = storedAt(r, row);
  before.exists = r.get(row, 12) == "t";
  overlaySeen(before.record);
  result.before = before.record;
  if (r.get(row, 17) == "t") {
    // The record holds this change's write token: an earlier run of this very change
    // committed (its outbox row too) and its answer was lost with the connection. Saved, as
    // it was; what the record held before that run is gone, so `before` is the record now.
    // The wake-ups of that run were not sent: sent now (a second is harmless).
    remember(before);
    forgetSeen(before.record.name, now);
    result.after = before.record;
    waker_->committed({before.record.name}, true);
    result.outcome = SetOutcome::kSaved;
    return Write::kDone;
  }
  if (r.get(row, 13) != "t") {
    // Nothing but the last-seen time: no planUpdate (tests compare the two plans).
    settleUnchanged(before, now, result);
    return Write::kDone;
  }
  if (r.getInt(row, 15) != 1) {
    return Write::kConflict;
  }
  // The statement's plan is what was written; planUpdate gives the record it wrote.
  PlannedUpdate p = planUpdate(before.record, before.exists, update, now);
  if (!p.changed) {
    logging::get("store")->error("update plans disagree name={} sql=changed planUpdate=unchanged",
                                 result.before.name);
  }
  result.after = std::move(p.next);
  remember(Stored{result.after, true, before.revision + 1, now});
  forgetSeen(result.before.name, now);
  waker_->committed({result.before.name}, r.get(row, 14) == "t");
  result.outcome = SetOutcome::kSaved;
  return Write::kDone;
}

UpdateResult PgStore::update(const std::string& name, const RecordUpdate& update, int64_t now) {
  UpdateResult result;
  result.before.name = name;
  result.outcome = SetOutcome::kFailed;
  try {
    if (auto answered = unchangedKnown(name, update, now)) {
      return std::move(*answered);
    }
    const auto& primary = update.primaryAddress();
    pg::QueuedChange change;
    change.name = name;
    change.row = {addressText(update.ipv4),
                  addressText(update.ipv6),
                  addressText(primary),
                  update.metadata ? std::optional<std::string>(metadataToJson(*update.metadata))
                                  : std::nullopt,
                  update.ttl ? pgNumber(*update.ttl) : std::nullopt,
                  pgNumber(now),
                  pgNumber(unwrittenSeen(name)),
                  std::string(outboxWanted(name) ? "t" : "f"),
                  writeToken()};
    change.bytes = name.size();
    for (const auto& value : change.row) {
      change.bytes += value ? value->size() : 0;
    }
    auto knownPlan = planKnown(name, update, now, change);
    for (int i = 0; i < kMaxAttempts; ++i) {
      change.done = false;
      change.result.reset();
      change.knownResult.reset();
      change.ranKnown = false;
      combiner_.write(change);
      if (change.ranKnown) {
        if (change.knownResult && change.knownResult->rows() == 1) {
          settleKnown(*knownPlan, change, result);
          break;
        }
        // The row moved on (or the statement failed): planned again, in SQL, from the row.
        forgetKnown(name);
        change.knownSql = nullptr;
        change.knownParams.clear();
        knownPlan.reset();
        if (!change.knownResult) {
          break;  // logged by run(), an outage once a second
        }
        continue;
      }
      if (settle(change, update, now, result) != Write::kConflict) {
        break;
      }
    }
  } catch (const std::exception& e) {
    logging::get("store")->error("record write failed name={} error=\"{}\"", name, e.what());
  }
  if (result.outcome == SetOutcome::kFailed) {
    result.after = result.before;
  }
  return result;
}

}  // namespace chipmunk::api
