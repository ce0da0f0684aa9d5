// SPDX-License-Identifier: MIT
// The PostgreSQL store. Every statement (api/pg_store_sql.cpp) is a single round trip run
// in autocommit (one statement, one transaction): a change writes the record and its outbox
// row from one statement (data-modifying CTEs), so neither is ever committed without the
// other. update() is in api/pg_store_write.cpp (the write combiner's side).
#include "api/pg_store.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <random>
#include <utility>

#include <openssl/rand.h>

#include "api/pg_store_sql.hpp"
#include "api/record_json.hpp"
#include "common/logging.hpp"
#include "common/strings.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api {

namespace {

std::shared_ptr<spdlog::logger> pgLog() {
  return logging::get("store");
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
          addressText(r.ip),
          addressText(r.ipv4),
          addressText(r.ipv6),
          std::to_string(r.firstSeen),
          std::to_string(r.changedAt),
          std::to_string(r.lastSeen),
          std::to_string(r.ttl),
          std::string(r.expired ? "true" : "false"),
          std::to_string(r.expiredAt),
          metadataToJson(r.metadata),
          expiresAt(r)};
}

// 96 random bits in hex: this process's write tokens begin with them (PgStore::writeToken).
std::string randomPrefix() {
  std::string bytes(12, '\0');
  auto* data = reinterpret_cast<unsigned char*>(bytes.data());
  if (RAND_bytes(data, static_cast<int>(bytes.size())) != 1) {
    std::random_device device;  // OpenSSL without randomness: the tokens need only differ
    for (auto& b : bytes) {
      b = static_cast<char>(device());
    }
  }
  return hexOf(bytes);
}

}  // namespace

PgStore::PgStore(std::shared_ptr<pg::Pool> pool, std::chrono::seconds flushInterval,
                 size_t batchesInFlight)
    : pool_(std::move(pool)),
      flushInterval_(flushInterval),
      tokenPrefix_(randomPrefix() + "-"),
      waker_(std::make_unique<pg::Waker>(pool_->conninfo())),
      combiner_([this](const std::vector<pg::QueuedChange*>& batch) { return runBatch(batch); },
                std::min(batchesInFlight, pool_->size())) {}

PgStore::~PgStore() {
  flush();
}

std::string PgStore::writeToken() {
  return tokenPrefix_ + std::to_string(tokens_.fetch_add(1, std::memory_order_relaxed));
}

void PgStore::logUnavailable(const std::string& error) {
  // During an outage every request fails the same way: one line a second, with a count.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  ++unavailable_;
  int64_t last = lastUnavailableLog_.load();
  if (now != last && lastUnavailableLog_.compare_exchange_strong(last, now)) {
    pgLog()->error("database unavailable failures={} error=\"{}\"", unavailable_.exchange(0),
                   error);
  }
}

bool PgStore::run(const std::string& sql, const pg::Params& params, pg::Result& out) {
  switch (pool_->run(sql, params, out)) {
    case pg::Pool::RunStatus::kOk:
      return true;
    case pg::Pool::RunStatus::kFailed:
      pgLog()->error("database statement failed error=\"{}\"", out.error());
      return false;
    case pg::Pool::RunStatus::kUnavailable:
      break;
  }
  logUnavailable(pool_->lastError());
  return false;
}

std::optional<PgStore::Stored> PgStore::load(const std::string& name, bool& failed) {
  pg::Result r;
  failed =
      !run("SELECT " + pg_sql::columns() + " FROM chipmunk_records WHERE name = $1", {name}, r);
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

int64_t PgStore::unwrittenSeen(const std::string& name) {
  std::lock_guard<std::mutex> lock(seenMutex_);
  const auto it = seen_.find(name);
  return it == seen_.end() ? 0 : it->second;
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
    pgLog()->error("record read failed name={} error=\"{}\"", name, e.what());
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
    if (!run("SELECT " + pg_sql::columns() +
                 " FROM chipmunk_records WHERE name > $1 ORDER BY name LIMIT $2",
             {after, std::to_string(bounded)}, r)) {
      return {};
    }
    return records(r);
  } catch (const std::exception& e) {
    pgLog()->error("record list failed error=\"{}\"", e.what());
    return {};
  }
}

bool PgStore::put(const HostRecord& record) {
  try {
    pg::Result r;
    // An exact upsert: running it twice is running it once, so a broken connection is retried.
    if (!run(pg_sql::putRecord(), recordParams(record), r)) {
      pgLog()->error("record write failed name={}", record.name);
      return false;
    }
    std::lock_guard<std::mutex> lock(seenMutex_);
    seen_.erase(record.name);
    return true;
  } catch (const std::exception& e) {
    pgLog()->error("record write failed name={} error=\"{}\"", record.name, e.what());
    return false;
  }
}

bool PgStore::putAll(const std::vector<HostRecord>& records) {
  if (records.empty()) {
    return true;
  }
  try {
    std::vector<pg::Params> columns(12);
    for (const auto& record : records) {
      pg::Params one = recordParams(record);
      for (size_t c = 0; c < columns.size(); ++c) {
        columns[c].push_back(std::move(one[c]));
      }
    }
    pg::Params params;
    for (const auto& column : columns) {
      params.push_back(pg::arrayLiteral(column));
    }
    pg::Result r;
    if (!run(pg_sql::putRecords(), params, r)) {
      return false;
    }
    std::lock_guard<std::mutex> lock(seenMutex_);
    for (const auto& record : records) {
      seen_.erase(record.name);
    }
    return true;
  } catch (const std::exception& e) {
    pgLog()->error("record batch write failed records={} error=\"{}\"", records.size(), e.what());
    return false;
  }
}

std::vector<HostRecord> PgStore::expireDue(int64_t now) {
  try {
    auto lease = pool_->acquire();
    if (!lease) {
      logUnavailable(pool_->lastError());
      return {};
    }
    const auto r =
        lease->execPrepared(pg_sql::expireDue(), {pgNumber(now), pgNumber(kExpireBatch)});
    if (!r.ok()) {
      pgLog()->error("expiry failed error=\"{}\"", r.error());
      return {};
    }
    auto expired = records(r);
    if (!expired.empty()) {
      std::vector<std::string> names;
      names.reserve(expired.size());
      for (const auto& record : expired) {
        names.push_back(record.name);
      }
      waker_->committed(names, true);
    }
    return expired;
  } catch (const std::exception& e) {
    pgLog()->error("expiry failed error=\"{}\"", e.what());
    return {};
  }
}

bool PgStore::flushBatch(const std::vector<std::pair<std::string, int64_t>>& batch) {
  pg::Params names;
  pg::Params times;
  for (const auto& [name, seen] : batch) {
    names.emplace_back(name);
    times.push_back(pgNumber(seen));
  }
  pg::Result r;
  if (!run(pg_sql::flushSeen(), {pg::arrayLiteral(names), pg::arrayLiteral(times)}, r)) {
    return false;
  }
  // The known rows (known_) have the last-seen times the table now has, as read back.
  std::lock_guard<std::mutex> lock(knownMutex_);
  for (const auto& [name, seen] : batch) {
    const auto it = known_.find(name);
    if (it != known_.end() && seen > it->second.storedLastSeen) {
      it->second.storedLastSeen = seen;
      it->second.record.lastSeen = seen;
    }
  }
  return true;
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
        pgLog()->warn("last-seen flush failed; kept for the next one records={}", all.size() - i);
        return;
      }
    }
  } catch (const std::exception& e) {
    pgLog()->error("last-seen flush failed error=\"{}\"", e.what());
  }
}

}  // namespace chipmunk::api
