// SPDX-License-Identifier: MIT
// /hosts and the page in pages: a page request (limit, cursor) read from the query, the
// opaque cursor, and the page of records a caller may read, at a cost proportional to what
// that caller may see (api/route_hosts.cpp answers with it).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "api/routes.hpp"
#include "api/store.hpp"

namespace chipmunk::api {

constexpr size_t kDefaultPageLimit = 100;
constexpr size_t kMaxPageLimit = 1000;

struct PageRequest {
  size_t limit = kDefaultPageLimit;
  std::string after;                // the last name of the previous page ("" from the start)
  std::string cursor;               // as the client sent it (empty: the first page)
  std::optional<std::string> back;  // the page's "previous" cursor (the page's links only)
};

// The cursor of a page ending with `name`: opaque to clients (base64url of a versioned
// text), so that its form can change without breaking them.
std::string encodeCursor(const std::string& name);
// The name a cursor stands for; nullopt when it is not one we could have made.
std::optional<std::string> decodeCursor(const std::string& cursor);

// Reads limit, cursor (and, with `withBack`, back) from `query`; other fields are left to
// the caller. Returns an error message for a 400 (a bad limit, a tampered cursor, a
// repeated field), or empty.
std::string parsePageRequest(const Fields& query, bool withBack, PageRequest& out);

// GET /hosts?wait=N&since=V (the watch): N seconds, 1 to kMaxWatchSeconds; 0 when not asked.
constexpr int kMaxWatchSeconds = 60;
struct WatchRequest {
  int seconds = 0;
  std::string since;  // the version the caller has; empty: none
};
// Reads wait and since from `query`; an error message for a 400 (a bad wait, wait with a
// cursor, a field given twice, a since too long to be ours), or empty.
std::string parseWatchRequest(const Fields& query, const PageRequest& page, WatchRequest& out);

// The version of what `user` may read now (WatchHub): of every record for a read_all user,
// else of the names config::ApiConfig::namesReadableBy gives.
std::string visibleVersion(const config::ApiConfig& config, WatchHub& hub, const std::string& user);

struct RecordPage {
  std::vector<HostRecord> records;  // sorted by name
  std::string next;                 // the next page's cursor; empty on the last page
};

// The page of records the caller may read after `request.after`: a read_all user's from
// Store::listAfter, anyone else's from the names they own and their mesh peers own
// (config::ApiConfig::namesReadableBy; one Store::get per name, never a walk over the
// store). A record no longer configured is nobody's and never shown.
RecordPage readPage(const RouteCall& call, const PageRequest& request);

}  // namespace chipmunk::api
