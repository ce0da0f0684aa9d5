// SPDX-License-Identifier: MIT
#pragma once

// Retry-After (RFC 9110 section 10.2.3) and the HTTP dates it may carry.

#include <chrono>
#include <ctime>
#include <optional>
#include <string>

namespace chipmunk::providers {

// The longest Retry-After we read: longer waits (a date in year 9999, 999999999 s) saturate
// here, so that no caller's clock arithmetic can overflow. It is the largest retry_max the
// configuration accepts; retryDelay() (provider.hpp) then caps it at the configured one.
inline constexpr std::chrono::seconds kMaxRetryAfter{7 * 24 * 3600};

// Parses a Retry-After value: delta-seconds or an HTTP-date, relative to `now`. A date in
// the past is 0 s; anything longer than kMaxRetryAfter is kMaxRetryAfter. Nonsense
// (negative, fractions, garbage) is nullopt.
std::optional<std::chrono::seconds> parseRetryAfter(const std::string& value, std::time_t now);

// Parses an HTTP date in the three formats of RFC 9110 section 5.6.7 (IMF-fixdate, RFC 850,
// asctime), as UTC; nullopt for anything else or trailing text.
std::optional<std::time_t> parseHttpDate(const std::string& text);

}  // namespace chipmunk::providers
