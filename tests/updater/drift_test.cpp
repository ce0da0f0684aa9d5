// SPDX-License-Identifier: MIT
// Drift repair (updater/drift.cpp): a record changed behind the updater's back is read back
// and pushed again, through the provider's API (fake Linode, fake Cloudflare) or from the
// zone's authoritative server (a real BIND); an unchanged record costs one lookup and no
// update; a provider whose answers lag is not re-pushed every cycle.
#include <catch2/catch.hpp>

#include <chrono>

#include "tests/support/bind_server.hpp"
#include "tests/support/fake_cloudflare.hpp"
#include "tests/support/fake_dyndns2.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/updater.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::updater;
using chipmunk::test::TempDir;
using chipmunk::test::writeFile;
using namespace std::chrono_literals;

// A command source reading ip.txt, `rest` (providers and records) and a clock the test moves.
struct Drift {
  TempDir dir;
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();

  Drift() { writeFile(dir.file("ip.txt"), "203.0.113.10\n"); }

  std::unique_ptr<Updater> make(const std::string& rest, const std::string& global = "",
                                bool dryRun = false) {
    writeFile(dir.file("u.ini"), "[Global]\nallow_private = yes\nstate_dir = " + dir.file("state") +
                                     "\ntimeout = 2s\n" + global +
                                     "\n[Daemon]\nretry_min = 1s\nretry_max = 2s\n"
                                     "[source:file]\ntype = command\ncommand = cat " +
                                     dir.file("ip.txt") + "\n" + rest);
    config::UpdaterConfig c;
    std::vector<std::string> errors;
    REQUIRE(loadConfig(dir.file("u.ini"), providers::ProviderRegistry::builtin(), c, errors));
    auto u = Updater::create(c, providers::ProviderRegistry::builtin(), errors, dryRun);
    REQUIRE(u);
    u->setClock([this] { return now; });
    return u;
  }
};

// home.example.com A 192.0.2.1 on a fake Linode.
struct LinodeDrift : Drift {
  test::FakeLinode linode;
  long long domainId = linode.addDomain("example.com");

  LinodeDrift() { linode.addRecord(domainId, "home", "A", "192.0.2.1"); }
  std::unique_ptr<Updater> make(const std::string& global = "", bool dryRun = false) {
    return Drift::make("[linode]\napi_key = test-token\nendpoint = " + linode.endpoint() +
                           "\n[record:home]\nprovider = linode\nhost = home\n"
                           "domain = example.com\n",
                       global, dryRun);
  }
};

// A real BIND serving example.test with home A 192.0.2.1, started or the test fails.
std::unique_ptr<test::BindServer> startBind() {
  auto bind =
      std::make_unique<test::BindServer>("example.test", "hmac-sha256", "home IN A 192.0.2.1");
  const bool started = bind->start();
  INFO(bind->log());
  REQUIRE(started);
  return bind;
}

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST_CASE("Drift: a Linode record changed in the account is repaired at the next verify",
          "[updater][unit]") {
  LinodeDrift d;
  auto& linode = d.linode;
  const long long domainId = d.domainId;
  auto u = d.make("verify_interval = 10m\npropagation_delay = 1m\n");
  REQUIRE(u->runCycle(false).updated == 1);
  REQUIRE(linode.count("PUT") == 1);
  // Before the interval: no traffic at all.
  int gets = linode.count("GET");
  d.now += 9min;
  CHECK(u->runCycle(false).unchanged == 1);
  CHECK(linode.count("GET") == gets);
  // Unchanged: one lookup, no update.
  d.now += 1min;
  auto report = u->runCycle(false);
  CHECK(report.unchanged == 1);
  REQUIRE(report.lines.size() == 1);
  CHECK(report.lines[0].find("current (verified)") != std::string::npos);
  CHECK(linode.count("GET") == gets + 1);
  CHECK(linode.count("PUT") == 1);
  // Changed behind our back: one lookup, one PUT puts it right.
  linode.setTarget(domainId, "home", "A", "198.51.100.7");
  gets = linode.count("GET");
  d.now += 10min;
  report = u->runCycle(false);
  CHECK(report.updated == 1);
  CHECK(linode.count("GET") == gets + 1);
  CHECK(linode.count("PUT") == 2);
  CHECK(linode.target(domainId, "home", "A") == "203.0.113.10");
}

TEST_CASE("Drift: a Cloudflare record changed in the dashboard is repaired at the next verify",
          "[updater][unit]") {
  Drift d;
  test::FakeCloudflare cf;
  const std::string zone = cf.addZone("example.com");
  cf.addRecord(zone, "A", "home.example.com", "192.0.2.1");
  auto u = d.make("[cloudflare]\napi_token = cf-test-token\nendpoint = " + cf.endpoint() +
                  "\n[record:home]\nprovider = cloudflare\nhost = home\ndomain = example.com\n"
                  "verify_interval = 5m\npropagation_delay = 0\n");
  REQUIRE(u->runCycle(false).updated == 1);
  REQUIRE(cf.count("PATCH") == 1);
  int gets = cf.count("GET");
  d.now += 5min;
  CHECK(u->runCycle(false).unchanged == 1);
  CHECK(cf.count("GET") == gets + 1);
  CHECK(cf.count("PATCH") == 1);
  cf.setContent(zone, "A", "home.example.com", "198.51.100.7");
  gets = cf.count("GET");
  d.now += 5min;
  CHECK(u->runCycle(false).updated == 1);
  CHECK(cf.count("GET") == gets + 1);
  CHECK(cf.count("PATCH") == 2);
  CHECK(cf.record(zone, "A", "home.example.com")->content == "203.0.113.10");
}

TEST_CASE("Drift: verify_interval = 0 never reads the record back", "[updater][unit]") {
  LinodeDrift d;
  auto& linode = d.linode;
  const long long domainId = d.domainId;
  auto u = d.make("verify_interval = 0\n");
  REQUIRE(u->runCycle(false).updated == 1);
  linode.setTarget(domainId, "home", "A", "198.51.100.7");
  const size_t requests = linode.requests().size();
  for (int i = 0; i < 5; ++i) {
    d.now += 1h;
    CHECK(u->runCycle(false).unchanged == 1);
  }
  CHECK(linode.requests().size() == requests);
  CHECK(!u->nextVerify());
}

TEST_CASE("Drift: a restart within the interval does not read back, after it it does",
          "[updater][unit]") {
  LinodeDrift d;
  auto& linode = d.linode;
  const std::string global = "verify_interval = 10m\n";
  REQUIRE(d.make(global)->runCycle(false).updated == 1);
  const size_t requests = linode.requests().size();
  CHECK(d.make(global)->runCycle(false).unchanged == 1);
  CHECK(linode.requests().size() == requests);
  auto restarted = d.make(global);
  REQUIRE(restarted->nextVerify());
  d.now += 11min;
  CHECK(restarted->runCycle(false).unchanged == 1);
  CHECK(linode.requests().size() > requests);  // the restarted updater prepares and reads
  CHECK(linode.count("PUT") == 1);
}

TEST_CASE("Drift: a record changed with nsupdate on a real BIND is repaired, rfc2136",
          "[updater][integration]") {
  const auto bindServer = startBind();
  const test::BindServer& bind = *bindServer;
  Drift d;
  auto u = d.make("[rfc2136]\nserver = 127.0.0.1\nport = " + std::to_string(bind.port()) +
                      "\nkey_name = " + bind.keyName() + "\nkey_secret = " + bind.keySecret() +
                      "\nttl = 60\n[record:home]\nprovider = rfc2136\nhost = home\n"
                      "domain = example.test\n",
                  "verify_interval = 10m\npropagation_delay = 0\n");
  REQUIRE(u->runCycle(false).updated == 1);
  REQUIRE(bind.dig("home.example.test", "A") == "203.0.113.10");
  const int updates = count(bind.log(), "updating zone");
  // Unchanged: one authoritative query, no update.
  d.now += 10min;
  CHECK(u->runCycle(false).unchanged == 1);
  CHECK(bind.authoritativeQueries("home.example.test", "A") == 1);
  CHECK(count(bind.log(), "updating zone") == updates);
  // Changed behind our back: the next verify repairs it.
  REQUIRE(
      bind.nsupdate("update delete home.example.test A\n"
                    "update add home.example.test 60 A 198.51.100.7"));
  REQUIRE(bind.dig("home.example.test", "A") == "198.51.100.7");
  d.now += 10min;
  CHECK(u->runCycle(false).updated == 1);
  CHECK(bind.authoritativeQueries("home.example.test", "A") == 2);
  CHECK(bind.dig("home.example.test", "A") == "203.0.113.10");
}

TEST_CASE("Drift: a provider whose answers lag is not re-pushed every cycle",
          "[updater][integration]") {
  // dyndns2 cannot be read through its API: the record is read from the zone's
  // authoritative server (nameservers = the BIND), which never sees the provider's writes,
  // as with a provider whose propagation lags.
  const auto bindServer = startBind();
  const test::BindServer& bind = *bindServer;
  test::FakeDyndns2 dyn("user", "pass");
  dyn.addHost("home.example.test");
  Drift d;
  auto u = d.make("[dyndns2]\nserver = " + dyn.url() +
                      "\nusername = user\npassword = pass\n[record:home]\nprovider = dyndns2\n"
                      "host = home\ndomain = example.test\nnameservers = 127.0.0.1:" +
                      std::to_string(bind.port()) + "\n",
                  "verify_interval = 10m\npropagation_delay = 10m\n");
  // Two hours of checks every 5 minutes. Read-backs at 10, 30 and 70 minutes each find the
  // old address and push again; the wait after a repair doubles (20, 40, 80 minutes), so
  // the record is pushed 4 times, not 13.
  for (int minute = 0; minute < 120; minute += 5) {
    CHECK(u->runCycle(false).exitCode() == kExitOk);
    d.now += 5min;
  }
  CHECK(dyn.requests().size() == 4);
  CHECK(dyn.ipv4("home.example.test") == "203.0.113.10");
  CHECK(bind.authoritativeQueries("home.example.test", "A") == 3);
}

TEST_CASE("Drift: --dry-run sends nothing, writes no state, and compares with the record",
          "[updater][unit]") {
  LinodeDrift d;
  auto& linode = d.linode;
  const long long domainId = d.domainId;
  auto u = d.make("", true);
  auto report = u->runCycle(false);
  REQUIRE(report.lines.size() == 1);
  CHECK(report.lines[0] ==
        "home home.example.com A would send 203.0.113.10 (state: none; record holds: 192.0.2.1)");
  CHECK(report.exitCode() == kExitOk);
  CHECK(linode.count("PUT") == 0);
  CHECK(linode.count("POST") == 0);
  CHECK(linode.target(domainId, "home", "A") == "192.0.2.1");
  CHECK(!test::fileExists(d.dir.file("state")));
  // After a real run: nothing to send, and the record agrees.
  d.make()->runCycle(false);
  report = d.make("", true)->runCycle(false);
  CHECK(report.lines.at(0) ==
        "home home.example.com A nothing to send: 203.0.113.10 (state: "
        "203.0.113.10; record holds: 203.0.113.10)");
  // Drift shows: the state says current, the record does not.
  linode.setTarget(domainId, "home", "A", "198.51.100.7");
  const int puts = linode.count("PUT");
  report = d.make("", true)->runCycle(false);
  CHECK(report.lines.at(0) ==
        "home home.example.com A would send 203.0.113.10 (state: "
        "203.0.113.10; record holds: 198.51.100.7)");
  CHECK(linode.count("PUT") == puts);
}

TEST_CASE("Drift: verify settings default, are overridden per record, and are checked",
          "[updater][unit]") {
  TempDir dir;
  const std::string head =
      "[Global]\nverify_interval = 20m\n[source:a]\ntype = command\ncommand = echo\n"
      "[linode]\napi_key = t\n";
  writeFile(dir.file("u.ini"), head +
                                   "[record:x]\nprovider = linode\ndomain = example.com\n"
                                   "[record:y]\nprovider = linode\ndomain = example.org\n"
                                   "verify_interval = 0\npropagation_delay = 1h\n"
                                   "nameservers = ns1.example.org, [::1]:5353\n");
  config::UpdaterConfig c;
  std::vector<std::string> errors;
  REQUIRE(loadConfig(dir.file("u.ini"), providers::ProviderRegistry::builtin(), c, errors));
  REQUIRE(c.records.size() == 2);
  CHECK(c.records[0].verifyInterval == 20min);
  CHECK(c.records[0].propagationDelay == 5min);  // the default
  CHECK(c.records[0].nameServers.empty());
  CHECK(c.records[1].verifyInterval.count() == 0);
  CHECK(c.records[1].propagationDelay == 1h);
  CHECK(c.records[1].nameServers == std::vector<std::string>{"ns1.example.org", "[::1]:5353"});
  writeFile(dir.file("u.ini"), head +
                                   "[record:x]\nprovider = linode\ndomain = example.com\n"
                                   "nameservers = ns1.example.org, bad/server\n");
  errors.clear();
  CHECK_FALSE(loadConfig(dir.file("u.ini"), providers::ProviderRegistry::builtin(), c, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("u.ini:8: [x] nameservers: \"bad/server\" is not a server") !=
        std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
