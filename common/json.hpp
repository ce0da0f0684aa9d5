// SPDX-License-Identifier: MIT
#pragma once

// Bounded JSON parsing for everything the programs read: provider replies, discovery replies
// and the state files on disk. RapidJSON's default parser recurses once per nesting level, so
// a reply of 1 MB of "[" overflows the stack of the thread that parses it (issue #11). Here the
// text is refused above a size cap, its nesting is measured by a linear scan before parsing,
// and the parse itself is RapidJSON's iterative one (its stack is on the heap).

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace chipmunk::json {

// The largest text we parse: the HTTP client's reply cap (providers/http/client.hpp).
inline constexpr size_t kMaxBytes = 1024 * 1024;
// Deeper than anything a provider, a discovery service or our own files send (Cloudflare's
// and Linode's envelopes are 4 levels deep).
inline constexpr size_t kMaxDepth = 64;

struct Limits {
  size_t maxBytes = kMaxBytes;
  size_t maxDepth = kMaxDepth;
};

// The deepest nesting of arrays and objects in `text` (brackets inside strings do not count),
// stopping as soon as it exceeds `limit` (then returns limit + 1). Linear, no recursion.
size_t nestingDepth(std::string_view text, size_t limit);

// Parses `text` into `doc`. On failure (too large, too deep, not JSON) returns false with the
// reason in `error`, and `doc` holds null. Never recurses on the input.
bool parse(rapidjson::Document& doc, std::string_view text, std::string& error,
           const Limits& limits = Limits());

}  // namespace chipmunk::json
