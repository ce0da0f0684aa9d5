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

}  // namespace chipmunk::api
