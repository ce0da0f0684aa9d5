// SPDX-License-Identifier: MIT
#include "providers/http/retry_after.hpp"

#include <algorithm>
#include <cctype>

#include "common/strings.hpp"

namespace chipmunk::providers {

std::optional<std::time_t> parseHttpDate(const std::string& text) {
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), format, &tm);
    if (end != nullptr && *end == '\0') {
      return ::timegm(&tm);
    }
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> parseRetryAfter(const std::string& value, std::time_t now) {
  const std::string v(trimAscii(value));
  if (v.empty()) {
    return std::nullopt;
  }
  const long long cap = kMaxRetryAfter.count();
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    long long seconds = 0;
    for (const char c : v) {
      seconds = std::min(cap, seconds * 10 + (c - '0'));  // saturates: no overflow
    }
    return std::chrono::seconds(seconds);
  }
  const auto when = parseHttpDate(v);
  if (!when) {
    return std::nullopt;
  }
  // time_t is 64-bit: the difference of two of them (year 9999 or a timegm() -1) is exact.
  const long long delta = *when > now ? static_cast<long long>(*when - now) : 0;
  return std::chrono::seconds(std::min(cap, delta));
}

}  // namespace chipmunk::providers
