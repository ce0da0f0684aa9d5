// SPDX-License-Identifier: MIT
// The ovh provider against a fake of the OVHcloud API v1 that checks every "$1$" signature as
// OVHcloud does (tests/support/fake_ovh.hpp;
// https://help.ovhcloud.com/csm/en-api-getting-started-ovhcloud-api).
#include <catch2/catch.hpp>

#include <map>

#include "providers/provider.hpp"
#include "tests/support/fake_ovh.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeOvh{
    "ovh",
    {{"application_key", "ovh-ak"}, {"application_secret", "ovh-as"}, {"consumer_key", "ovh-ck"}}};

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

void seed(FakeOvh& fake) {
  fake.addZone("example.com");
  fake.addRecord("example.com", {"home", "A", "192.0.2.1", 60});
}

TEST_CASE("Ovh: PUTs the target of A, AAAA and apex records keeping their TTL, refreshes the zone",
          "[providers][unit]") {
  FakeOvh fake;
  seed(fake);
  fake.addRecord("example.com", {"home", "AAAA", "2001:db8::1", 0});
  fake.addRecord("example.com", {"", "A", "192.0.2.9", 3600});
  fake.addRecord("example.com", {"www", "A", "192.0.2.50", 0});
  fake.setClockSkew(-3600);  // our clock is an hour fast: the server's time is used
  auto p = makeOvh(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        CHECK(fake.find("example.com", "home", "A")->target == "198.51.100.7");
        CHECK(fake.find("example.com", "home", "A")->ttl == 60);
        CHECK(fake.refreshes("example.com") == 1);
      },
      [&] { CHECK(fake.find("example.com", "home", "AAAA")->target == "2001:db8::7"); });
  CHECK(fake.find("example.com", "", "A")->target == "198.51.100.8");
  CHECK(fake.find("example.com", "", "A")->ttl == 3600);
  CHECK(fake.find("example.com", "www", "A")->target == "192.0.2.50");
  CHECK(fake.refreshes("example.com") == 3);  // not after the unchanged run
  CHECK(fake.requests().back().path == "/1.0/domain/zone/example.com/refresh");
}

TEST_CASE("Ovh: ttl, create_missing, zone setting, a refresh retried after it failed",
          "[providers][unit]") {
  FakeOvh fake;
  seed(fake);
  fake.addRecord("example.com", {"home", "A", "198.51.100.7", 60});  // a second: warned, first kept
  fake.addZone("sub.example.org");
  checkTtlApplied(makeOvh, fake, kHome, "600",
                  [&] { CHECK(fake.find("example.com", "home", "A")->ttl == 600); });
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  checkCreateMissing(makeOvh, fake, nas, ip("2001:db8::5"),
                     [&] { return fake.find("example.com", "nas", "AAAA").has_value(); });
  // zone = sub.example.org serves a.b.sub.example.org as subDomain "a.b".
  const Record deep{"deep", "a.b", "sub.example.org", RecordType::A};
  auto p = makeOvh(fake, {deep}, {{"zone", "sub.example.org"}, {"create_missing", "yes"}});
  REQUIRE(p->prepare().ok());
  fake.failRefreshes(1);  // the change is made but not served yet
  CHECK(p->update(deep, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
  const auto again = p->update(deep, ip("198.51.100.7"));
  CHECK(again.status == UpdateStatus::Updated);
  CHECK(again.detail.find("refreshed") != std::string::npos);
  CHECK(fake.refreshes("sub.example.org") == 1);
  CHECK_THROWS_WITH(makeOvh(fake, {kHome}, {{"zone", "example.org"}}),
                    Catch::Contains("record home.example.com is not in zone example.org"));
  CHECK_THROWS_WITH(makeOvh(fake, {kHome}, {{"endpoint", "ovh-mars"}}),
                    Catch::Contains("endpoint must be an http:// or https:// URL"));
}

TEST_CASE("Ovh: refused keys, a bad signature, an ungranted call are auth-failed, secrets hidden",
          "[providers][unit]") {
  const auto refusedBy = [](FakeOvh&& fake, const std::string& message) {
    seed(fake);
    return checkRefused(makeOvh, fake, kHome, message, "ovh-as");
  };
  refusedBy(FakeOvh("other-ak"), "Invalid application key");
  refusedBy(FakeOvh("ovh-ak", "ovh-as", "other-ck"), "This credential does not exist");
  CHECK(refusedBy(FakeOvh("ovh-ak", "other-as"), "Invalid signature").stop);
  FakeOvh readOnly;
  seed(readOnly);
  readOnly.setReadOnly(true);
  checkRefused(makeOvh, readOnly, kHome, "This call has not been granted", "ovh-ck");
  CHECK(readOnly.find("example.com", "home", "A")->target == "192.0.2.1");
  checkRequired(makeOvh, readOnly, kHome, "consumer_key");
}

TEST_CASE("Ovh: an unknown zone, a timestamp out of range, 429, 5xx, malformed and oversized",
          "[providers][unit]") {
  FakeOvh fake;
  seed(fake);
  const Record other{"o", "home", "other.example", RecordType::A};
  auto r = makeOvh(fake, {other})->update(other, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.detail.find("This service does not exist") != std::string::npos);
  auto p = makeOvh(fake, {kHome});
  REQUIRE(p->prepare().ok());
  fake.setClockSkew(600);  // the server's clock moved: refused once, then read again
  r = p->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK(r.detail.find("Query out of time") != std::string::npos);
  CHECK(p->update(kHome, ip("198.51.100.9")).status == UpdateStatus::Updated);
  const std::string limited =
      R"({"class":"Client::TooManyRequests","message":"Too many requests"})";
  checkThrottled(fake, *p, kHome, 429, limited, "20");
  checkThrottled(fake, *p, kHome, 429, limited);
  checkThrottled(fake, *p, kHome, 502, "<html>Bad Gateway</html>", "5");
  checkBadRepliesThenRecovers(fake, *p, kHome, ip("198.51.100.7"),
                              {"[5000001", R"({"ids":[]})", R"(["x"])", tooDeepJson()});
  CHECK(fake.find("example.com", "home", "A")->target == "198.51.100.7");
}

TEST_CASE("Ovh: current() reads the record now, a missing one, a refusal", "[providers][unit]") {
  FakeOvh fake;
  seed(fake);
  auto p = makeOvh(fake, {kHome, kHome6});
  auto now = p->current(kHome);
  CHECK(now.status == CurrentRecord::Status::kFound);
  CHECK(now.addresses == std::vector<std::string>{"192.0.2.1"});
  CHECK(p->current(kHome6).status == CurrentRecord::Status::kMissing);
  fake.failNext(403,
                R"({"errorCode":"INVALID_CREDENTIAL","message":"This credential is not valid"})");
  now = p->current(kHome);
  CHECK(now.status == CurrentRecord::Status::kFailed);
  CHECK(now.detail.find("This credential is not valid") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
