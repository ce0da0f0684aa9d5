// SPDX-License-Identifier: MIT
// The dyndns2 presets (providers/dyndns2_presets.cpp), each by name, against the fake dyndns2
// server (tests/support/fake_dyndns2.hpp) set up with the service's quirks: its path, where it
// reads an IPv6 address, and the replies of the protocol.
#include <catch2/catch.hpp>

#include <set>

#include "providers/provider.hpp"
#include "tests/support/fake_dyndns2.hpp"
#include "tests/support/provider_fixture.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using chipmunk::IpAddress;
using chipmunk::test::FakeDyndns2;
using chipmunk::test::homeRecords;
using chipmunk::test::ip;

struct Quirks {
  const char* name;
  const char* server;  // the default the preset must carry
  const char* path;    // what the service's server insists on
  const char* v6;      // where an AAAA address must land: myip, myipv6, combined, or none
};

// One row per preset: adding one without a row fails "every preset is tested" below.
const std::vector<Quirks> kPresets = {
    {"noip", "https://dynupdate.no-ip.com", "/nic/update", "myipv6"},
    {"dynu", "https://api.dynu.com", "/nic/update", "myipv6"},
    {"strato", "https://dyndns.strato.com", "/nic/update", "combined"},
    {"infomaniak", "https://infomaniak.com", "/nic/update", "myip"},
    {"ovh-dynhost", "https://www.ovh.com", "/nic/update?system=dyndns", "myip"},
    {"dnsomatic", "https://updates.dnsomatic.com", "/nic/update", "none"},
    {"he", "https://dyn.dns.he.net", "/nic/update", "myip"},
    {"variomedia", "https://dyndns.variomedia.de", "/nic/update", "combined"},
    {"dyn", "https://members.dyndns.org", "/nic/update", "none"},
};

std::unique_ptr<DnsProvider> make(const std::string& name, const std::string& server,
                                  const std::string& password, std::vector<Record> records) {
  return chipmunk::test::makeTestProvider(
      name, {{"server", server}, {"username", "user@example.com"}, {"password", password}},
      std::move(records), {});
}

const auto [kHome, kHome6, kApex] = homeRecords("example.com");

TEST_CASE("Dyndns2Presets: every preset is tested and carries its service's server",
          "[providers][unit]") {
  std::set<std::string> tested;
  for (const auto& q : kPresets) {
    tested.insert(q.name);
    const ProviderInfo* info = ProviderRegistry::builtin().find(q.name);
    REQUIRE(info != nullptr);
    CHECK(info->presetOf == "dyndns2");
    CHECK(info->ipv6 == (std::string(q.v6) != "none"));
    std::string server;
    for (const auto& s : info->settings) {
      if (s.key == "server") {
        server = s.defaultValue;
        CHECK_FALSE(s.required);
      }
      CHECK(s.key != "path");  // fixed by the preset
    }
    CHECK(server == q.server);
  }
  for (const auto& p : ProviderRegistry::builtin().all()) {
    if (p.presetOf == "dyndns2") {
      INFO(p.name);
      CHECK(tested.count(p.name) == 1);
    }
  }
}

TEST_CASE("Dyndns2Presets: good, nochg, AAAA where the service reads it, badauth, nohost",
          "[providers][unit]") {
  for (const auto& q : kPresets) {
    INFO("preset " << q.name);
    FakeDyndns2 fake("user@example.com", "s3cr&t", q.path);
    fake.addHost("home.example.com");
    const bool v6 = std::string(q.v6) != "none";
    std::vector<Record> records = {kHome};
    if (v6) {
      records.push_back(kHome6);
    }
    auto p = make(q.name, fake.url(), "s3cr&t", records);
    REQUIRE(p->prepare().ok());
    auto r = p->update(kHome, ip("198.51.100.7"));
    INFO(r.detail);
    CHECK(r.status == UpdateStatus::Updated);
    CHECK(fake.ipv4("home.example.com") == "198.51.100.7");
    CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Unchanged);
    if (v6) {
      r = p->update(kHome6, ip("2001:db8::7"));
      CHECK(r.status == UpdateStatus::Updated);
      CHECK(fake.ipv6("home.example.com") == "2001:db8::7");
      CHECK(fake.ipv4("home.example.com") == "198.51.100.7");  // A kept
      const auto last = fake.requests().back();
      const std::string where = q.v6;
      if (where == "myipv6") {
        CHECK(last.param("myipv6") == "2001%3Adb8%3A%3A7");
        CHECK(last.param("myip").empty());
      } else if (where == "combined") {
        CHECK(last.param("myip") == "198.51.100.7%2C2001%3Adb8%3A%3A7");
      } else {
        CHECK(last.param("myip") == "2001%3Adb8%3A%3A7");
      }
    } else {
      CHECK_THROWS_AS(make(q.name, fake.url(), "s3cr&t", {kHome6}), std::invalid_argument);
    }
    const auto refused = make(q.name, fake.url(), "wrong", {kHome})->update(kHome, ip("1.2.3.4"));
    CHECK(refused.status == UpdateStatus::AuthFailed);
    CHECK(refused.stop);
    const Record other{"o", "other", "example.com", RecordType::A};
    const auto missing = p->update(other, ip("198.51.100.7"));
    CHECK(missing.status == UpdateStatus::NotFound);
    CHECK(missing.stop);
  }
}

TEST_CASE("Dyndns2Presets: 911, 429 with and without Retry-After, 5xx and garbage",
          "[providers][unit]") {
  for (const auto& q : kPresets) {
    INFO("preset " << q.name);
    FakeDyndns2 fake("user@example.com", "pw", q.path);
    fake.addHost("home.example.com");
    auto p = make(q.name, fake.url(), "pw", {kHome});
    fake.setTrouble(true);
    auto r = p->update(kHome, ip("198.51.100.7"));
    CHECK(r.status == UpdateStatus::RetryLater);
    CHECK(r.retryAfter >= std::chrono::seconds(1800));
    fake.setTrouble(false);
    fake.failNext(429, "slow down", "120");
    r = p->update(kHome, ip("198.51.100.7"));
    CHECK(r.status == UpdateStatus::RetryLater);
    CHECK(r.retryAfter == std::chrono::seconds(120));
    fake.failNext(429, "slow down");
    r = p->update(kHome, ip("198.51.100.7"));
    CHECK(r.status == UpdateStatus::RetryLater);
    CHECK_FALSE(r.retryAfter.has_value());
    fake.failNext(502, "<html>bad gateway</html>");
    CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
    fake.failNext(200, "<html>captive portal</html>");
    CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Failed);
    fake.failNext(200, std::string(2 * 1024 * 1024, 'g'));  // oversized: refused by the client
    CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::RetryLater);
    CHECK(p->update(kHome, ip("198.51.100.7")).status == UpdateStatus::Updated);
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
