// SPDX-License-Identifier: MIT
// The njalla provider against a fake of the Njalla API (tests/support/fake_njalla.hpp;
// https://njal.la/api/).
#include <catch2/catch.hpp>

#include "providers/provider.hpp"
#include "tests/support/fake_njalla.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeNjalla{"njalla", {{"token", "njalla-token"}}};

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("Njalla: updates A and AAAA, keeps the ttl, then is unchanged", "[providers][unit]") {
  FakeNjalla fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", {0, "home", "A", "192.0.2.1", 900});
  fake.addRecord("example.com", {0, "home", "AAAA", "2001:db8::1", 300});
  fake.addRecord("example.com", {0, "@", "A", "192.0.2.9"});
  auto p = makeNjalla(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        const auto a = fake.record("example.com", "home", "A");
        REQUIRE(a);
        CHECK(a->content == "198.51.100.7");
        CHECK(a->ttl == 900);
      },
      [&] { CHECK(fake.record("example.com", "home", "AAAA")->content == "2001:db8::7"); });
  CHECK(fake.record("example.com", "@", "A")->content == "198.51.100.8");
  for (const auto& req : fake.requests()) {
    CHECK(req.method == "POST");
    CHECK(req.path == "/api/1/");
    CHECK(req.body.find("njalla-token") == std::string::npos);  // in the header only
  }
}

TEST_CASE("Njalla: ttl is set when configured, a missing record is created or not found",
          "[providers][unit]") {
  FakeNjalla fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", {0, "home", "A", "198.51.100.7", 10800});
  checkTtlApplied(makeNjalla, fake, kHome, "300",
                  [&] { CHECK(fake.record("example.com", "home", "A")->ttl == 300); });
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  checkCreateMissing(makeNjalla, fake, nas, ip("2001:db8::5"),
                     [&] { return fake.record("example.com", "nas", "AAAA").has_value(); });
  CHECK(fake.record("example.com", "nas", "AAAA")->ttl == 3600);
  // A TTL Njalla does not offer is refused by the service: a failure, not a retry.
  auto r = makeNjalla(fake, {kHome}, {{"ttl", "120"}})->update(kHome, ip("198.51.100.9"));
  CHECK(r.status == UpdateStatus::Failed);
  CHECK(r.detail.find("Invalid TTL") != std::string::npos);
}

TEST_CASE("Njalla: a refused token and an unknown domain stop the record", "[providers][unit]") {
  FakeNjalla fake("right-token");
  fake.addDomain("example.com");
  fake.addRecord("example.com", {0, "home", "A", "192.0.2.1"});
  auto r = checkRefused(makeNjalla, fake, kHome, "Permission denied", "njalla-token");
  CHECK(r.stop);
  const RestProviderMaker right{"njalla", {{"token", "right-token"}}};
  const Record unknown{"u", "home", "unknown.example", RecordType::A};
  r = right(fake, {unknown})->update(unknown, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.stop);
  CHECK(r.detail.find("Domain not found") != std::string::npos);
  checkRequired(makeNjalla, fake, kHome, "token");
}

TEST_CASE("Njalla: 429 with and without Retry-After, 5xx, malformed and oversized answers",
          "[providers][unit]") {
  FakeNjalla fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", {0, "home", "A", "192.0.2.1"});
  auto p = makeNjalla(fake, {kHome});
  checkThrottled(fake, *p, kHome, 429, R"({"error":{"code":429,"message":"Too many requests"}})",
                 "30");
  checkThrottled(fake, *p, kHome, 429, "");
  fake.failNext(502, "<html>Bad Gateway</html>");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
  checkBadRepliesThenRecovers(fake, *p, kHome, ip("198.51.100.7"),
                              {R"({"result":{"records":)",            // cut short
                               R"({"result":{"records":{"id":1}}})",  // wrong shape
                               R"({"result":[]})", R"([1,2])", tooDeepJson()});
  CHECK(fake.record("example.com", "home", "A")->content == "198.51.100.7");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
