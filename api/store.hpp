// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"

namespace chipmunk::api {

// Metadata a host publishes about itself (WireGuard key and port, LAN address, ...):
// validated field name -> value.
using Metadata = std::map<std::string, std::string>;

// What the service knows of one machine (a user's own record or a host name it owns).
// Times are Unix seconds (0: never).
struct HostRecord {
  std::string name;
  std::optional<IpAddress> ip;  // the current address, as in <name>.cm
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;
  int64_t firstSeen = 0;
  int64_t changedAt = 0;
  int64_t lastSeen = 0;
  int64_t ttl = 0;       // seconds; 0: never expires
  bool expired = false;  // not refreshed within ttl: addresses withdrawn
  int64_t expiredAt = 0;
  Metadata metadata;

  bool hasAddress() const { return ip.has_value() && !expired; }
};

enum class SetOutcome { kSaved, kUnchanged, kFailed };

// One update of a record. Unset fields keep their value.
struct RecordUpdate {
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;
  // The address for <name>.cm; defaults to ipv4, else ipv6.
  std::optional<IpAddress> primary;
  std::optional<Metadata> metadata;
  std::optional<int64_t> ttl;
  // The address it gives <name>.cm: primary, else ipv4, else ipv6 (none: it sets none).
  const std::optional<IpAddress>& primaryAddress() const {
    return primary ? primary : (ipv4 ? ipv4 : ipv6);
  }
};

// Whether `after` changes `before`'s addresses or its expiry: what the hooks, the pushes
// and the PostgreSQL outbox announce.
inline bool addressesChanged(const HostRecord& before, const HostRecord& after) {
  return before.ipv4 != after.ipv4 || before.ipv6 != after.ipv6 || before.ip != after.ip ||
         before.expired != after.expired;
}

struct UpdateResult {
  SetOutcome outcome = SetOutcome::kUnchanged;
  HostRecord before;
  HostRecord after;
  bool addressChanged() const { return addressesChanged(before, after); }
};

// Where records live. The routes only talk to this interface, so a database store can
// replace the file store without touching them. Implementations are thread-safe.
class Store {
 public:
  virtual ~Store() = default;
  // Applies `update` to record `name` seen at `now`. kSaved when something changed (or the
  // record is new) and was written durably; kUnchanged when nothing but the last-seen
  // time changed; kFailed when it could not be written: the previous record is intact.
  virtual UpdateResult update(const std::string& name, const RecordUpdate& update, int64_t now) = 0;
  // update() for an HTTP I/O thread, which must not wait: when `update` changes nothing but
  // the last-seen time of a stored record and the store can tell so from memory at once (no
  // lock to wait for, no disk, no round trip), does what update() does then (its outcome:
  // kUnchanged) and returns true; otherwise changes nothing and returns false, and the caller
  // runs update() on a writer thread. The default declines (PgStore: every update is a
  // round trip).
  virtual bool updateIfUnchanged(const std::string& /*name*/, const RecordUpdate& /*update*/,
                                 int64_t /*now*/) {
    return false;
  }
  // False when updateIfUnchanged() always declines: callers need not prepare to ask.
  virtual bool answersUnchanged() const { return false; }
  virtual std::optional<HostRecord> get(const std::string& name) = 0;
  // Every record the store holds, sorted by name.
  virtual std::vector<HostRecord> list() = 0;
  // At most `limit` records whose names sort after `after` ("" from the start), sorted by
  // name: one page of list(). Stores override it to cost what the page holds.
  virtual std::vector<HostRecord> listAfter(const std::string& after, size_t limit) {
    std::vector<HostRecord> page;
    for (auto& r : list()) {
      if (page.size() >= limit) {
        break;
      }
      if (r.name > after) {
        page.push_back(std::move(r));
      }
    }
    return page;
  }
  // Writes `record` exactly as given (every field, times included), durably, replacing any
  // record of that name; false when it could not be written. For `chipmunk-api migrate`
  // and restores, not for clients' updates.
  virtual bool put(const HostRecord& record) = 0;
  // Writes every record of `records` as put() does; false when one could not be written
  // (the others may have been: put() them one by one to know which). Stores override it to
  // write many in one transaction.
  virtual bool putAll(const std::vector<HostRecord>& records) {
    bool ok = true;
    for (const auto& r : records) {
      ok = put(r) && ok;
    }
    return ok;
  }
  // Withdraws the addresses of records whose TTL ran out by `now`; returns them as they
  // were before expiring.
  virtual std::vector<HostRecord> expireDue(int64_t now) = 0;
  // Writes out soft data (last-seen times) kept in memory.
  virtual void flush() = 0;
  // How many records the store holds (/metrics); stores override it to cost less than a list.
  virtual size_t count() { return list().size(); }

  // The original Chipmunk's /set: the caller's address becomes the record's address.
  UpdateResult recordIp(const std::string& name, const IpAddress& ip, int64_t now) {
    RecordUpdate u;
    (ip.isV4() ? u.ipv4 : u.ipv6) = ip;
    u.primary = ip;
    return update(name, u, now);
  }
};

}  // namespace chipmunk::api
