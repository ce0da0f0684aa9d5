// SPDX-License-Identifier: MIT
// Long file: every statement of the store beside the code that runs it, one class.
// The PostgreSQL store. Every statement is a single round trip run in autocommit (one
// statement, one transaction): a change writes the record and its outbox row from one
// statement (data-modifying CTEs), so neither is ever committed without the other.
#include "api/pg_store.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <utility>

#include "api/record_json.hpp"
#include "api/record_update.hpp"
#include "common/logging.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api {

struct PgStore::Stored {
  HostRecord record;
  bool exists = false;
  int64_t revision = 0;
  int64_t storedLastSeen = 0;  // as in the table (record.lastSeen may be newer, in memory)
};

namespace {

// Contended compare-and-set writes on one record retried before update() gives up.
constexpr int kMaxAttempts = 8;

const std::string kColumns =
    "name, ip, ipv4, ipv6, first_seen, changed_at, last_seen, ttl, expired, expired_at,"
    " metadata::text, revision";

// The outbox's JSON of a row (the shape of recordToJson), from SQL: `ip`, `expired` and
// `expiredAt` are expressions, so that the same builder writes the row before and after
// it expired.
std::string rowJson(const std::string& ip, const std::string& expired,
                    const std::string& expiredAt) {
  return "jsonb_build_object('name', name, 'ip', " + ip +
         ", 'ipv4', ipv4, 'ipv6', ipv6, 'first_seen', first_seen, 'changed_at', changed_at,"
         " 'last_seen', last_seen, 'ttl', ttl, 'expired', " +
         expired + ", 'expired_at', " + expiredAt + ", 'metadata', metadata)";
}

std::shared_ptr<spdlog::logger> log() {
  return logging::get("store");
}

// The connection broke (server restarted or gone, network dropped): worth a retry on a
// fresh connection, unlike an error in the statement.
bool connectionBroke(pg::Connection& conn, const pg::Result& r) {
  const std::string state = r.sqlState();
  return !conn.healthy() || state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0;
}

std::optional<std::string> text(const std::optional<IpAddress>& ip) {
  return ip ? std::optional<std::string>(ip->toString()) : std::nullopt;
}

std::optional<IpAddress> address(const pg::Result& r, int row, int column) {
  return r.isNull(row, column) ? std::nullopt : IpAddress::parse(r.get(row, column));
}

// When the expiry index must find the record: last_seen + ttl while it can expire.
std::optional<std::string> expiresAt(const HostRecord& r) {
  if (r.ttl <= 0 || r.expired || !r.ip) {
    return std::nullopt;
  }
  return std::to_string(r.lastSeen + r.ttl);
}

// The record's columns, $1..$12 of the writes.
pg::Params recordParams(const HostRecord& r) {
  return {r.name,
          text(r.ip),
          text(r.ipv4),
          text(r.ipv6),
          std::to_string(r.firstSeen),
          std::to_string(r.changedAt),
          std::to_string(r.lastSeen),
          std::to_string(r.ttl),
          std::string(r.expired ? "true" : "false"),
          std::to_string(r.expiredAt),
          metadataToJson(r.metadata),
          expiresAt(r)};
}

const std::string kInsertColumns =
    "(name, ip, ipv4, ipv6, first_seen, changed_at, last_seen, ttl, expired, expired_at,"
    " metadata, expires_at, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
    " $11::jsonb, $12, 1)";

// A PostgreSQL array literal of `items` ({"a","b"}), quoted element by element.
std::string arrayLiteral(const std::vector<std::pair<std::string, int64_t>>& items, bool names) {
  std::string out = "{";
  for (const auto& [name, seen] : items) {
    if (out.size() > 1) {
      out += ',';
    }
    if (!names) {
      out += std::to_string(seen);
      continue;
    }
    out += '"';
    for (const char c : name) {
      if (c == '"' || c == '\\') {
        out += '\\';
      }
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace

PgStore::PgStore(std::shared_ptr<pg::Pool> pool, std::chrono::seconds flushInterval)
    : pool_(std::move(pool)), flushInterval_(flushInterval) {}

PgStore::~PgStore() {
  flush();
}

std::string PgStore::noticeCte(const char* from, const char* column) const {
  if (tag_.empty()) {
    return {};
  }
  return std::string(", n AS (SELECT ") + column + " AS name, pg_notify('chipmunk_records', '" +
         tag_ + " ' || " + column + ") FROM " + from + ")";
}

void PgStore::logUnavailable(const std::string& error) {
  // During an outage every request fails the same way: one line a second, with a count.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  ++unavailable_;
  int64_t last = lastUnavailableLog_.load();
  if (now != last && lastUnavailableLog_.compare_exchange_strong(last, now)) {
    log()->error("database unavailable failures={} error=\"{}\"", unavailable_.exchange(0), error);
  }
}

bool PgStore::read(const std::string& sql, const pg::Params& params, pg::Result& out) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto lease = pool_->acquire();
    if (!lease) {
      logUnavailable(pool_->lastError());
      return false;
    }
    out = lease->exec(sql, params);
    if (out.ok()) {
      return true;
    }
    if (!connectionBroke(*lease, out)) {
      log()->error("database statement failed error=\"{}\"", out.error());
      return false;
    }
    log()->warn("database connection broke; retrying on a fresh one error=\"{}\"", out.error());
    pool_->dropIdle();
  }
  return false;
}

std::optional<PgStore::Stored> PgStore::load(const std::string& name, bool& failed) {
  pg::Result r;
  failed = !read("SELECT " + kColumns + " FROM chipmunk_records WHERE name = $1", {name}, r);
  if (failed || r.rows() == 0) {
    return std::nullopt;
  }
  return storedAt(r, 0);
}

PgStore::Stored PgStore::storedAt(const pg::Result& r, int row) {
  Stored s;
  HostRecord& rec = s.record;
  rec.name = std::string(r.get(row, 0));
  rec.ip = address(r, row, 1);
  rec.ipv4 = address(r, row, 2);
  rec.ipv6 = address(r, row, 3);
  rec.firstSeen = r.getInt(row, 4);
  rec.changedAt = r.getInt(row, 5);
  rec.lastSeen = r.getInt(row, 6);
  rec.ttl = r.getInt(row, 7);
  rec.expired = r.get(row, 8) == "t";
  rec.expiredAt = r.getInt(row, 9);
  rec.metadata = metadataFromJson(r.get(row, 10)).value_or(Metadata{});
  s.exists = true;
  s.revision = r.getInt(row, 11);
  s.storedLastSeen = rec.lastSeen;
  return s;
}

void PgStore::overlaySeen(HostRecord& record) {
  std::lock_guard<std::mutex> lock(seenMutex_);
  const auto it = seen_.find(record.name);
  if (it != seen_.end()) {
    record.lastSeen = std::max(record.lastSeen, it->second);
  }
}

void PgStore::forgetSeen(const std::string& name, int64_t upTo) {
  std::lock_guard<std::mutex> lock(seenMutex_);
  const auto it = seen_.find(name);
  if (it != seen_.end() && it->second <= upTo) {
    seen_.erase(it);
  }
}

std::vector<HostRecord> PgStore::records(const pg::Result& r) {
  std::vector<HostRecord> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) {
    out.push_back(storedAt(r, row).record);
    overlaySeen(out.back());
  }
  return out;
}

PgStore::Write PgStore::write(const Stored& before, const HostRecord& next, bool announce) {
  pg::Params params = recordParams(next);
  params.push_back(std::string(announce ? "true" : "false"));
  params.push_back(recordToJson(before.record));
  params.push_back(recordToJson(next));
  std::string change;
  if (before.exists) {
    params.push_back(std::to_string(before.revision));
    change =
        "UPDATE chipmunk_records SET ip = $2, ipv4 = $3, ipv6 = $4, first_seen = $5,"
        " changed_at = $6, last_seen = $7, ttl = $8, expired = $9, expired_at = $10,"
        " metadata = $11::jsonb, expires_at = $12, revision = revision + 1"
        " WHERE name = $1 AND revision = $16 RETURNING 1";
  } else {
    change = "INSERT INTO chipmunk_records " + kInsertColumns +
             " ON CONFLICT (name) DO NOTHING RETURNING 1";
  }
  // The notice CTE, when there is one, has a row per row of w (and is counted so that it runs).
  const std::string notice = noticeCte("w", "$1::text");
  const std::string sql =
      "WITH w AS (" + change +
      "), o AS (INSERT INTO chipmunk_outbox (kind, name, before, after, created_at)"
      " SELECT 'changed', $1, $14::jsonb, $15::jsonb, $7 FROM w WHERE $13::boolean)" +
      notice + " SELECT count(*) FROM " + (notice.empty() ? "w" : "n");
  auto lease = pool_->acquire();
  if (!lease) {
    logUnavailable(pool_->lastError());
    return Write::kFailed;
  }
  const auto r = lease->exec(sql, params);
  if (!r.ok() || r.rows() != 1) {
    // Whether a statement cut off by a broken connection committed is unknown: the client
    // hears of a failure and retries (then finds it unchanged), never of a success.
    log()->error("record write failed name={} error=\"{}\"", next.name, r.error());
    return Write::kFailed;
  }
  return r.getInt(0, 0) == 1 ? Write::kDone : Write::kConflict;
}

UpdateResult PgStore::update(const std::string& name, const RecordUpdate& update, int64_t now) {
  UpdateResult result;
  result.before.name = name;
  result.outcome = SetOutcome::kFailed;
  try {
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      bool failed = false;
      Stored before = load(name, failed).value_or(Stored{});
      if (failed) {
        break;
      }
      before.record.name = name;
      overlaySeen(before.record);
      result.before = before.record;
      const PlannedUpdate p = planUpdate(before.record, before.exists, update, now);
      if (!p.changed) {
        keepSeen(before, now);
        result.after = before.record;
        result.after.lastSeen = std::max(before.record.lastSeen, now);
        result.outcome = SetOutcome::kUnchanged;
        return result;
      }
      result.after = p.next;
      const Write w = write(before, p.next, result.addressChanged());
      if (w == Write::kDone) {
        forgetSeen(name, now);
        result.outcome = SetOutcome::kSaved;
        return result;
      }
      if (w == Write::kFailed) {
        break;
      }
    }
  } catch (const std::exception& e) {
    log()->error("record write failed name={} error=\"{}\"", name, e.what());
  }
  if (result.outcome == SetOutcome::kFailed) {
    result.after = result.before;
  }
  return result;
}

void PgStore::keepSeen(const Stored& before, int64_t now) {
  {
    std::lock_guard<std::mutex> lock(seenMutex_);
    int64_t& seen = seen_[before.record.name];
    seen = std::max(seen, now);
  }
  // The table must not let any replica expire the record before the next flush writes this
  // poll: then it is written now (rare: only when the TTL is short against flush_interval).
  const HostRecord& r = before.record;
  const int64_t margin = 2 * static_cast<int64_t>(flushInterval_.count());
  if (expiresAt(r) && before.storedLastSeen + r.ttl <= now + margin &&
      flushBatch({{r.name, now}})) {
    forgetSeen(r.name, now);
  }
}

std::optional<HostRecord> PgStore::get(const std::string& name) {
  try {
    bool failed = false;
    auto stored = load(name, failed);
    if (!stored) {
      return std::nullopt;
    }
    overlaySeen(stored->record);
    return stored->record;
  } catch (const std::exception& e) {
    log()->error("record read failed name={} error=\"{}\"", name, e.what());
    return std::nullopt;
  }
}

std::vector<HostRecord> PgStore::list() {
  return listAfter("", std::numeric_limits<size_t>::max());
}

std::vector<HostRecord> PgStore::listAfter(const std::string& after, size_t limit) {
  try {
    if (limit == 0) {
      return {};
    }
    const auto bounded =
        std::min<size_t>(limit, static_cast<size_t>(std::numeric_limits<int64_t>::max()));
    pg::Result r;
    if (!read(
            "SELECT " + kColumns + " FROM chipmunk_records WHERE name > $1 ORDER BY name LIMIT $2",
            {after, std::to_string(bounded)}, r)) {
      return {};
    }
    return records(r);
  } catch (const std::exception& e) {
    log()->error("record list failed error=\"{}\"", e.what());
    return {};
  }
}

bool PgStore::put(const HostRecord& record) {
  try {
    pg::Result r;
    const std::string sql =
        "INSERT INTO chipmunk_records " + kInsertColumns +
        " ON CONFLICT (name) DO UPDATE SET ip = $2, ipv4 = $3, ipv6 = $4, first_seen = $5,"
        " changed_at = $6, last_seen = $7, ttl = $8, expired = $9, expired_at = $10,"
        " metadata = $11::jsonb, expires_at = $12,"
        " revision = chipmunk_records.revision + 1";
    // An exact upsert: running it twice is running it once, so a broken connection is retried.
    if (!read(sql, recordParams(record), r)) {
      log()->error("record write failed name={}", record.name);
      return false;
    }
    std::lock_guard<std::mutex> lock(seenMutex_);
    seen_.erase(record.name);
    return true;
  } catch (const std::exception& e) {
    log()->error("record write failed name={} error=\"{}\"", record.name, e.what());
    return false;
  }
}

std::vector<HostRecord> PgStore::expireDue(int64_t now) {
  // FOR UPDATE SKIP LOCKED: replicas expiring at once take disjoint rows, and a row that
  // another replica just expired no longer matches when re-checked (its expires_at is NULL).
  const std::string sql =
      "WITH due AS (SELECT " + kColumns + ", " + rowJson("ip", "expired", "expired_at") +
      " AS before_json, " + rowJson("NULL::text", "true", "$1::bigint") +
      " AS after_json FROM chipmunk_records WHERE expires_at <= $1 ORDER BY expires_at"
      " LIMIT $2 FOR UPDATE SKIP LOCKED),"
      " up AS (UPDATE chipmunk_records r SET ip = NULL, expired = true, expired_at = $1,"
      " expires_at = NULL, revision = r.revision + 1 FROM due WHERE r.name = due.name),"
      " o AS (INSERT INTO chipmunk_outbox (kind, name, before, after, created_at)"
      " SELECT 'expired', name, before_json, after_json, $1 FROM due)" +
      noticeCte("due", "name") + " SELECT " + kColumns + " FROM due" +
      (tag_.empty() ? "" : " WHERE name IN (SELECT name FROM n)") + " ORDER BY name";
  try {
    auto lease = pool_->acquire();
    if (!lease) {
      logUnavailable(pool_->lastError());
      return {};
    }
    const auto r = lease->exec(sql, {std::to_string(now), std::to_string(kExpireBatch)});
    if (!r.ok()) {
      log()->error("expiry failed error=\"{}\"", r.error());
      return {};
    }
    return records(r);
  } catch (const std::exception& e) {
    log()->error("expiry failed error=\"{}\"", e.what());
    return {};
  }
}

bool PgStore::flushBatch(const std::vector<std::pair<std::string, int64_t>>& batch) {
  pg::Result r;
  return read(
      "UPDATE chipmunk_records r SET last_seen = GREATEST(r.last_seen, v.seen),"
      " expires_at = CASE WHEN r.expires_at IS NULL THEN NULL"
      " ELSE GREATEST(r.last_seen, v.seen) + r.ttl END"
      " FROM unnest($1::text[], $2::bigint[]) AS v(name, seen) WHERE r.name = v.name",
      {arrayLiteral(batch, true), arrayLiteral(batch, false)}, r);
}

void PgStore::flush() {
  try {
    std::vector<std::pair<std::string, int64_t>> all;
    {
      std::lock_guard<std::mutex> lock(seenMutex_);
      all.assign(seen_.begin(), seen_.end());
      seen_.clear();
    }
    // In name order: replicas flushing overlapping records lock them in the same order.
    std::sort(all.begin(), all.end());
    for (size_t i = 0; i < all.size(); i += kFlushBatch) {
      const auto end =
          all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), i + kFlushBatch));
      std::vector<std::pair<std::string, int64_t>> batch(
          all.begin() + static_cast<std::ptrdiff_t>(i), end);
      if (!flushBatch(batch)) {
        // Kept for the next flush, unless a newer poll came meanwhile.
        std::lock_guard<std::mutex> lock(seenMutex_);
        for (auto it = all.begin() + static_cast<std::ptrdiff_t>(i); it != all.end(); ++it) {
          int64_t& seen = seen_[it->first];
          seen = std::max(seen, it->second);
        }
        log()->warn("last-seen flush failed; kept for the next one records={}", all.size() - i);
        return;
      }
    }
  } catch (const std::exception& e) {
    log()->error("last-seen flush failed error=\"{}\"", e.what());
  }
}

}  // namespace chipmunk::api
