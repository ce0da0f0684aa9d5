// SPDX-License-Identifier: MIT
// The ionos provider against a fake of the IONOS Hosting DNS API v1
// (tests/support/fake_ionos.hpp; https://developer.hosting.ionos.com/docs/dns).
#include <catch2/catch.hpp>

#include <map>

#include "providers/provider.hpp"
#include "tests/support/fake_ionos.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeIonos{"ionos", {{"api_key", "prefix.secret"}}};

FakeIonos::DnsRecord rec(const char* name, const char* type, const char* content,
                         long long ttl = 3600, long long prio = 0, bool disabled = false) {
  FakeIonos::DnsRecord r;
  r.zone = "example.com";
  r.name = name;
  r.type = type;
  r.content = content;
  r.ttl = ttl;
  r.prio = prio;
  r.disabled = disabled;
  return r;
}

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("Ionos: PUTs content with the record's ttl, prio and disabled flag, unchanged",
          "[providers][unit]") {
  FakeIonos fake;
  fake.addZone("example.org");
  fake.addZone("example.com");
  fake.addRecord(rec("home.example.com", "A", "192.0.2.1", 60, 10, true));
  fake.addRecord(rec("home.example.com", "AAAA", "2001:db8::1"));
  fake.addRecord(rec("example.com", "A", "192.0.2.9"));
  auto p = makeIonos(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        const auto a = fake.record("home.example.com", "A");
        CHECK(a->content == "198.51.100.7");
        CHECK(a->ttl == 60);
        CHECK(a->prio == 10);
        CHECK(a->disabled);
      },
      [&] { CHECK(fake.record("home.example.com", "AAAA")->content == "2001:db8::7"); });
  CHECK(fake.record("example.com", "A")->content == "198.51.100.8");
  int zoneLists = 0;
  for (const auto& req : fake.requests()) {
    zoneLists += req.path == "/dns/v1/zones" ? 1 : 0;
    CHECK(req.header("x-api-key") == "prefix.secret");
  }
  CHECK(zoneLists == 1);  // the zone id is cached
}

TEST_CASE("Ionos: ttl, create_missing, a missing record and an unknown zone", "[providers][unit]") {
  FakeIonos fake;
  fake.addZone("example.com");
  fake.addRecord(rec("home.example.com", "A", "198.51.100.7"));
  auto p = checkTtlApplied(makeIonos, fake, kHome, "300",
                           [&] { CHECK(fake.record("home.example.com", "A")->ttl == 300); });
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  checkCreateMissing(makeIonos, fake, nas, ip("2001:db8::5"),
                     [&] { return fake.record("nas.example.com", "AAAA").has_value(); });
  const Record other{"o", "home", "other.example", RecordType::A};
  CHECK(p->update(other, ip("198.51.100.7")).status == UpdateStatus::NotFound);
  CHECK_THROWS_AS(makeIonos(fake, {kHome}, {{"api_key", "no-dot"}}), std::invalid_argument);
}

TEST_CASE("Ionos: a refused key is auth-failed and never shown", "[providers][unit]") {
  FakeIonos fake("prefix.other");
  fake.addZone("example.com");
  checkRefused(makeIonos, fake, kHome, "UNAUTHORIZED", "prefix.secret");
}

TEST_CASE("Ionos: 429 with and without Retry-After, 5xx, malformed and oversized",
          "[providers][unit]") {
  FakeIonos fake;
  fake.addZone("example.com");
  fake.addRecord(rec("home.example.com", "A", "192.0.2.1"));
  auto p = makeIonos(fake, {kHome});
  const std::string limited = R"([{"code":"TOO_MANY_REQUESTS","message":"Rate limit exceeded."}])";
  checkThrottled(fake, *p, kHome, 429, limited, "20");
  checkThrottled(fake, *p, kHome, 429, limited);
  fake.failNext(500, R"([{"code":"INTERNAL_SERVER_ERROR","message":"oops"}])");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
  fake.failNext(200, R"([{"name":"example.com","id":)");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Failed);
  REQUIRE(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Updated);  // zone cached
  checkBadRepliesThenRecovers(fake, *p, kHome, ip("198.51.100.8"),
                              {R"({"records":{"id":"x"}})", tooDeepJson()});
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
