// SPDX-License-Identifier: MIT
// The gandi provider against a fake of the Gandi LiveDNS API v5
// (tests/support/fake_gandi.hpp; https://api.gandi.net/docs/livedns/).
#include <catch2/catch.hpp>

#include <map>

#include "providers/provider.hpp"
#include "tests/support/fake_gandi.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeGandi{"gandi", {{"token", "gandi-pat"}}};

FakeGandi::RRset set(long long ttl, std::vector<std::string> values) {
  FakeGandi::RRset s;
  s.ttl = ttl;
  s.values = std::move(values);
  return s;
}

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("Gandi: PUTs the RRset with its own TTL, A, AAAA and apex, then unchanged",
          "[providers][unit]") {
  FakeGandi fake;
  fake.addDomain("example.com");
  fake.setRRset("example.com", "home", "A", set(300, {"192.0.2.1"}));
  fake.setRRset("example.com", "home", "AAAA", set(1800, {"2001:db8::1"}));
  fake.setRRset("example.com", "@", "A", set(10800, {"192.0.2.9"}));
  auto p = makeGandi(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        CHECK(fake.rrset("example.com", "home", "A")->values ==
              std::vector<std::string>{"198.51.100.7"});
        CHECK(fake.rrset("example.com", "home", "A")->ttl == 300);  // not reset to 10800
      },
      [&] { CHECK(fake.rrset("example.com", "home", "AAAA")->ttl == 1800); });
  CHECK(fake.rrset("example.com", "@", "A")->values == std::vector<std::string>{"198.51.100.8"});
  CHECK(fake.requests().back().path == "/v5/livedns/domains/example.com/records/@/A");
}

TEST_CASE("Gandi: ttl, create_missing, a missing RRset and an unknown domain",
          "[providers][unit]") {
  FakeGandi fake;
  fake.addDomain("example.com");
  fake.setRRset("example.com", "home", "A", set(10800, {"198.51.100.7"}));
  auto p = checkTtlApplied(makeGandi, fake, kHome, "600",
                           [&] { CHECK(fake.rrset("example.com", "home", "A")->ttl == 600); });
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  const auto missing = checkCreateMissing(makeGandi, fake, nas, ip("2001:db8::5"), [&] {
    return fake.rrset("example.com", "nas", "AAAA").has_value();
  });
  CHECK(missing.detail.find("Can't find the DNS record") != std::string::npos);
  CHECK(fake.rrset("example.com", "nas", "AAAA")->ttl == 10800);
  const Record other{"o", "home", "other.example", RecordType::A};
  const auto creating = makeGandi(fake, {nas}, {{"create_missing", "yes"}});
  CHECK(creating->update(other, ip("198.51.100.7")).status == UpdateStatus::NotFound);
}

TEST_CASE("Gandi: a refused or under-privileged token is auth-failed and never shown",
          "[providers][unit]") {
  FakeGandi fake("real-pat");
  fake.addDomain("example.com");
  auto r = makeGandi(fake, {kHome})->update(kHome, ip("198.51.100.7"));
  checkAuthFailed(r, "", "gandi-pat");
  FakeGandi limited;
  limited.addDomain("example.com", false);
  r = makeGandi(limited, {kHome})->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::AuthFailed);
  CHECK(r.detail.find("Access was denied") != std::string::npos);
  checkRequired(makeGandi, fake, kHome, "token");
}

TEST_CASE("Gandi: 429 with and without Retry-After, 5xx, malformed and oversized",
          "[providers][unit]") {
  FakeGandi fake;
  fake.addDomain("example.com");
  fake.setRRset("example.com", "home", "A", set(300, {"192.0.2.1"}));
  auto p = makeGandi(fake, {kHome});
  const std::string limited =
      R"({"code":429,"message":"Too Many Requests","object":"HTTPTooManyRequests","cause":"Too Many Requests"})";
  checkThrottled(fake, *p, kHome, 429, limited, "60");
  checkThrottled(fake, *p, kHome, 429, limited);
  fake.failNext(503, "<html>Service Unavailable</html>");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
  checkBadRepliesThenRecovers(
      fake, *p, kHome, ip("198.51.100.7"),
      {R"({"rrset_values":["19)", R"({"rrset_values":"198.51.100.7"})", tooDeepJson()});
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
