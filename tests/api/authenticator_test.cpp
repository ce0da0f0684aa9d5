// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "api/authenticator.hpp"
#include "common/password_hash.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::IpAddress;
using chipmunk::api::Authenticator;
using chipmunk::api::LoginLimiter;
using chipmunk::config::ApiUser;
using std::chrono::seconds;

// The limiter tests' "now": an arbitrary steady-clock instant.
const auto kT0 = std::chrono::steady_clock::time_point() + seconds(1000);

IpAddress addr(const char* text) {
  return *IpAddress::parse(text);
}

TEST_CASE("Unit: plaintext and hashed users authenticate and others do not", "[api][unit]") {
  std::vector<ApiUser> users = {{"plain", "pw1", false, "x:1"},
                                {"hashed", chipmunk::hashPassword("pw2", 10000), true, "x:2"}};
  Authenticator auth(users);
  CHECK(auth.verifyFast("plain", "pw1") == true);
  // A wrong plaintext password is not answered fast: it pays the same KDF as any failure.
  CHECK_FALSE(auth.verifyFast("plain", "pw2").has_value());
  CHECK_FALSE(auth.verifySlow("plain", "pw2"));
  CHECK(auth.verify("plain", "pw1"));
  // A hashed user's first check needs the KDF; after a success it is cached.
  CHECK_FALSE(auth.verifyFast("hashed", "pw2").has_value());
  CHECK(auth.verifySlow("hashed", "pw2"));
  CHECK(auth.verifyFast("hashed", "pw2") == true);
  // A wrong password is never answered from the cache.
  CHECK_FALSE(auth.verifyFast("hashed", "pw3").has_value());
  CHECK_FALSE(auth.verifySlow("hashed", "pw3"));
  CHECK_FALSE(auth.verify("nobody", "pw1"));
  CHECK_FALSE(auth.verify("Plain", "pw1"));
}

TEST_CASE("Unit: every failed check costs the same, whatever the user and hash", "[api][unit]") {
  // Hash counts unlike the default and unlike each other; a plaintext user; unknown names.
  std::vector<ApiUser> users = {{"plain", "pw-plain", false, "x:1"},
                                {"low", chipmunk::hashPassword("pw-low", 100000), true, "x:2"},
                                {"high", chipmunk::hashPassword("pw-high", 300000), true, "x:3"}};
  Authenticator auth(users);
  // A cached success must not make that user's failures cheaper.
  REQUIRE(auth.verify("low", "pw-low"));
  REQUIRE(auth.verifyFast("low", "pw-low") == true);

  // Median wall time of failed checks per category, interleaved so that the machine's
  // load falls on every category alike.
  const std::map<std::string, std::function<bool(int)>> categories = {
      {"unknown user", [&](int i) { return auth.verify("nobody" + std::to_string(i), "x"); }},
      {"plaintext user", [&](int i) { return auth.verify("plain", "wrong" + std::to_string(i)); }},
      {"hashed, 100000 iterations, cached",
       [&](int i) { return auth.verify("low", "wrong" + std::to_string(i)); }},
      {"hashed, 300000 iterations",
       [&](int i) { return auth.verify("high", "wrong" + std::to_string(i)); }},
  };
  std::map<std::string, std::vector<double>> times;
  for (int round = 0; round < 7; ++round) {
    for (const auto& [name, check] : categories) {
      const auto start = std::chrono::steady_clock::now();
      const bool ok = check(round);
      times[name].push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      CHECK_FALSE(ok);
    }
  }
  std::map<std::string, double> medians;
  for (auto& [name, t] : times) {
    std::sort(t.begin(), t.end());
    medians[name] = t[t.size() / 2];
  }
  const double reference = medians["unknown user"];
  for (const auto& [name, median] : medians) {
    INFO(name << ": median " << median << " ms, unknown user: " << reference << " ms");
    CHECK(median > 0.5 * reference);
    CHECK(median < 2.0 * reference);
  }
  // A correct password is still answered without a KDF once verified.
  CHECK(auth.verifyFast("plain", "pw-plain") == true);
  CHECK(auth.verifyFast("low", "pw-low") == true);
}

TEST_CASE("Unit: the login limiter blocks after N failures and recovers", "[api][unit]") {
  LoginLimiter limiter(3, seconds(60), seconds(10));
  const auto ip = addr("198.51.100.1");
  const auto other = addr("198.51.100.2");
  limiter.recordFailure(ip, kT0);
  limiter.recordFailure(ip, kT0);
  CHECK(limiter.blockedFor(ip, kT0) == 0);
  limiter.recordFailure(ip, kT0);
  CHECK(limiter.blockedFor(ip, kT0) == 11);
  CHECK(limiter.blockedFor(other, kT0) == 0);
  CHECK(limiter.blockedFor(ip, kT0 + seconds(5)) == 6);
  CHECK(limiter.blockedFor(ip, kT0 + seconds(10)) == 0);
  // Failures outside the window do not add up.
  limiter.recordFailure(other, kT0);
  limiter.recordFailure(other, kT0 + seconds(61));
  limiter.recordFailure(other, kT0 + seconds(122));
  CHECK(limiter.blockedFor(other, kT0 + seconds(122)) == 0);
}

TEST_CASE("Unit: the login limiter sees a lockout made on another thread, and its end",
          "[api][unit]") {
  // blockedFor() skips the lookup while nothing is locked out: the skip must end with the
  // first lockout (made here on another thread, as an I/O thread would) and come back after.
  LoginLimiter limiter(2, seconds(60), seconds(10));
  const auto ip = addr("198.51.100.1");
  CHECK(limiter.blockedFor(ip, kT0) == 0);
  std::thread([&] {
    limiter.recordFailure(ip, kT0);
    limiter.recordFailure(ip, kT0);
  }).join();
  CHECK(limiter.blockedFor(ip, kT0) == 11);
  limiter.recordFailure(addr("198.51.100.2"), kT0 + seconds(20));  // drops the ended lockout
  CHECK(limiter.blockedSize() == 0);
  CHECK(limiter.blockedFor(ip, kT0 + seconds(20)) == 0);
  limiter.recordFailure(ip, kT0 + seconds(21));
  limiter.recordFailure(ip, kT0 + seconds(21));
  CHECK(limiter.blockedFor(ip, kT0 + seconds(21)) == 11);
}

TEST_CASE("Unit: the login limiter counts IPv6 clients per /64", "[api][unit]") {
  LoginLimiter limiter(2, seconds(60), seconds(30));
  limiter.recordFailure(addr("2001:db8:1:2::1"), kT0);
  limiter.recordFailure(addr("2001:db8:1:2:ffff::9"), kT0);
  CHECK(limiter.blockedFor(addr("2001:db8:1:2::abcd"), kT0) > 0);
  CHECK(limiter.blockedFor(addr("2001:db8:1:3::1"), kT0) == 0);
}

TEST_CASE("Unit: max_failed_logins = 0 turns the limiter off", "[api][unit]") {
  LoginLimiter limiter(0, seconds(60), seconds(30));
  const auto now = std::chrono::steady_clock::now();
  const auto ip = addr("198.51.100.1");
  for (int i = 0; i < 100; ++i) {
    limiter.recordFailure(ip, now);
  }
  CHECK(limiter.blockedFor(ip, now) == 0);
}

TEST_CASE("Unit: a flood of addresses that fail once never releases a lockout", "[api][unit]") {
  LoginLimiter limiter(3, seconds(60), seconds(300));
  const auto guesser = addr("198.51.100.1");
  const auto v6guesser = addr("2001:db8:1:2::1");
  for (int i = 0; i < 3; ++i) {
    limiter.recordFailure(guesser, kT0);
    limiter.recordFailure(v6guesser, kT0);
  }
  REQUIRE(limiter.blockedFor(guesser, kT0) > 0);
  REQUIRE(limiter.blockedFor(v6guesser, kT0) > 0);
  // 150,000 malformed logins from distinct addresses (each one failure, no lockout).
  for (uint32_t i = 0; i < 150000; ++i) {
    const std::array<uint8_t, 4> b{10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                                   static_cast<uint8_t>(i)};
    limiter.recordFailure(IpAddress::fromV4(b), kT0 + seconds(1));
  }
  CHECK(limiter.blockedFor(guesser, kT0 + seconds(2)) > 0);
  CHECK(limiter.blockedFor(v6guesser, kT0 + seconds(2)) > 0);
  // The right password from the guesser is still refused until the lockout ends.
  CHECK(limiter.blockedFor(guesser, kT0 + seconds(299)) > 0);
  CHECK(limiter.blockedFor(guesser, kT0 + seconds(301)) == 0);
}

TEST_CASE("Unit: the login limiter's memory is bounded and the least recent counter goes first",
          "[api][unit]") {
  LoginLimiter limiter(3, seconds(600), seconds(300), 100, 10);
  auto v4 = [](uint32_t i) {
    return IpAddress::fromV4(
        {10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
  };
  const auto recent = addr("198.51.100.1");
  const auto old = addr("198.51.100.2");
  limiter.recordFailure(old, kT0);
  limiter.recordFailure(old, kT0);
  limiter.recordFailure(recent, kT0);
  for (uint32_t i = 0; i < 98; ++i) {
    limiter.recordFailure(v4(i), kT0 + seconds(1));
  }
  limiter.recordFailure(recent, kT0 + seconds(2));  // now the most recent
  CHECK(limiter.countingSize() == 100);
  limiter.recordFailure(v4(1000), kT0 + seconds(3));  // evicts `old`, the least recent
  CHECK(limiter.countingSize() == 100);
  CHECK(limiter.failures(old, kT0 + seconds(3)) == 0);
  CHECK(limiter.failures(recent, kT0 + seconds(3)) == 2);
  limiter.recordFailure(recent, kT0 + seconds(4));
  CHECK(limiter.blockedFor(recent, kT0 + seconds(4)) > 0);
  // Lockouts have their own budget: the oldest goes only after 10 newer ones.
  for (uint32_t i = 0; i < 9; ++i) {
    for (int k = 0; k < 3; ++k) {
      limiter.recordFailure(v4(2000 + i), kT0 + seconds(5));
    }
  }
  CHECK(limiter.blockedSize() == 10);
  CHECK(limiter.blockedFor(recent, kT0 + seconds(5)) > 0);
  for (int k = 0; k < 3; ++k) {
    limiter.recordFailure(v4(3000), kT0 + seconds(6));
  }
  CHECK(limiter.blockedSize() == 10);
  CHECK(limiter.blockedFor(recent, kT0 + seconds(6)) == 0);
  CHECK(limiter.blockedFor(v4(3000), kT0 + seconds(6)) > 0);
  // Counters whose window ended are dropped, lockouts that ended too.
  limiter.recordFailure(v4(5000), kT0 + seconds(2000));
  CHECK(limiter.countingSize() == 1);
  CHECK(limiter.blockedSize() == 0);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
