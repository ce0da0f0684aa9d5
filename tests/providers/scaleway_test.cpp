// SPDX-License-Identifier: MIT
// The scaleway provider against a fake of the Scaleway Domains and DNS API v2beta1
// (tests/support/fake_scaleway.hpp; https://www.scaleway.com/en/developers/api/domains-and-dns/).
#include <catch2/catch.hpp>

#include "providers/provider.hpp"
#include "tests/support/fake_scaleway.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeScaleway{"scaleway", {{"secret_key", "scw-secret"}}};

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("Scaleway: updates A and AAAA, keeps ttl, priority and comment, then is unchanged",
          "[providers][unit]") {
  FakeScaleway fake;
  fake.addZone("example.com");
  fake.addRecord("example.com", {"", "home", "A", "192.0.2.1", 600, 0, "my router"});
  fake.addRecord("example.com", {"", "home", "AAAA", "2001:db8::1"});
  fake.addRecord("example.com", {"", "", "A", "192.0.2.9"});
  fake.addRecord("example.com", {"", "", "MX", "mail.example.com.", 3600, 10});
  auto p = makeScaleway(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        const auto a = fake.records("example.com", "home", "A");
        REQUIRE(a.size() == 1);
        CHECK(a[0].data == "198.51.100.7");
        CHECK(a[0].ttl == 600);
        CHECK(a[0].comment == "my router");
      },
      [&] { CHECK(fake.records("example.com", "home", "AAAA").at(0).data == "2001:db8::7"); });
  CHECK(fake.records("example.com", "", "A").at(0).data == "198.51.100.8");
  CHECK(fake.records("example.com", "", "MX").at(0).priority == 10);
  for (const auto& req : fake.requests()) {
    CHECK(req.query.find("scw-secret") == std::string::npos);
  }
}

TEST_CASE("Scaleway: pages through a large zone, keeps the other A records of the name",
          "[providers][unit]") {
  FakeScaleway fake;
  fake.addZone("example.com");
  fake.setPageSize(2);  // the apex listing filters nothing by name: five pages of two
  for (int i = 0; i < 8; ++i) {
    fake.addRecord("example.com", {"", "host" + std::to_string(i), "A", "192.0.2.10"});
  }
  fake.addRecord("example.com", {"", "", "A", "192.0.2.9"});
  fake.addRecord("example.com", {"", "", "A", "192.0.2.99"});  // a second apex A record
  auto p = makeScaleway(fake, {kApex});
  CHECK(p->update(kApex, ip("198.51.100.8")).status == UpdateStatus::Updated);
  const auto apex = fake.records("example.com", "", "A");
  REQUIRE(apex.size() == 2);
  CHECK(apex[0].data == "192.0.2.99");
  CHECK(apex[1].data == "198.51.100.8");
  size_t pages = 0;
  for (const auto& req : fake.requests()) {
    pages += req.method == "GET" ? 1 : 0;
  }
  CHECK(pages == 5);
}

TEST_CASE("Scaleway: ttl and dns_zone are applied, a missing record is created or not found",
          "[providers][unit]") {
  FakeScaleway fake;
  fake.addZone("example.com");
  fake.addZone("lab.example.com");
  fake.addRecord("example.com", {"", "home", "A", "198.51.100.7", 3600, 0, "keep me"});
  checkTtlApplied(makeScaleway, fake, kHome, "300", [&] {
    CHECK(fake.records("example.com", "home", "A").at(0).ttl == 300);
    CHECK(fake.records("example.com", "home", "A").at(0).comment == "keep me");
  });
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  checkCreateMissing(makeScaleway, fake, nas, ip("2001:db8::5"),
                     [&] { return !fake.records("example.com", "nas", "AAAA").empty(); });
  CHECK(fake.records("example.com", "nas", "AAAA").at(0).ttl == 3600);
  const Record deep{"deep", "home.lab", "example.com", RecordType::A};
  auto creating =
      makeScaleway(fake, {deep}, {{"dns_zone", "lab.example.com"}, {"create_missing", "yes"}});
  CHECK(creating->update(deep, ip("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(fake.records("lab.example.com", "home", "A").size() == 1);
  const auto r = makeScaleway(fake, {kHome}, {{"dns_zone", "other.example"}})
                     ->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.stop);
}

TEST_CASE("Scaleway: a refused key and an unknown zone stop the record", "[providers][unit]") {
  FakeScaleway fake("other-secret");
  fake.addZone("example.com");
  auto r = checkRefused(makeScaleway, fake, kHome, "denied_authentication", "scw-secret");
  CHECK(r.stop);
  const RestProviderMaker right{"scaleway", {{"secret_key", "other-secret"}}};
  const Record unknown{"u", "home", "unknown.example", RecordType::A};
  r = right(fake, {unknown})->update(unknown, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.stop);
  CHECK(r.detail.find("not_found") != std::string::npos);
  checkRequired(makeScaleway, fake, kHome, "secret_key");
}

TEST_CASE("Scaleway: 429 with and without Retry-After, 5xx, malformed and oversized replies",
          "[providers][unit]") {
  FakeScaleway fake;
  fake.addZone("example.com");
  fake.addRecord("example.com", {"", "home", "A", "192.0.2.1"});
  auto p = makeScaleway(fake, {kHome});
  fake.rateLimitNext("7");
  auto r = p->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK(r.retryAfter == std::chrono::seconds(7));
  CHECK(r.detail.find("too_many_requests") != std::string::npos);
  fake.rateLimitNext("");
  r = p->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK_FALSE(r.retryAfter);
  checkThrottled(fake, *p, kHome, 503, R"({"message":"internal error","type":"unknown"})", "60");
  checkBadRepliesThenRecovers(fake, *p, kHome, ip("198.51.100.7"),
                              {R"({"records":[)", R"({"records":{"id":"x"}})", tooDeepJson()});
  CHECK(fake.records("example.com", "home", "A").at(0).data == "198.51.100.7");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
