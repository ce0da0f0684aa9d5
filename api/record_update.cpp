// SPDX-License-Identifier: MIT
#include "api/record_update.hpp"

namespace chipmunk::api {

PlannedUpdate planUpdate(const HostRecord& before, bool exists, const RecordUpdate& u,
                         int64_t now) {
  PlannedUpdate p{before};
  HostRecord& n = p.next;
  n.ipv4 = u.ipv4 ? u.ipv4 : before.ipv4;
  n.ipv6 = u.ipv6 ? u.ipv6 : before.ipv6;
  if (const auto& primary = u.primaryAddress()) {
    n.ip = primary;
  }
  n.metadata = u.metadata.value_or(before.metadata);
  n.ttl = u.ttl.value_or(before.ttl);
  n.lastSeen = now;
  n.expired = false;
  n.expiredAt = 0;
  // An expired record that gets an address back has moved, even to the same address.
  const bool moved = n.ip != before.ip || (before.expired && n.ip) || n.ipv4 != before.ipv4 ||
                     n.ipv6 != before.ipv6;
  p.changed = !exists || changesStored({before.ip, before.ipv4, before.ipv6, before.expired,
                                        &before.metadata, before.ttl},
                                       u);
  if (moved || n.firstSeen == 0) {
    n.changedAt = now;
  }
  if (n.firstSeen == 0) {
    n.firstSeen = now;
  }
  return p;
}

bool changesStored(const StoredFields& before, const RecordUpdate& u) {
  // As planUpdate builds the next record: a field given replaces the stored one; an expired
  // record that gets an address back has moved, even to the same address (and a
  // metadata-only update clears the expiry: a change too).
  if (before.expired) {
    return true;
  }
  const auto& primary = u.primaryAddress();
  static const Metadata kNone;
  const Metadata& metadata = before.metadata != nullptr ? *before.metadata : kNone;
  return (primary && primary != before.ip) || (u.ipv4 && u.ipv4 != before.ipv4) ||
         (u.ipv6 && u.ipv6 != before.ipv6) || (u.metadata && *u.metadata != metadata) ||
         (u.ttl && *u.ttl != before.ttl);
}

}  // namespace chipmunk::api
