// SPDX-License-Identifier: MIT
// The vultr provider against a fake of the Vultr API v2 DNS records
// (tests/support/fake_vultr.hpp; https://www.vultr.com/api/#tag/dns).
#include <catch2/catch.hpp>

#include <map>

#include "providers/provider.hpp"
#include "tests/support/fake_vultr.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeVultr{"vultr", {{"api_key", "vultr-key"}}};

FakeVultr::DnsRecord rec(const char* type, const char* name, const char* data, long long ttl = 300,
                         int priority = -1) {
  FakeVultr::DnsRecord r;
  r.domain = "example.com";
  r.type = type;
  r.name = name;
  r.data = data;
  r.ttl = ttl;
  r.priority = priority;
  return r;
}

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("Vultr: PATCHes data only (TTL, priority kept), A, AAAA, apex, then unchanged",
          "[providers][unit]") {
  FakeVultr fake;
  fake.addDomain("example.com");
  fake.addRecord(rec("A", "home", "192.0.2.1", 900, 5));
  fake.addRecord(rec("AAAA", "home", "2001:db8::1"));
  fake.addRecord(rec("A", "", "192.0.2.9"));
  auto p = makeVultr(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        const auto a = fake.record("example.com", "A", "home");
        CHECK(a->data == "198.51.100.7");
        CHECK(a->ttl == 900);
        CHECK(a->priority == 5);
        CHECK(fake.requests().back().body == R"({"data":"198.51.100.7"})");
      },
      [&] { CHECK(fake.record("example.com", "AAAA", "home")->data == "2001:db8::7"); });
  CHECK(fake.record("example.com", "A", "")->data == "198.51.100.8");
}

TEST_CASE("Vultr: follows the listing's cursors", "[providers][unit]") {
  FakeVultr fake;
  fake.addDomain("example.com");
  for (int i = 0; i < 7; ++i) {
    fake.addRecord(rec("A", ("other" + std::to_string(i)).c_str(), "192.0.2.2"));
  }
  fake.addRecord(rec("A", "home", "192.0.2.1"));
  fake.setPageSize(3);
  auto p = makeVultr(fake, {kHome});
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(fake.record("example.com", "A", "home")->data == "198.51.100.7");
  const auto reqs = fake.requests();
  REQUIRE(reqs.size() == 4);  // three pages, then the PATCH
  CHECK(reqs[1].param("cursor") == "c3");
  CHECK(reqs[2].param("cursor") == "c6");
  CHECK(reqs[3].method == "PATCH");
}

TEST_CASE("Vultr: ttl, create_missing, a missing record and an unknown domain",
          "[providers][unit]") {
  FakeVultr fake;
  fake.addDomain("example.com");
  fake.addRecord(rec("A", "home", "198.51.100.7", 300));
  auto p = checkTtlApplied(makeVultr, fake, kHome, "120",
                           [&] { CHECK(fake.record("example.com", "A", "home")->ttl == 120); });
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  checkCreateMissing(makeVultr, fake, nas, ip("2001:db8::5"),
                     [&] { return fake.record("example.com", "AAAA", "nas").has_value(); });
  const Record other{"o", "home", "other.example", RecordType::A};
  const auto r = p->update(other, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.detail.find("Unable to find domain") != std::string::npos);
}

TEST_CASE("Vultr: a refused key is auth-failed and never shown", "[providers][unit]") {
  FakeVultr fake("real-key");
  fake.addDomain("example.com");
  checkRefused(makeVultr, fake, kHome, "Invalid API token", "vultr-key");
  checkRequired(makeVultr, fake, kHome, "api_key");
}

TEST_CASE("Vultr: 429/503 with and without Retry-After, malformed and oversized",
          "[providers][unit]") {
  FakeVultr fake;
  fake.addDomain("example.com");
  fake.addRecord(rec("A", "home", "192.0.2.1"));
  auto p = makeVultr(fake, {kHome});
  checkThrottled(fake, *p, kHome, 429, R"({"error":"Rate limit reached","status":429})", "2");
  checkThrottled(fake, *p, kHome, 503, R"({"error":"Rate limit reached","status":503})");
  checkBadRepliesThenRecovers(
      fake, *p, kHome, ip("198.51.100.7"),
      {R"({"records":[{"id":)", R"({"records":{"id":"x"}})", tooDeepJson()});
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
