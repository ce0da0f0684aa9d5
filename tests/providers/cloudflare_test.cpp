// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "providers/provider.hpp"
#include "tests/support/fake_cloudflare.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/provider_fixture.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using chipmunk::IpAddress;
using chipmunk::test::FakeCloudflare;
using chipmunk::test::homeRecords;
using chipmunk::test::ip;

std::unique_ptr<DnsProvider> makeCloudflare(const FakeCloudflare& fake, std::vector<Record> records,
                                            std::map<std::string, std::string> overrides = {}) {
  ProviderContext context;
  context.section = "cloudflare";
  context.settings = {{"api_token", "cf-test-token"},
                      {"endpoint", fake.endpoint()},
                      {"zone_id", ""},
                      {"proxied", "keep"},
                      {"ttl", "0"},
                      {"create_missing", "no"}};
  for (const auto& [k, v] : overrides) {
    context.settings[k] = v;
  }
  context.records = std::move(records);
  context.http.timeout = std::chrono::seconds(5);
  return ProviderRegistry::builtin().find("cloudflare")->create(context);
}

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("Cloudflare: looks up zone and record then PATCHes only the content",
          "[providers][unit]") {
  FakeCloudflare fake;
  fake.addZone("other.org");
  const std::string zone = fake.addZone("example.com");
  fake.addRecord(zone, "A", "www.example.com", "192.0.2.1");
  const std::string rid = fake.addRecord(zone, "A", "home.example.com", "192.0.2.1", 120, true);
  auto p = makeCloudflare(fake, {kHome});
  REQUIRE(p->prepare().ok());
  const auto r = p->update(kHome, ip("203.0.113.7"));
  INFO(r.detail);
  CHECK(r.status == UpdateStatus::Updated);
  const auto rec = fake.record(zone, "A", "home.example.com");
  REQUIRE(rec);
  CHECK(rec->content == "203.0.113.7");
  CHECK(rec->ttl == 120);  // kept
  CHECK(rec->proxied);     // kept
  CHECK(fake.record(zone, "A", "www.example.com")->content == "192.0.2.1");
  const auto reqs = fake.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].path == "/client/v4/zones");
  CHECK(reqs[0].param("name") == "example.com");
  CHECK(reqs[0].header("authorization") == "Bearer cf-test-token");
  CHECK(reqs[1].path == "/client/v4/zones/" + zone + "/dns_records");
  CHECK(reqs[1].param("type") == "A");
  CHECK(reqs[1].param("name") == "home.example.com");
  CHECK(reqs[2].method == "PATCH");
  CHECK(reqs[2].path == "/client/v4/zones/" + zone + "/dns_records/" + rid);
  CHECK(reqs[2].body == "{\"content\":\"203.0.113.7\"}");
  // Ids are cached: the next change is one PATCH.
  CHECK(p->update(kHome, ip("203.0.113.8")).status == UpdateStatus::Updated);
  CHECK(fake.requests().size() == 4);
}

TEST_CASE("Cloudflare: configured ttl and proxied are sent and zone_id skips the zone lookup",
          "[providers][unit]") {
  FakeCloudflare fake;
  const std::string zone = fake.addZone("example.com");
  fake.addRecord(zone, "A", "home.example.com", "192.0.2.1", 1, true);
  auto p = makeCloudflare(fake, {kHome}, {{"zone_id", zone}, {"ttl", "300"}, {"proxied", "no"}});
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Updated);
  const auto rec = fake.record(zone, "A", "home.example.com");
  CHECK(rec->ttl == 300);
  CHECK_FALSE(rec->proxied);
  for (const auto& r : fake.requests()) {
    CHECK(r.path != "/client/v4/zones");
  }
}

TEST_CASE("Cloudflare: an unchanged record is not PATCHed and A and AAAA are separate",
          "[providers][unit]") {
  FakeCloudflare fake;
  const std::string zone = fake.addZone("example.com");
  fake.addRecord(zone, "A", "home.example.com", "203.0.113.7");
  fake.addRecord(zone, "AAAA", "home.example.com", "2001:db8::1");
  auto p = makeCloudflare(fake, {kHome, kHome6});
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Unchanged);
  CHECK(fake.count("PATCH") == 0);
  CHECK(p->update(kHome6, ip("2001:db8::2")).status == UpdateStatus::Updated);
  CHECK(fake.record(zone, "AAAA", "home.example.com")->content == "2001:db8::2");
  CHECK(fake.record(zone, "A", "home.example.com")->content == "203.0.113.7");
}

TEST_CASE("Cloudflare: follows result_info pages", "[providers][unit]") {
  FakeCloudflare fake;
  fake.setMaxPerPage(2);
  for (int i = 0; i < 5; ++i) {
    fake.addZone("example.com");  // same name: only the first is ours, but all are listed
  }
  const std::string zone = fake.addZone("example.net");
  for (int i = 0; i < 5; ++i) {
    fake.addRecord(zone, "TXT", "home.example.net", "x");
  }
  fake.addRecord(zone, "A", "home.example.net", "192.0.2.1");
  const Record net{"n", "home", "example.net", RecordType::A};
  auto p = makeCloudflare(fake, {net});
  const auto r = p->update(net, ip("203.0.113.9"));
  INFO(r.detail);
  CHECK(r.status == UpdateStatus::Updated);
  CHECK(fake.record(zone, "A", "home.example.net")->content == "203.0.113.9");
}

TEST_CASE("Cloudflare: missing records are NotFound or created when asked", "[providers][unit]") {
  FakeCloudflare fake;
  const std::string zone = fake.addZone("example.com");
  auto p = makeCloudflare(fake, {kHome});
  const auto r = p->update(kHome, ip("203.0.113.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(fake.count("POST") == 0);
  auto c = makeCloudflare(fake, {kHome}, {{"create_missing", "yes"}});
  CHECK(c->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Updated);
  const auto rec = fake.record(zone, "A", "home.example.com");
  REQUIRE(rec);
  CHECK(rec->content == "203.0.113.7");
  CHECK_FALSE(rec->proxied);
  // A zone that is not in the account.
  const Record other{"o", "home", "example.org", RecordType::A};
  auto q = makeCloudflare(fake, {other});
  CHECK(q->update(other, ip("203.0.113.7")).status == UpdateStatus::NotFound);
}

TEST_CASE("Cloudflare: a record deleted behind our back is looked up again", "[providers][unit]") {
  FakeCloudflare fake;
  const std::string zone = fake.addZone("example.com");
  const std::string rid = fake.addRecord(zone, "A", "home.example.com", "192.0.2.1");
  auto p = makeCloudflare(fake, {kHome});
  CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Updated);
  fake.removeRecord(zone, rid);
  fake.addRecord(zone, "A", "home.example.com", "192.0.2.1");
  const auto r = p->update(kHome, ip("203.0.113.8"));
  INFO(r.detail);
  CHECK(r.status == UpdateStatus::Updated);
  CHECK(fake.record(zone, "A", "home.example.com")->content == "203.0.113.8");
}

TEST_CASE("Cloudflare: error envelopes map to auth failed and retry later", "[providers][unit]") {
  FakeCloudflare fake;
  const std::string zone = fake.addZone("example.com");
  fake.addRecord(zone, "A", "home.example.com", "192.0.2.1");

  SECTION("a wrong token is AuthFailed with the error code, never the token") {
    auto p = makeCloudflare(fake, {kHome}, {{"api_token", "wrong-token"}});
    const auto r = p->prepare();
    CHECK(r.status == UpdateStatus::AuthFailed);
    CHECK(r.detail.find("10000") != std::string::npos);
    CHECK(r.detail.find("wrong-token") == std::string::npos);
  }
  SECTION("an invalid token on a 400 is AuthFailed too (code 9109)") {
    fake.failNext(400, 9109, "Invalid access token");
    auto p = makeCloudflare(fake, {kHome});
    CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::AuthFailed);
  }
  SECTION("429 with Retry-After is RetryLater after that long") {
    fake.failNext(429, 10100, "More than 1200 requests per 300 seconds reached.", 1, 120);
    auto p = makeCloudflare(fake, {kHome});
    const auto r = p->update(kHome, ip("203.0.113.7"));
    CHECK(r.status == UpdateStatus::RetryLater);
    REQUIRE(r.retryAfter);
    CHECK(r.retryAfter->count() == 120);
    CHECK(r.detail.find("10100") != std::string::npos);
  }
  SECTION("5xx is RetryLater, and the next call works") {
    fake.failNext(502, 10013, "Bad gateway");
    auto p = makeCloudflare(fake, {kHome});
    CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::RetryLater);
    CHECK(p->update(kHome, ip("203.0.113.7")).status == UpdateStatus::Updated);
  }
  SECTION("a rejected PATCH is Failed with the message of the envelope") {
    auto p = makeCloudflare(fake, {kHome}, {{"zone_id", zone}});
    REQUIRE(p->prepare().ok());
    fake.failNext(400, 9021, "Invalid content for an A record.");
    const auto r = p->update(kHome, ip("203.0.113.7"));
    CHECK(r.status == UpdateStatus::Failed);
    CHECK(r.detail.find("Invalid content") != std::string::npos);
  }
}

TEST_CASE("Cloudflare: bad settings are rejected", "[providers][unit]") {
  FakeCloudflare fake;
  CHECK_THROWS_AS(makeCloudflare(fake, {}, {{"api_token", ""}}), std::invalid_argument);
  CHECK_THROWS_AS(makeCloudflare(fake, {}, {{"endpoint", "api.cloudflare.com"}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(makeCloudflare(fake, {}, {{"zone_id", "../zones"}}), std::invalid_argument);
}

TEST_CASE("Cloudflare: a reply of 1 MB of open brackets or deep nesting is a failure, not a crash",
          "[providers][unit]") {
  std::string deep;
  for (int i = 0; i < 100000; ++i) {
    deep += "{\"a\":";
  }
  struct Case {
    int status;
    std::string body;
    UpdateStatus expected;
  };
  const std::string wide(1000000, '[');
  for (const Case& c : std::vector<Case>{{200, wide, UpdateStatus::RetryLater},
                                         {200, deep, UpdateStatus::RetryLater},
                                         {400, deep, UpdateStatus::Failed},
                                         {429, deep, UpdateStatus::RetryLater}}) {
    chipmunk::test::FakeHttpServer server([&](const chipmunk::test::FakeRequest&) {
      chipmunk::test::FakeResponse r;
      r.status = c.status;
      r.body = c.body;
      return r;
    });
    ProviderContext context;
    context.section = "cloudflare";
    context.settings = {{"api_token", "cf-test-token"},
                        {"endpoint", server.url() + "/client/v4"},
                        {"zone_id", ""},
                        {"proxied", "keep"},
                        {"ttl", "0"},
                        {"create_missing", "no"}};
    context.records = {kHome};
    context.http.timeout = std::chrono::seconds(5);
    auto p = ProviderRegistry::builtin().find("cloudflare")->create(context);
    const auto r = p->update(kHome, ip("203.0.113.7"));
    INFO("status " << c.status << ": " << r.detail);
    CHECK(r.status == c.expected);
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
