// SPDX-License-Identifier: MIT
// Record-level provider settings (ProviderInfo::recordSettings): a [record:NAME] section sets
// Cloudflare's proxied and ttl for its record alone; the other records keep what they have
// (proxied flag, comment), and a provider without such settings refuses the keys.
#include <catch2/catch.hpp>

#include "providers/provider.hpp"
#include "providers/record_sync.hpp"
#include "tests/support/fake_cloudflare.hpp"
#include "tests/support/provider_fixture.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/updater.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::providers;
using chipmunk::test::ip;

const char* kConfig = R"([Global]
update_dns = yes
[source:v4]
type = command
command = echo 198.51.100.7
family = ipv4
[cloudflare]
api_token = cf-test-token
proxied = keep
[record:home]
provider = cloudflare
host = home
domain = example.com
proxied = yes
ttl = 300
[record:www]
provider = cloudflare
host = www
domain = example.com
)";

bool load(test::TempDir& dir, const std::string& text, config::UpdaterConfig& c,
          std::vector<std::string>& errors) {
  test::writeFile(dir.file("u.ini"), text);
  return updater::loadConfig(dir.file("u.ini"), ProviderRegistry::builtin(), c, errors);
}

bool hasError(const std::vector<std::string>& errors, const std::string& text) {
  for (const auto& e : errors) {
    if (e.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST_CASE("RecordSettings: a record section sets the provider's record-level keys for itself",
          "[providers][unit]") {
  test::TempDir dir;
  config::UpdaterConfig c;
  std::vector<std::string> errors;
  const bool loaded = load(dir, kConfig, c, errors);
  INFO((errors.empty() ? std::string() : errors[0]));
  REQUIRE(loaded);
  REQUIRE(c.records.size() == 2);
  CHECK(c.records[0].providerSettings ==
        std::map<std::string, std::string>{{"proxied", "yes"}, {"ttl", "300"}});
  CHECK(c.records[1].providerSettings.empty());
  // They reach the provider's Record as the updater builds it.
  std::vector<RecordWanted> wanted;
  for (const auto& rc : c.records) {
    wanted.push_back({rc.name, rc.account, rc.host, rc.domain, rc.ipv6, rc.providerSettings});
  }
  std::vector<std::string> buildErrors;
  const auto kept = keepRecords(ProviderRegistry::builtin(), c.accounts, wanted,
                                httpOptions(std::chrono::seconds(5), true, ""), {}, buildErrors);
  CHECK(buildErrors.empty());
  REQUIRE(kept.records.size() == 2);
  CHECK(kept.records[0].settings.at("proxied") == "yes");
  CHECK(kept.records[1].settings.empty());
}

TEST_CASE("RecordSettings: a provider without record-level keys refuses them, bad values fail",
          "[providers][unit]") {
  test::TempDir dir;
  config::UpdaterConfig c;
  std::vector<std::string> errors;
  std::string linode = kConfig;
  linode.replace(linode.find("[cloudflare]\napi_token = cf-test-token\nproxied = keep"),
                 std::string("[cloudflare]\napi_token = cf-test-token\nproxied = keep").size(),
                 "[linode]\napi_key = t");
  for (auto at = linode.find("provider = cloudflare"); at != std::string::npos;
       at = linode.find("provider = cloudflare")) {
    linode.replace(at, std::string("provider = cloudflare").size(), "provider = linode");
  }
  CHECK_FALSE(load(dir, linode, c, errors));
  CHECK(hasError(errors, "unknown setting \"proxied\" in [record:home]"));
  errors.clear();
  std::string bad = kConfig;
  bad.replace(bad.find("proxied = yes"), std::string("proxied = yes").size(), "proxied = maybe");
  CHECK_FALSE(load(dir, bad, c, errors));
  CHECK(hasError(errors, "proxied"));
}

TEST_CASE(
    "RecordSettings: Cloudflare proxies and sets the TTL of that record only, the others "
    "keep their proxied flag and comment",
    "[providers][unit]") {
  test::FakeCloudflare fake;
  const std::string zone = fake.addZone("example.com");
  const std::string home = fake.addRecord(zone, "A", "home.example.com", "192.0.2.1", 1, false);
  const std::string www = fake.addRecord(zone, "A", "www.example.com", "192.0.2.1", 1, true);
  const std::string nas = fake.addRecord(zone, "A", "nas.example.com", "192.0.2.1", 120, true);
  fake.setComment(zone, home, "router");
  fake.setComment(zone, www, "set by hand");
  fake.setComment(zone, nas, "nas");
  const Record homeRecord{
      "home", "home", "example.com", RecordType::A, {{"proxied", "yes"}, {"ttl", "300"}}};
  const Record wwwRecord{"www", "www", "example.com", RecordType::A};
  const Record nasRecord{"nas", "nas", "example.com", RecordType::A, {{"proxied", "keep"}}};
  // The account says proxied = no: www follows it, nas keeps its flag by its own setting.
  auto p = test::makeTestProvider("cloudflare",
                                  {{"api_token", "cf-test-token"}, {"endpoint", fake.endpoint()}},
                                  {homeRecord, wwwRecord, nasRecord}, {{"proxied", "no"}});
  REQUIRE(p->prepare().ok());
  for (const auto& r : {homeRecord, wwwRecord, nasRecord}) {
    CHECK(p->update(r, ip("198.51.100.7")).status == UpdateStatus::Updated);
  }
  const auto h = fake.record(zone, "A", "home.example.com");
  CHECK(h->proxied);
  CHECK(h->ttl == 300);
  CHECK(h->comment == "router");
  const auto w = fake.record(zone, "A", "www.example.com");
  CHECK_FALSE(w->proxied);
  CHECK(w->ttl == 1);
  CHECK(w->comment == "set by hand");
  const auto n = fake.record(zone, "A", "nas.example.com");
  CHECK(n->proxied);
  CHECK(n->ttl == 120);
  CHECK(n->comment == "nas");
  CHECK(n->content == "198.51.100.7");
  // Without any proxied setting the flag is kept too (the PATCH does not carry it).
  const Record nasPlain{"nas", "nas", "example.com", RecordType::A};
  auto keep = test::makeTestProvider(
      "cloudflare", {{"api_token", "cf-test-token"}, {"endpoint", fake.endpoint()}}, {nasPlain},
      {});
  fake.setComment(zone, nas, "again");
  CHECK(keep->update(nasPlain, ip("198.51.100.9")).status == UpdateStatus::Updated);
  CHECK(fake.record(zone, "A", "nas.example.com")->proxied);
  CHECK(fake.record(zone, "A", "nas.example.com")->comment == "again");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
