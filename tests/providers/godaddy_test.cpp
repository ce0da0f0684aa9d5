// SPDX-License-Identifier: MIT
// The godaddy provider against a fake of the GoDaddy Domains API v1
// (tests/support/fake_godaddy.hpp; https://developer.godaddy.com/doc/endpoint/domains).
#include <catch2/catch.hpp>

#include <map>

#include "providers/provider.hpp"
#include "tests/support/fake_godaddy.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeGoDaddy{"godaddy",
                                    {{"api_key", "gd-key"}, {"api_secret", "gd-secret"}}};

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("GoDaddy: PUTs the address with the record's own TTL, A, AAAA, apex, unchanged",
          "[providers][unit]") {
  FakeGoDaddy fake;
  fake.addDomain("example.com");
  fake.setRecords("example.com", "A", "home", {{"192.0.2.1", 1200}});
  fake.setRecords("example.com", "AAAA", "home", {{"2001:db8::1", 600}});
  fake.setRecords("example.com", "A", "@", {{"192.0.2.9", 3600}});
  auto p = makeGoDaddy(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        auto a = fake.records("example.com", "A", "home");
        REQUIRE(a.size() == 1);
        CHECK(a[0].data == "198.51.100.7");
        CHECK(a[0].ttl == 1200);
      },
      [&] { CHECK(fake.records("example.com", "AAAA", "home")[0].data == "2001:db8::7"); });
  CHECK(fake.records("example.com", "A", "@")[0].data == "198.51.100.8");
  CHECK(fake.requests().back().path == "/v1/domains/example.com/records/A/@");
  CHECK(fake.requests().back().header("authorization") == "sso-key gd-key:gd-secret");
}

TEST_CASE("GoDaddy: ttl, create_missing, a missing record and an unknown domain",
          "[providers][unit]") {
  FakeGoDaddy fake;
  fake.addDomain("example.com");
  fake.setRecords("example.com", "A", "home", {{"198.51.100.7", 3600}});
  auto p = checkTtlApplied(makeGoDaddy, fake, kHome, "900",
                           [&] { CHECK(fake.records("example.com", "A", "home")[0].ttl == 900); });
  const auto low = makeGoDaddy(fake, {kHome}, {{"ttl", "60"}})->update(kHome, ip("1.2.3.4"));
  CHECK(low.status == UpdateStatus::Failed);
  CHECK(low.detail.find("INVALID_BODY") != std::string::npos);
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  checkCreateMissing(makeGoDaddy, fake, nas, ip("2001:db8::5"),
                     [&] { return !fake.records("example.com", "AAAA", "nas").empty(); });
  CHECK(fake.records("example.com", "AAAA", "nas")[0].ttl == 600);
  const Record other{"o", "home", "other.example", RecordType::A};
  const auto r = p->update(other, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.detail.find("UNKNOWN_DOMAIN") != std::string::npos);
}

TEST_CASE("GoDaddy: refused keys and an account without API access are auth-failed",
          "[providers][unit]") {
  FakeGoDaddy fake("gd-key", "other-secret");
  fake.addDomain("example.com");
  auto r = makeGoDaddy(fake, {kHome})->update(kHome, ip("198.51.100.7"));
  checkAuthFailed(r, "UNABLE_TO_AUTHENTICATE", "gd-secret");
  FakeGoDaddy small;
  small.addDomain("example.com", false);
  r = makeGoDaddy(small, {kHome})->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::AuthFailed);
  CHECK(r.detail.find("ACCESS_DENIED") != std::string::npos);
  checkRequired(makeGoDaddy, fake, kHome, "api_secret");
}

TEST_CASE("GoDaddy: 429 with retryAfterSec or Retry-After or neither, 5xx, malformed",
          "[providers][unit]") {
  FakeGoDaddy fake;
  fake.addDomain("example.com");
  fake.setRecords("example.com", "A", "home", {{"192.0.2.1", 600}});
  auto p = makeGoDaddy(fake, {kHome});
  fake.failNext(429,
                R"({"code":"TOO_MANY_REQUESTS","message":"Too many requests","retryAfterSec":37})");
  auto r = p->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK(r.retryAfter == std::chrono::seconds(37));
  fake.failNext(429, R"({"code":"TOO_MANY_REQUESTS","message":"Too many requests"})", "12");
  r = p->update(kHome, ip("198.51.100.7"));
  CHECK(r.retryAfter == std::chrono::seconds(12));
  checkThrottled(fake, *p, kHome, 429, "");
  fake.failNext(500, R"({"code":"INTERNAL_SERVER_ERROR","message":"oops"})");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
  checkBadRepliesThenRecovers(fake, *p, kHome, ip("198.51.100.7"),
                              {R"([{"data":)", R"({"data":"198.51.100.7"})", tooDeepJson()},
                              "[\"" + std::string(2 * 1024 * 1024, 'x') + "\"]");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
