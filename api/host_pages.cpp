// SPDX-License-Identifier: MIT
#include "api/host_pages.hpp"

#include <algorithm>

#include "api/watch_hub.hpp"
#include "common/base64.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {
namespace {

const std::string kCursorPrefix = "n1:";
constexpr size_t kMaxCursorLength = 400;  // base64 of the prefix and a 253-byte host name
constexpr size_t kMaxVersionLength = 64;  // ours: 32 hex digits, '-' and a counter

bool isDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string parseLimit(const std::string& text, size_t& limit) {
  if (!isDigits(text) || text.size() > 4 || std::stoul(text) < 1 ||
      std::stoul(text) > kMaxPageLimit) {
    return "Bad Request: limit must be a number from 1 to " + std::to_string(kMaxPageLimit);
  }
  limit = std::stoul(text);
  return {};
}

// The readable records of a read_all user: listAfter in chunks, skipping records no longer
// configured, until one more than the page holds (which says there is a next page).
std::vector<HostRecord> readAllAfter(const RouteCall& call, const std::string& after,
                                     size_t wanted) {
  std::vector<HostRecord> out;
  std::string from = after;
  while (out.size() < wanted) {
    const size_t chunk = std::max<size_t>(wanted - out.size(), 64);  // what is missing
    auto batch = call.store.listAfter(from, chunk);
    if (batch.empty()) {
      break;
    }
    from = batch.back().name;
    const bool last = batch.size() < chunk;
    if (call.config.ownership && call.config.ownership->hasSource()) {
      // With the PostgreSQL directory: one query for the owners of the chunk, not one each
      // (the names copied only for it).
      std::vector<std::string> names;
      names.reserve(batch.size());
      for (const auto& r : batch) {
        names.push_back(r.name);
      }
      call.config.ownership->prefetch(names);
    }
    for (auto& r : batch) {
      if (out.size() < wanted && !call.config.ownerOf(r.name).empty()) {
        out.push_back(std::move(r));
      }
    }
    if (last) {
      break;
    }
  }
  return out;
}

// The records of the names a user may read (its own and its mesh peers'), in name order:
// one get per name, at most `wanted`.
std::vector<HostRecord> ownedAfter(const RouteCall& call, const std::string& after, size_t wanted) {
  const auto names = call.config.namesReadableBy(call.user);
  std::vector<HostRecord> out;
  for (auto it = std::upper_bound(names.begin(), names.end(), after);
       it != names.end() && out.size() < wanted; ++it) {
    if (auto r = call.store.get(*it)) {
      out.push_back(std::move(*r));
    }
  }
  return out;
}

}  // namespace

std::string encodeCursor(const std::string& name) {
  std::string text = base64Encode(kCursorPrefix + name);
  for (char& c : text) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  text.erase(std::find(text.begin(), text.end(), '='), text.end());
  return text;
}

std::optional<std::string> decodeCursor(const std::string& cursor) {
  if (cursor.empty() || cursor.size() > kMaxCursorLength) {
    return std::nullopt;
  }
  std::string text = cursor;
  for (char& c : text) {
    if (c == '+' || c == '/' || c == '=') {
      return std::nullopt;  // base64url, unpadded: one spelling per cursor
    }
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  const auto decoded = base64Decode(text, false);
  if (!decoded || decoded->compare(0, kCursorPrefix.size(), kCursorPrefix) != 0) {
    return std::nullopt;
  }
  std::string name = decoded->substr(kCursorPrefix.size());
  if (!config::isValidUserName(name) && !config::isValidHostName(name)) {
    return std::nullopt;
  }
  return name;
}

namespace {

// A 400's reason when one of `keys` is given more than once, else empty.
std::string repeated(const Fields& query, std::initializer_list<const char*> keys) {
  for (const std::string key : keys) {
    const auto n = std::count_if(query.begin(), query.end(),
                                 [&](const auto& field) { return field.first == key; });
    if (n > 1) {
      return "Bad Request: " + key + " given more than once";
    }
  }
  return {};
}

}  // namespace

std::string parsePageRequest(const Fields& query, bool withBack, PageRequest& out) {
  if (auto error = repeated(query, {"limit", "cursor", "back"}); !error.empty()) {
    return error;
  }
  for (const auto& [key, value] : query) {
    if (key == "limit") {
      const std::string error = parseLimit(value, out.limit);
      if (!error.empty()) {
        return error;
      }
    } else if (key == "cursor") {
      const auto name = decodeCursor(value);
      if (!name) {
        return "Bad Request: invalid cursor";
      }
      out.after = *name;
      out.cursor = value;
    } else if (withBack && key == "back") {
      if (!value.empty() && !decodeCursor(value)) {  // empty: back to the first page
        return "Bad Request: invalid back";
      }
      out.back = value;
    }
  }
  return {};
}

std::string parseWatchRequest(const Fields& query, const PageRequest& page, WatchRequest& out) {
  if (auto error = repeated(query, {"wait", "since"}); !error.empty()) {
    return error;
  }
  for (const auto& [key, value] : query) {
    if (key == "wait") {
      if (!isDigits(value) || value.size() > 2 || std::stoi(value) < 1 ||
          std::stoi(value) > kMaxWatchSeconds) {
        return "Bad Request: wait must be a number of seconds from 1 to " +
               std::to_string(kMaxWatchSeconds);
      }
      out.seconds = std::stoi(value);
    } else if (key == "since") {
      if (value.size() > kMaxVersionLength) {
        return "Bad Request: invalid since";
      }
      out.since = value;
    }
  }
  if (out.seconds > 0 && !page.cursor.empty()) {
    return "Bad Request: wait is for the first page only (no cursor)";
  }
  return {};
}

std::string visibleVersion(const config::ApiConfig& config, WatchHub& hub,
                           const std::string& user) {
  return config.mayReadAll(user) ? hub.versionOfAll() : hub.versionOf(config.namesReadableBy(user));
}

RecordPage readPage(const RouteCall& call, const PageRequest& request) {
  RecordPage page;
  const size_t wanted = request.limit + 1;  // one more: is there a next page?
  page.records = call.config.mayReadAll(call.user) ? readAllAfter(call, request.after, wanted)
                                                   : ownedAfter(call, request.after, wanted);
  if (page.records.size() > request.limit) {
    page.records.resize(request.limit);
    page.next = encodeCursor(page.records.back().name);
  }
  return page;
}

}  // namespace chipmunk::api
