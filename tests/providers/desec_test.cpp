// SPDX-License-Identifier: MIT
// The desec provider against a fake of the deSEC REST API v1
// (tests/support/fake_desec.hpp; https://desec.readthedocs.io/en/latest/dns/rrsets.html).
#include <catch2/catch.hpp>

#include <map>

#include "providers/provider.hpp"
#include "tests/support/fake_desec.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeDesec{"desec", {{"token", "desec-token"}}};

FakeDesec::RRset set(long long ttl, std::vector<std::string> records) {
  FakeDesec::RRset s;
  s.ttl = ttl;
  s.records = std::move(records);
  return s;
}

const auto [kHome, kHome6, kApex] = homeRecords("example.dedyn.io");

TEST_CASE("Desec: PATCHes the records only (TTL kept), A, AAAA and apex, then unchanged",
          "[providers][unit]") {
  FakeDesec fake;
  fake.addDomain("example.dedyn.io");
  fake.setRRset("example.dedyn.io", "home", "A", set(7200, {"192.0.2.1"}));
  fake.setRRset("example.dedyn.io", "home", "AAAA", set(3600, {"2001:db8::1"}));
  fake.setRRset("example.dedyn.io", "", "A", set(3600, {"192.0.2.9"}));
  auto p = makeDesec(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        CHECK(fake.rrset("example.dedyn.io", "home", "A")->records ==
              std::vector<std::string>{"198.51.100.7"});
        CHECK(fake.rrset("example.dedyn.io", "home", "A")->ttl == 7200);
        CHECK(fake.requests().back().body == R"({"records":["198.51.100.7"]})");
      },
      [&] {
        CHECK(fake.rrset("example.dedyn.io", "home", "AAAA")->records ==
              std::vector<std::string>{"2001:db8::7"});
      });
  CHECK(fake.rrset("example.dedyn.io", "", "A")->records ==
        std::vector<std::string>{"198.51.100.8"});
  CHECK(fake.requests().back().path == "/api/v1/domains/example.dedyn.io/rrsets/@/A/");
}

TEST_CASE("Desec: ttl, a TTL below the minimum, create_missing, missing RRset or domain",
          "[providers][unit]") {
  FakeDesec fake;
  fake.addDomain("example.dedyn.io");
  fake.setRRset("example.dedyn.io", "home", "A", set(3600, {"198.51.100.7"}));
  auto p = checkTtlApplied(makeDesec, fake, kHome, "2h", [&] {
    CHECK(fake.rrset("example.dedyn.io", "home", "A")->ttl == 7200);
  });
  const auto low = makeDesec(fake, {kHome}, {{"ttl", "60"}})->update(kHome, ip("198.51.100.9"));
  CHECK(low.status == UpdateStatus::Failed);
  CHECK(low.detail.find("greater than or equal to 3600") != std::string::npos);
  const Record nas{"nas", "nas", "example.dedyn.io", RecordType::AAAA};
  checkCreateMissing(makeDesec, fake, nas, ip("2001:db8::5"),
                     [&] { return fake.rrset("example.dedyn.io", "nas", "AAAA").has_value(); });
  CHECK(fake.rrset("example.dedyn.io", "nas", "AAAA")->ttl == 3600);
  const Record other{"o", "home", "other.example", RecordType::A};
  const auto creating = makeDesec(fake, {nas}, {{"create_missing", "yes"}});
  CHECK(creating->update(other, ip("198.51.100.7")).status == UpdateStatus::NotFound);
}

TEST_CASE("Desec: an invalid token is auth-failed and never shown", "[providers][unit]") {
  FakeDesec fake("real-token");
  fake.addDomain("example.dedyn.io");
  checkRefused(makeDesec, fake, kHome, "Invalid token", "desec-token");
  checkRequired(makeDesec, fake, kHome, "token");
}

TEST_CASE("Desec: throttled with and without Retry-After, 5xx, malformed and oversized",
          "[providers][unit]") {
  FakeDesec fake;
  fake.addDomain("example.dedyn.io");
  fake.setRRset("example.dedyn.io", "home", "A", set(3600, {"192.0.2.1"}));
  auto p = makeDesec(fake, {kHome});
  const std::string throttled =
      R"({"detail":"Request was throttled. Expected available in 42 seconds."})";
  const auto r = checkThrottled(fake, *p, kHome, 429, throttled, "42");
  CHECK(r.detail.find("throttled") != std::string::npos);
  checkThrottled(fake, *p, kHome, 429, throttled);
  fake.failNext(502, "<html>Bad Gateway</html>");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
  checkBadRepliesThenRecovers(
      fake, *p, kHome, ip("198.51.100.7"),
      {R"({"records":["19)", R"({"records":"198.51.100.7"})", tooDeepJson()});
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
