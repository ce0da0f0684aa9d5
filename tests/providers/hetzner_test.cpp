// SPDX-License-Identifier: MIT
// The hetzner provider against a fake of the Hetzner DNS Console API v1
// (tests/support/fake_hetzner.hpp; https://dns.hetzner.com/api-docs).
#include <catch2/catch.hpp>

#include <map>

#include "providers/provider.hpp"
#include "tests/support/fake_hetzner.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeHetzner{"hetzner", {{"api_token", "hetzner-token"}}};

FakeHetzner::DnsRecord rec(const std::string& zone, const char* type, const char* name,
                           const char* value, long long ttl = 0) {
  FakeHetzner::DnsRecord r;
  r.zoneId = zone;
  r.type = type;
  r.name = name;
  r.value = value;
  r.ttl = ttl;
  return r;
}

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("Hetzner: PUTs value with the record's own TTL (or none), pages, then unchanged",
          "[providers][unit]") {
  FakeHetzner fake;
  const std::string zone = fake.addZone("example.com");
  for (int i = 0; i < 5; ++i) {
    fake.addRecord(rec(zone, "A", ("other" + std::to_string(i)).c_str(), "192.0.2.2"));
  }
  fake.addRecord(rec(zone, "A", "home", "192.0.2.1", 120));
  fake.addRecord(rec(zone, "AAAA", "home", "2001:db8::1"));
  fake.addRecord(rec(zone, "A", "@", "192.0.2.9"));
  fake.setPageSize(2);
  auto p = makeHetzner(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        CHECK(fake.record(zone, "A", "home")->value == "198.51.100.7");
        CHECK(fake.record(zone, "A", "home")->ttl == 120);
      },
      [&] {
        CHECK(fake.record(zone, "AAAA", "home")->value == "2001:db8::7");
        CHECK(fake.record(zone, "AAAA", "home")->ttl == 0);  // still the zone's default
      });
  CHECK(fake.record(zone, "A", "@")->value == "198.51.100.8");
  int zoneLookups = 0;
  int pages = 0;
  for (const auto& req : fake.requests()) {
    zoneLookups += req.path == "/api/v1/zones" ? 1 : 0;
    pages += req.path == "/api/v1/records" && req.method == "GET" ? 1 : 0;
  }
  CHECK(zoneLookups == 1);
  // Two records a page: home A is on page 3 (read twice), home AAAA and the apex on page 4.
  CHECK(pages == 3 + 3 + 4 + 4);
}

TEST_CASE("Hetzner: ttl, create_missing, a missing record, an unknown zone, a 422",
          "[providers][unit]") {
  FakeHetzner fake;
  const std::string zone = fake.addZone("example.com");
  fake.addRecord(rec(zone, "A", "home", "198.51.100.7"));
  auto p = checkTtlApplied(makeHetzner, fake, kHome, "300",
                           [&] { CHECK(fake.record(zone, "A", "home")->ttl == 300); });
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  checkCreateMissing(makeHetzner, fake, nas, ip("2001:db8::5"),
                     [&] { return fake.record(zone, "AAAA", "nas").has_value(); });
  const Record other{"o", "home", "other.example", RecordType::A};
  const auto unknown = p->update(other, ip("198.51.100.7"));
  CHECK(unknown.status == UpdateStatus::NotFound);
  CHECK(unknown.detail.find("zone not found") != std::string::npos);
  fake.failNext(
      422, R"({"record":{},"error":{"message":"422 Unprocessable Entity: invalid","code":422}})");
  const auto invalid = p->update(kHome, ip("198.51.100.9"));
  CHECK(invalid.status == UpdateStatus::Failed);
  CHECK(invalid.detail.find("422 Unprocessable Entity") != std::string::npos);
}

TEST_CASE("Hetzner: an invalid token is auth-failed and never shown", "[providers][unit]") {
  FakeHetzner fake("real-token");
  fake.addZone("example.com");
  checkRefused(makeHetzner, fake, kHome, "Invalid authentication credentials", "hetzner-token");
}

TEST_CASE("Hetzner: 429 with and without Retry-After, 5xx, malformed and oversized",
          "[providers][unit]") {
  FakeHetzner fake;
  const std::string zone = fake.addZone("example.com");
  fake.addRecord(rec(zone, "A", "home", "192.0.2.1"));
  auto p = makeHetzner(fake, {kHome});
  checkThrottled(fake, *p, kHome, 429, R"({"message":"rate limit exceeded"})", "7");
  checkThrottled(fake, *p, kHome, 429, R"({"message":"rate limit exceeded"})");
  fake.failNext(502, "<html>Bad Gateway</html>");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
  fake.failNext(200, R"({"zones":[{"id":)");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Failed);
  REQUIRE(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Updated);  // zone cached
  checkBadRepliesThenRecovers(fake, *p, kHome, ip("198.51.100.8"),
                              {R"({"records":{"id":"x"}})", tooDeepJson()});
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
