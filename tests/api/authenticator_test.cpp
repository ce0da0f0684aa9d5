#include <catch2/catch.hpp>

#include "authenticator.hpp"
#include "password_hash.hpp"

using chipmunk::IpAddress;
using chipmunk::api::Authenticator;
using chipmunk::api::LoginLimiter;
using chipmunk::config::ApiUser;

TEST_CASE("Unit: plaintext and hashed users authenticate and others do not", "[api][unit]") {
  std::vector<ApiUser> users = {{"plain", "pw1", false, "x:1"},
                                {"hashed", chipmunk::hashPassword("pw2", 10000), true, "x:2"}};
  Authenticator auth(users);
  CHECK(auth.verifyFast("plain", "pw1") == true);
  CHECK(auth.verifyFast("plain", "pw2") == false);
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

TEST_CASE("Unit: the login limiter blocks after N failures and recovers", "[api][unit]") {
  using std::chrono::seconds;
  LoginLimiter limiter(3, seconds(60), seconds(10));
  const auto t0 = std::chrono::steady_clock::time_point() + seconds(1000);
  const auto ip = *IpAddress::parse("198.51.100.1");
  const auto other = *IpAddress::parse("198.51.100.2");
  limiter.recordFailure(ip, t0);
  limiter.recordFailure(ip, t0);
  CHECK(limiter.blockedFor(ip, t0) == 0);
  limiter.recordFailure(ip, t0);
  CHECK(limiter.blockedFor(ip, t0) == 11);
  CHECK(limiter.blockedFor(other, t0) == 0);
  CHECK(limiter.blockedFor(ip, t0 + seconds(5)) == 6);
  CHECK(limiter.blockedFor(ip, t0 + seconds(10)) == 0);
  // Failures outside the window do not add up.
  limiter.recordFailure(other, t0);
  limiter.recordFailure(other, t0 + seconds(61));
  limiter.recordFailure(other, t0 + seconds(122));
  CHECK(limiter.blockedFor(other, t0 + seconds(122)) == 0);
}

TEST_CASE("Unit: the login limiter counts IPv6 clients per /64", "[api][unit]") {
  using std::chrono::seconds;
  LoginLimiter limiter(2, seconds(60), seconds(30));
  const auto t0 = std::chrono::steady_clock::time_point() + seconds(1000);
  limiter.recordFailure(*IpAddress::parse("2001:db8:1:2::1"), t0);
  limiter.recordFailure(*IpAddress::parse("2001:db8:1:2:ffff::9"), t0);
  CHECK(limiter.blockedFor(*IpAddress::parse("2001:db8:1:2::abcd"), t0) > 0);
  CHECK(limiter.blockedFor(*IpAddress::parse("2001:db8:1:3::1"), t0) == 0);
}

TEST_CASE("Unit: max_failed_logins = 0 turns the limiter off", "[api][unit]") {
  using std::chrono::seconds;
  LoginLimiter limiter(0, seconds(60), seconds(30));
  const auto now = std::chrono::steady_clock::now();
  const auto ip = *IpAddress::parse("198.51.100.1");
  for (int i = 0; i < 100; ++i) {
    limiter.recordFailure(ip, now);
  }
  CHECK(limiter.blockedFor(ip, now) == 0);
}
