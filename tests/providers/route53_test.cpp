// SPDX-License-Identifier: MIT
// The route53 provider against a fake of the Amazon Route 53 API that checks every SigV4
// signature as AWS does (tests/support/fake_route53.hpp;
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
#include <catch2/catch.hpp>

#include <map>

#include "providers/provider.hpp"
#include "tests/support/fake_route53.hpp"
#include "tests/support/rest_provider_cases.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::test;

const RestProviderMaker makeRoute53{
    "route53",
    {{"access_key_id", "AKIDEXAMPLE"},
     {"secret_access_key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}}};

FakeRoute53::RRset set(long long ttl, std::vector<std::string> values) {
  FakeRoute53::RRset s;
  s.ttl = ttl;
  s.values = std::move(values);
  return s;
}

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

// The fake with zone Z1 example.com (and a private twin listed first) and home's A set.
void seed(FakeRoute53& fake) {
  fake.addZone("Z0PRIVATE", "example.com", true);
  fake.addZone("Z1", "example.com");
  fake.setRRset("Z1", "home.example.com", "A", set(60, {"192.0.2.1"}));
}

TEST_CASE("Route53: UPSERTs A, AAAA and apex sets keeping their TTL, then unchanged",
          "[providers][unit]") {
  FakeRoute53 fake;
  seed(fake);
  fake.setRRset("Z1", "home.example.com", "AAAA", set(120, {"2001:db8::1"}));
  fake.setRRset("Z1", "example.com", "A", set(3600, {"192.0.2.9", "192.0.2.10"}));
  auto p = makeRoute53(fake, {kHome, kHome6, kApex});
  checkHomeAaaaApex(
      *p, {kHome, kHome6, kApex},
      [&] {
        CHECK(fake.rrset("Z1", "home.example.com", "A")->values ==
              std::vector<std::string>{"198.51.100.7"});
        CHECK(fake.rrset("Z1", "home.example.com", "A")->ttl == 60);
      },
      [&] { CHECK(fake.rrset("Z1", "home.example.com", "AAAA")->ttl == 120); });
  // The apex held two addresses: the set is replaced by ours alone, its TTL kept.
  CHECK(fake.rrset("Z1", "example.com", "A")->values == std::vector<std::string>{"198.51.100.8"});
  CHECK(fake.rrset("Z1", "example.com", "A")->ttl == 3600);
  CHECK_FALSE(fake.rrset("Z0PRIVATE", "example.com", "A"));
  // The zone was looked up once; every request carried a signature the fake recomputed.
  int lookups = 0;
  for (const auto& r : fake.requests()) {
    lookups += r.path == "/2013-04-01/hostedzonesbyname" ? 1 : 0;
    CHECK(r.header("authorization").find("Credential=AKIDEXAMPLE/") != std::string::npos);
  }
  CHECK(lookups == 1);
  CHECK(fake.requests().back().path == "/2013-04-01/hostedzone/Z1/rrset/");
}

TEST_CASE("Route53: hosted_zone_id, ttl, create_missing, temporary credentials",
          "[providers][unit]") {
  FakeRoute53 fake("ASIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session/token=");
  seed(fake);
  fake.setRRset("Z1", "home.example.com", "A", set(60, {"198.51.100.7"}));
  const RestProviderMaker temporary{
      "route53",
      {{"access_key_id", "ASIAEXAMPLE"},
       {"secret_access_key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
       {"session_token", "session/token="},
       {"hosted_zone_id", "/hostedzone/Z1"}}};
  checkTtlApplied(temporary, fake, kHome, "600",
                  [&] { CHECK(fake.rrset("Z1", "home.example.com", "A")->ttl == 600); });
  const Record nas{"nas", "nas", "example.com", RecordType::AAAA};
  checkCreateMissing(temporary, fake, nas, ip("2001:db8::5"),
                     [&] { return fake.rrset("Z1", "nas.example.com", "AAAA").has_value(); });
  CHECK(fake.rrset("Z1", "nas.example.com", "AAAA")->ttl == 300);
  for (const auto& r : fake.requests()) {
    CHECK(r.path != "/2013-04-01/hostedzonesbyname");  // hosted_zone_id set: no lookup
  }
  CHECK_THROWS_WITH(makeRoute53(fake, {kHome}, {{"hosted_zone_id", "Z1/../x"}}),
                    Catch::Contains("hosted_zone_id must be a zone id"));
}

TEST_CASE("Route53: a wrong secret, key or token is auth-failed and never shown",
          "[providers][unit]") {
  const auto refusedBy = [](FakeRoute53&& fake, const std::string& message) {
    seed(fake);
    return checkRefused(makeRoute53, fake, kHome, message,
                        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  };
  CHECK(refusedBy(FakeRoute53("AKIDEXAMPLE", "the-real-secret"), "SignatureDoesNotMatch").stop);
  refusedBy(FakeRoute53("AKIDOTHER"), "InvalidClientTokenId");
  refusedBy(FakeRoute53("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok"),
            "InvalidClientTokenId");
  FakeRoute53 fake;
  checkRequired(makeRoute53, fake, kHome, "secret_access_key");
  checkRequired(makeRoute53, fake, kHome, "access_key_id");
}

TEST_CASE("Route53: unknown zone, missing set past a paged listing, routing-policy sets",
          "[providers][unit]") {
  FakeRoute53 fake;
  seed(fake);
  // Names after home's in the zone's order: the one-set listing is truncated at another name.
  for (int i = 0; i < 30; ++i) {
    fake.setRRset("Z1", "host" + std::to_string(i) + ".example.com", "A", set(60, {"192.0.2.2"}));
  }
  const Record other{"o", "home", "other.example", RecordType::A};
  auto r = makeRoute53(fake, {other})->update(other, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.detail.find("no public hosted zone other.example") != std::string::npos);
  r = makeRoute53(fake, {kHome}, {{"hosted_zone_id", "ZGONE"}})->update(kHome, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(r.detail.find("NoSuchHostedZone") != std::string::npos);
  CHECK(r.stop);
  const Record hos{"hos", "hos", "example.com", RecordType::A};  // listing starts at host0
  r = makeRoute53(fake, {hos})->update(hos, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::NotFound);
  CHECK(fake.rrset("Z1", "host0.example.com", "A")->values ==
        std::vector<std::string>{"192.0.2.2"});
  auto weighted = set(60, {"192.0.2.3"});
  weighted.setIdentifier = "blue";
  fake.setRRset("Z1", "home.example.com", "AAAA", weighted);
  r = makeRoute53(fake, {kHome6})->update(kHome6, ip("2001:db8::7"));
  CHECK(r.status == UpdateStatus::Failed);
  CHECK(r.stop);
  CHECK(fake.rrset("Z1", "home.example.com", "AAAA")->values ==
        std::vector<std::string>{"192.0.2.3"});
}

TEST_CASE("Route53: Throttling with and without Retry-After, 5xx, malformed and oversized",
          "[providers][unit]") {
  FakeRoute53 fake;
  seed(fake);
  auto p = makeRoute53(fake, {kHome});
  // The zone id is cached now: the canned replies below answer the record set's listing.
  CHECK(p->update(kHome, ip("198.51.100.9")).status == UpdateStatus::Updated);
  const std::string throttled = FakeRoute53::errorBody("Throttling", "Rate exceeded");
  auto r = checkThrottled(fake, *p, kHome, 400, throttled, "7");
  CHECK(r.detail.find("Throttling: Rate exceeded") != std::string::npos);
  checkThrottled(fake, *p, kHome, 400, throttled);
  checkThrottled(fake, *p, kHome, 400,
                 FakeRoute53::errorBody("PriorRequestNotComplete", "The request was rejected"));
  checkThrottled(fake, *p, kHome, 503, "<html>Service Unavailable</html>", "30");
  fake.failNext(400, FakeRoute53::errorBody("InvalidInput", "bad"));
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Failed);
  std::string deep;
  for (int i = 0; i < 50000; ++i) {
    deep += "<a>";
  }
  checkBadRepliesThenRecovers(
      fake, *p, kHome, ip("198.51.100.7"),
      {"<ListResourceRecordSetsResponse><ResourceRecordSets>",
       "<!DOCTYPE x [<!ENTITY e \"x\">]><ListResourceRecordSetsResponse/>",
       "<ListResourceRecordSetsResponse/>", R"({"ResourceRecordSets":[]})", deep});
}

TEST_CASE("Route53: current() reads every address of the set, a missing set, a refusal",
          "[providers][unit]") {
  FakeRoute53 fake;
  seed(fake);
  fake.setRRset("Z1", "example.com", "A", set(60, {"192.0.2.9", "192.0.2.10"}));
  auto p = makeRoute53(fake, {kHome, kHome6, kApex});
  auto now = p->current(kApex);
  CHECK(now.status == CurrentRecord::Status::kFound);
  CHECK(now.addresses == std::vector<std::string>{"192.0.2.9", "192.0.2.10"});
  fake.setRRset("Z1", "home.example.com", "A", set(60, {"203.0.113.5"}));  // changed elsewhere
  CHECK(p->current(kHome).addresses == std::vector<std::string>{"203.0.113.5"});
  CHECK(p->current(kHome6).status == CurrentRecord::Status::kMissing);
  fake.failNext(403, FakeRoute53::errorBody("AccessDenied", "not allowed"));
  now = p->current(kHome);
  CHECK(now.status == CurrentRecord::Status::kFailed);
  CHECK(now.detail.find("AccessDenied") != std::string::npos);
}

TEST_CASE("Route53: a clock an hour off is corrected from the reply's Date, once",
          "[providers][unit]") {
  FakeRoute53 fake;
  seed(fake);
  fake.setClockSkew(3600);
  auto p = makeRoute53(fake, {kHome});
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(fake.rrset("Z1", "home.example.com", "A")->values ==
        std::vector<std::string>{"198.51.100.7"});
  // One refused request (the first), then every request signed with the server's time.
  CHECK(fake.requests().size() == 4);
  CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Unchanged);
  CHECK(fake.requests().size() == 5);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
