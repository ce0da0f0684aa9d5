// SPDX-License-Identifier: MIT
// The porkbun provider against a fake of the Porkbun API v3
// (tests/support/fake_porkbun.hpp; https://porkbun.com/api/json/v3/documentation).
#include <catch2/catch.hpp>

#include <map>

#include "providers/provider.hpp"
#include "tests/support/fake_porkbun.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makePorkbun{"porkbun",
                                    {{"api_key", "pk1_test"}, {"secret_api_key", "sk1_test"}}};

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("Porkbun: updates A and AAAA, keeps ttl, prio and notes, then is unchanged",
          "[providers][unit]") {
  FakePorkbun fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", {"", "home.example.com", "A", "192.0.2.1", "900", "0", "my note"});
  fake.addRecord("example.com", {"", "home.example.com", "AAAA", "2001:db8::1", "600", "0", ""});
  fake.addRecord("example.com", {"", "example.com", "A", "192.0.2.9", "600", "0", ""});
  auto p = makePorkbun(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        const auto a = fake.record("home.example.com", "A");
        REQUIRE(a);
        CHECK(a->content == "198.51.100.7");
        CHECK(a->ttl == "900");
        CHECK(a->notes == "my note");
      },
      [&] {
        CHECK(fake.record("home.example.com", "AAAA")->content == "2001:db8::7");
        CHECK(fake.record("home.example.com", "A")->content == "198.51.100.7");
      });
  CHECK(fake.record("example.com", "A")->content == "198.51.100.8");
  // Keys travel in the body, never in the URL.
  for (const auto& req : fake.requests()) {
    CHECK(req.method == "POST");
    CHECK(req.path.find("sk1_test") == std::string::npos);
    CHECK(req.query.empty());
  }
}

TEST_CASE("Porkbun: ttl is set when configured, a missing record is created or not found",
          "[providers][unit]") {
  FakePorkbun fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", {"", "home.example.com", "A", "198.51.100.7", "600", "0", "n"});
  auto p = checkTtlApplied(makePorkbun, fake, kHome, "3600", [&] {  // ttl differs
    CHECK(fake.record("home.example.com", "A")->ttl == "3600");
    CHECK(fake.record("home.example.com", "A")->notes == "n");
  });
  const Record nas{"nas", "nas", "example.com", RecordType::A};
  checkCreateMissing(makePorkbun, fake, nas, ip("198.51.100.7"),
                     [&] { return fake.record("nas.example.com", "A").has_value(); });
  CHECK(fake.record("nas.example.com", "A")->content == "198.51.100.7");
}

TEST_CASE("Porkbun: refused keys, API access off and unknown domains stop the record",
          "[providers][unit]") {
  FakePorkbun fake;
  fake.addDomain("example.com");
  fake.addDomain("locked.example", false);
  auto bad = [&fake] {
    ProviderContext c;
    c.section = "porkbun";
    c.settings = {
        {"api_key", "pk1_test"}, {"secret_api_key", "sk1_nope"}, {"endpoint", fake.endpoint()}};
    c.http.timeout = std::chrono::seconds(5);
    return makeProvider(*ProviderRegistry::builtin().find("porkbun"), c);
  }();
  auto r = bad->prepare();
  CHECK(r.status == UpdateStatus::AuthFailed);
  CHECK(r.detail.find("sk1_nope") == std::string::npos);
  CHECK(r.detail.find("Invalid API key") != std::string::npos);
  r = bad->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::AuthFailed);
  CHECK(r.stop);
  auto p = makePorkbun(fake, {kHome});
  const Record locked{"l", "home", "locked.example", RecordType::A};
  r = p->update(locked, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::AuthFailed);
  CHECK(r.stop);
  const Record unknown{"u", "home", "unknown.example", RecordType::A};
  r = p->update(unknown, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.stop);
  checkRequired(makePorkbun, fake, kHome, "api_key");
}

TEST_CASE("Porkbun: 429 with and without Retry-After, 5xx, malformed and oversized replies",
          "[providers][unit]") {
  FakePorkbun fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", {"", "home.example.com", "A", "192.0.2.1", "600", "0", ""});
  auto p = makePorkbun(fake, {kHome});
  checkThrottled(fake, *p, kHome, 429, R"({"status":"ERROR","message":"Rate limit exceeded."})",
                 "90");
  checkThrottled(fake, *p, kHome, 429, "");
  fake.failNext(503, "<html>Service Unavailable</html>");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
  checkBadRepliesThenRecovers(fake, *p, kHome, ip("198.51.100.7"),
                              {R"({"status":"SUCCESS","records":)",             // cut short
                               R"({"status":"SUCCESS","records":{"id":"1"}})",  // wrong shape
                               std::string(200000, '[') + std::string(200000, ']')});  // too deep
  CHECK(fake.record("home.example.com", "A")->content == "198.51.100.7");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
