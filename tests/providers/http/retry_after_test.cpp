// SPDX-License-Identifier: MIT
#include "providers/http/retry_after.hpp"

#include <catch2/catch.hpp>

#include "providers/provider.hpp"  // retryDelay(), the one rule that clamps what is read here

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;

TEST_CASE("HttpClient: parses Retry-After seconds and dates", "[providers][unit]") {
  CHECK(parseRetryAfter("120", 1000) == std::chrono::seconds(120));
  CHECK(parseRetryAfter(" 0 ", 1000) == std::chrono::seconds(0));
  // 1994-11-06 08:49:37 UTC = 784111777
  CHECK(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30) ==
        std::chrono::seconds(30));
  CHECK(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30) ==
        std::chrono::seconds(0));
  CHECK_FALSE(parseRetryAfter("soon", 1000));
  CHECK_FALSE(parseRetryAfter("", 1000));
  CHECK_FALSE(parseRetryAfter("-5", 1000));
}

TEST_CASE("HttpClient: hostile Retry-After values saturate or are refused, never overflow",
          "[providers][unit]") {
  const std::time_t now = 1700000000;
  // Far future: saturates at kMaxRetryAfter (7 days), which no clock arithmetic overflows.
  CHECK(parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now) == kMaxRetryAfter);
  CHECK(parseRetryAfter("999999999", now) == kMaxRetryAfter);
  CHECK(parseRetryAfter("604800", now) == std::chrono::seconds(604800));
  CHECK(parseRetryAfter("604801", now) == kMaxRetryAfter);
  CHECK(parseRetryAfter(std::string(400, '9'), now) == kMaxRetryAfter);
  CHECK(parseRetryAfter("00000000000000000007", now) == std::chrono::seconds(7));
  // Past and epoch dates: now.
  CHECK(parseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", now) == std::chrono::seconds(0));
  CHECK(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now) == std::chrono::seconds(0));
  // Garbage, negative, fractions: no Retry-After at all.
  for (const char* bad : {"-1", "-999999999999", "1.5", "1e9", "120abc", "+5", "0x10",
                          "Fri, 31 Dec 99999 23:59:59 GMT", "Fri, 32 Dec 2025 00:00:00 GMT"}) {
    INFO(bad);
    CHECK_FALSE(parseRetryAfter(bad, now));
  }
}

TEST_CASE("Unit: one clamped rule for every retry delay", "[providers][unit]") {
  using std::chrono::seconds;
  const seconds hour(3600);
  // No Retry-After: the backoff.
  CHECK(retryDelay(std::nullopt, seconds(10), hour) == seconds(10));
  // Retry-After within retry_max: honoured when later than the backoff.
  CHECK(retryDelay(seconds(120), seconds(10), hour) == seconds(120));
  CHECK(retryDelay(seconds(2), seconds(10), hour) == seconds(10));
  // Retry-After 0 or a past date cannot make us hammer the server.
  CHECK(retryDelay(seconds(0), seconds(10), hour) == seconds(10));
  CHECK(retryDelay(seconds(0), seconds(0), hour) == seconds(1));
  // Longer than retry_max (999999999, year 9999): retry_max.
  CHECK(retryDelay(seconds(999999999), seconds(10), hour) == hour);
  CHECK(retryDelay(kMaxRetryAfter, seconds(10), seconds(2)) == seconds(2));
  CHECK(retryDelay(seconds(-5), seconds(-5), hour) == seconds(1));
  CHECK(retryDelay(std::nullopt, seconds(7200), hour) == hour);
  // A nonsensical retry_max still gives a delay in [1 s, kMaxRetryAfter].
  CHECK(retryDelay(seconds(50), seconds(10), seconds(0)) == seconds(1));
  CHECK(retryDelay(seconds::max(), seconds::max(), seconds::max()) == kMaxRetryAfter);
  // And the clock survives the longest delay.
  const auto now = std::chrono::steady_clock::now();
  CHECK(now + retryDelay(parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", std::time(nullptr)),
                         seconds(1), seconds(604800)) >
        now);
}

TEST_CASE("Unit: parseHttpDate reads the three date formats of RFC 9110 and nothing else",
          "[providers][unit]") {
  // 1994-11-06 08:49:37 UTC, the RFC's own example, in each format.
  const std::time_t expected = 784111777;
  CHECK(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT") == expected);
  CHECK(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT") == expected);
  CHECK(parseHttpDate("Sun Nov  6 08:49:37 1994") == expected);
  CHECK_FALSE(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
  CHECK_FALSE(parseHttpDate("1994-11-06T08:49:37Z"));
  CHECK_FALSE(parseHttpDate(""));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
