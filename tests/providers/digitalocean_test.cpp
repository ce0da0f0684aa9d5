// SPDX-License-Identifier: MIT
// The digitalocean provider against a fake of the DigitalOcean API v2 domain records
// (tests/support/fake_digitalocean.hpp;
// https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domain-Records).
#include <catch2/catch.hpp>

#include <ctime>
#include <map>

#include "providers/provider.hpp"
#include "tests/support/fake_digitalocean.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeDo{"digitalocean", {{"api_token", "do-test-token"}}};

FakeDigitalOcean::DnsRecord rec(const char* type, const char* name, const char* data,
                                long long ttl = 1800, int priority = 0, const char* tag = "") {
  FakeDigitalOcean::DnsRecord r;
  r.type = type;
  r.name = name;
  r.data = data;
  r.ttl = ttl;
  r.priority = priority;
  r.tag = tag;
  return r;
}

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("DigitalOcean: PATCHes only data, so ttl, priority and tag stay, then unchanged",
          "[providers][unit]") {
  FakeDigitalOcean fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", rec("A", "home", "192.0.2.1", 3600, 7, "keep-me"));
  fake.addRecord("example.com", rec("AAAA", "home", "2001:db8::1"));
  fake.addRecord("example.com", rec("A", "@", "192.0.2.9"));
  auto p = makeDo(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        const auto a = fake.record("example.com", "A", "home");
        REQUIRE(a);
        CHECK(a->data == "198.51.100.7");
        CHECK(a->ttl == 3600);
        CHECK(a->priority == 7);
        CHECK(a->tag == "keep-me");
        CHECK(fake.requests().back().body == R"({"data":"198.51.100.7"})");
      },
      [&] { CHECK(fake.record("example.com", "AAAA", "home")->data == "2001:db8::7"); });
  CHECK(fake.record("example.com", "A", "@")->data == "198.51.100.8");
  CHECK(fake.requests().front().param("name") == "home.example.com");
}

TEST_CASE("DigitalOcean: pages through a listing that ignores the name filter",
          "[providers][unit]") {
  FakeDigitalOcean fake;
  fake.addDomain("example.com");
  for (int i = 0; i < 6; ++i) {
    fake.addRecord("example.com", rec("A", ("other" + std::to_string(i)).c_str(), "192.0.2.2"));
  }
  fake.addRecord("example.com", rec("A", "home", "192.0.2.1"));
  fake.setPageSize(2);
  fake.ignoreNameFilter(true);
  auto p = makeDo(fake, {kHome});
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(fake.record("example.com", "A", "home")->data == "198.51.100.7");
  CHECK(fake.record("example.com", "A", "other0")->data == "192.0.2.2");
  int gets = 0;
  for (const auto& req : fake.requests()) {
    gets += req.method == "GET" ? 1 : 0;
  }
  CHECK(gets == 4);
}

TEST_CASE("DigitalOcean: ttl, create_missing, a missing record and an unknown domain",
          "[providers][unit]") {
  FakeDigitalOcean fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", rec("A", "home", "198.51.100.7", 1800));
  auto p = checkTtlApplied(makeDo, fake, kHome, "300",
                           [&] { CHECK(fake.record("example.com", "A", "home")->ttl == 300); });
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  checkCreateMissing(makeDo, fake, nas, ip("2001:db8::5"),
                     [&] { return fake.record("example.com", "AAAA", "nas").has_value(); });
  CHECK(fake.record("example.com", "AAAA", "nas")->data == "2001:db8::5");
  const Record elsewhere{"e", "home", "unknown.example", RecordType::A};
  const auto r = p->update(elsewhere, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.detail.find("not_found") != std::string::npos);
}

TEST_CASE("DigitalOcean: a refused token is auth-failed and never shown", "[providers][unit]") {
  FakeDigitalOcean fake("the-real-token");
  fake.addDomain("example.com");
  checkRefused(makeDo, fake, kHome, "unauthorized", "do-test-token");
  checkRequired(makeDo, fake, kHome, "api_token");
}

TEST_CASE("DigitalOcean: 429 with Retry-After or ratelimit-reset, 5xx, malformed, oversized",
          "[providers][unit]") {
  FakeDigitalOcean fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", rec("A", "home", "192.0.2.1"));
  auto p = makeDo(fake, {kHome});
  const std::string limited = R"({"id":"too_many_requests","message":"API Rate limit exceeded."})";
  fake.failNext(429, limited, {{"Retry-After", "45"}});
  auto r = p->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK(r.retryAfter == std::chrono::seconds(45));
  fake.failNext(429, limited, {{"ratelimit-reset", std::to_string(std::time(nullptr) + 600)}});
  r = p->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  REQUIRE(r.retryAfter);
  CHECK(*r.retryAfter >= std::chrono::seconds(590));
  CHECK(*r.retryAfter <= std::chrono::seconds(600));
  fake.failNext(429, limited);
  r = p->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK_FALSE(r.retryAfter);
  fake.failNext(500, R"({"id":"server_error","message":"Server Error"})");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
  checkBadRepliesThenRecovers(
      fake, *p, kHome, ip("198.51.100.7"),
      {R"({"domain_records":[{"id":)", R"({"domain_records":{"id":1}})", std::string(100000, '{')});
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
