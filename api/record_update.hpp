// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

#include "api/store.hpp"

namespace chipmunk::api {

// What Store::update makes of record `before` (`exists`: it is stored) at `now`: the next
// record, and whether anything but the last-seen time changed (then it is written: kSaved;
// else kUnchanged). The rules every store shares: unset fields keep their value; the
// primary address defaults to the IPv4 one, else the IPv6 one; an update clears the expiry;
// changed_at moves with an address (or the first write), first_seen is set once.
struct PlannedUpdate {
  HostRecord next;
  bool changed = false;
};

PlannedUpdate planUpdate(const HostRecord& before, bool exists, const RecordUpdate& update,
                         int64_t now);

// A stored record's fields as changesStored() weighs them (`metadata` null: none).
struct StoredFields {
  const std::optional<IpAddress>& ip;
  const std::optional<IpAddress>& ipv4;
  const std::optional<IpAddress>& ipv6;
  bool expired;
  const Metadata* metadata;
  int64_t ttl;
};

// planUpdate's `changed` for a stored record, without building the next record (an
// unchanged update answered from memory: Store::updateIfUnchanged).
bool changesStored(const StoredFields& before, const RecordUpdate& update);

}  // namespace chipmunk::api
