// SPDX-License-Identifier: MIT
#include "api/record_update.hpp"

namespace chipmunk::api {

PlannedUpdate planUpdate(const HostRecord& before, bool exists, const RecordUpdate& u,
                         int64_t now) {
  PlannedUpdate p{before};
  HostRecord& n = p.next;
  n.ipv4 = u.ipv4 ? u.ipv4 : before.ipv4;
  n.ipv6 = u.ipv6 ? u.ipv6 : before.ipv6;
  if (const auto primary = u.primary ? u.primary : (u.ipv4 ? u.ipv4 : u.ipv6)) {
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
  p.changed =
      moved || !exists || before.expired || n.metadata != before.metadata || n.ttl != before.ttl;
  if (moved || n.firstSeen == 0) {
    n.changedAt = now;
  }
  if (n.firstSeen == 0) {
    n.firstSeen = now;
  }
  return p;
}

}  // namespace chipmunk::api
