// SPDX-License-Identifier: MIT
// The netcup provider against a fake of the netcup CCP API (tests/support/fake_netcup.hpp;
// https://ccp.netcup.net/run/webservice/servers/endpoint.php).
#include <catch2/catch.hpp>

#include "providers/provider.hpp"
#include "tests/support/fake_netcup.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeNetcup{
    "netcup",
    {{"customer_number", "12345"}, {"api_key", "nc-key"}, {"api_password", "nc-password"}}};

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("Netcup: updates A and AAAA, keeps id, priority and state, logs out, then is unchanged",
          "[providers][unit]") {
  FakeNetcup fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", {"", "home", "A", "192.0.2.1", "5", "yes"});
  fake.addRecord("example.com", {"", "home", "AAAA", "2001:db8::1"});
  fake.addRecord("example.com", {"", "@", "A", "192.0.2.9"});
  fake.addRecord("example.com", {"", "@", "MX", "mail.example.com", "10"});
  const std::string id = fake.record("example.com", "home", "A")->id;
  auto p = makeNetcup(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        const auto a = fake.record("example.com", "home", "A");
        REQUIRE(a);
        CHECK(a->destination == "198.51.100.7");
        CHECK(a->id == id);
        CHECK(a->priority == "5");
      },
      [&] { CHECK(fake.record("example.com", "home", "AAAA")->destination == "2001:db8::7"); });
  CHECK(fake.record("example.com", "@", "A")->destination == "198.51.100.8");
  CHECK(fake.record("example.com", "@", "MX")->priority == "10");
  CHECK(fake.recordCount("example.com") == 4);
  CHECK(fake.openSessions() == 0);  // every login was followed by a logout
  for (const auto& req : fake.requests()) {
    CHECK(req.method == "POST");
    CHECK(req.query == "JSON");
  }
}

TEST_CASE("Netcup: a missing record is created or not found, also in an empty zone",
          "[providers][unit]") {
  FakeNetcup fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", {"", "www", "A", "192.0.2.3"});
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  checkCreateMissing(makeNetcup, fake, nas, ip("2001:db8::5"),
                     [&] { return fake.record("example.com", "nas", "AAAA").has_value(); });
  CHECK(fake.record("example.com", "nas", "AAAA")->destination == "2001:db8::5");
  fake.addDomain("empty.example");  // infoDnsRecords answers 5029
  const Record first{"first", "", "empty.example", RecordType::A};
  CHECK(makeNetcup(fake, {first})->update(first, ip("198.51.100.7")).status ==
        UpdateStatus::NotFound);
  auto creating = makeNetcup(fake, {first}, {{"create_missing", "yes"}});
  CHECK(creating->update(first, ip("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(fake.record("empty.example", "@", "A")->destination == "198.51.100.7");
}

TEST_CASE("Netcup: the zone setting, refused credentials and unknown domains stop the record",
          "[providers][unit]") {
  FakeNetcup fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", {"", "home.lab", "A", "192.0.2.1"});
  const Record lab{"lab", "home", "lab.example.com", RecordType::A};
  auto p = makeNetcup(fake, {lab}, {{"zone", "example.com"}});
  CHECK(p->update(lab, ip("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(fake.record("example.com", "home.lab", "A")->destination == "198.51.100.7");
  auto r =
      makeNetcup(fake, {kHome}, {{"zone", "other.example"}})->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.stop);
  const Record unknown{"u", "home", "unknown.example", RecordType::A};
  r = makeNetcup(fake, {unknown})->update(unknown, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.stop);
  CHECK(r.detail.find("Domain not found") != std::string::npos);
  const RestProviderMaker wrong{
      "netcup", {{"customer_number", "12345"}, {"api_key", "nc-key"}, {"api_password", "nope-pw"}}};
  r = checkRefused(wrong, fake, kHome, "api password is invalid", "nope-pw");
  CHECK(r.stop);
  checkRequired(makeNetcup, fake, kHome, "api_password");
  checkRequired(makeNetcup, fake, kHome, "customer_number");
}

TEST_CASE("Netcup: 429 with and without Retry-After, the CCP's rate limit, 5xx, bad answers",
          "[providers][unit]") {
  FakeNetcup fake;
  fake.addDomain("example.com");
  fake.addRecord("example.com", {"", "home", "A", "192.0.2.1"});
  auto p = makeNetcup(fake, {kHome});
  checkThrottled(fake, *p, kHome, 429, "", "120");
  checkThrottled(fake, *p, kHome, 429, "");
  fake.rateLimitNext();
  auto r = p->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK_FALSE(r.stop);
  CHECK(r.detail.find("180 requests per minute") != std::string::npos);
  fake.failNext(503, "<html>Service Unavailable</html>");
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
  checkBadRepliesThenRecovers(fake, *p, kHome, ip("198.51.100.7"),
                              {R"({"status":"success","responsedata":)",     // cut short
                               R"({"status":"success","responsedata":""})",  // no session
                               R"(["status"])", tooDeepJson()});
  CHECK(fake.record("example.com", "home", "A")->destination == "198.51.100.7");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
