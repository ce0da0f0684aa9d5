// SPDX-License-Identifier: MIT
// Gateway mode: chipmunk-api pushes record changes to a DNS provider through the provider
// library (here the fake Linode API v4, which follows Linode's published reference).
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "tests/support/api_instance.hpp"
#include "tests/support/bind_server.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/process.hpp"
#include "tests/support/prometheus_text.hpp"
#include "tests/support/raw_http.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace std::chrono_literals;

std::string gatewayConfig(const FakeLinode& linode, const std::string& token = "test-token") {
  return "[Users]\nalice = secret\nbob = other\n"
         "[Hosts]\nhome.example.com = alice\n"
         "[Push]\nretry_min = 1s\nretry_max = 2s\ntimeout = 5s\n"
         "[linode]\napi_key = " +
         token + "\nendpoint = " + linode.endpoint() +
         "\n"
         "[push:home]\nrecord = home.example.com\nprovider = linode\nhost = home\n"
         "domain = example.com\n";
}

// The zone example.com with home.example.com A at 192.0.2.1; returns the zone's id.
long long homeZone(FakeLinode& linode) {
  const long long zone = linode.addDomain("example.com");
  linode.addRecord(zone, "home", "A", "192.0.2.1");
  return zone;
}

// Waits up to `limit` for home.example.com A in `zone` to hold `ip`.
bool homeBecomes(const FakeLinode& linode, long long zone, const std::string& ip,
                 std::chrono::milliseconds limit) {
  return waitUntil([&] { return linode.target(zone, "home", "A") == ip; }, limit);
}

HttpResponse nicUpdate(int port, const std::string& query) {
  return httpRequest(port, "GET", "/nic/update?" + query,
                     basicAuth("alice", "secret") + "User-Agent: test-router/1.0\r\n");
}

// What /nic/update answers alice's router setting home.example.com to `ip`.
std::string updateHome(const ApiInstance& api, const std::string& ip) {
  return nicUpdate(api.port(), "hostname=home.example.com&myip=" + ip).body;
}

TEST_CASE("Gateway mode: a change is pushed once, not again when unchanged or after a restart",
          "[api][push][integration]") {
  FakeLinode linode;
  const long long domain = homeZone(linode);
  ApiInstance api(gatewayConfig(linode));
  REQUIRE(api.start());

  CHECK(updateHome(api, "203.0.113.7") == "good 203.0.113.7\n");
  REQUIRE(homeBecomes(linode, domain, "203.0.113.7", 10s));
  CHECK(linode.count("PUT") == 1);
  CHECK(api.waitForLog("pushed push=home name=home.example.com type=A ip=203.0.113.7"));

  // Unchanged: nothing is sent (providers ban clients that repeat no-change updates).
  CHECK(updateHome(api, "203.0.113.7") == "nochg 203.0.113.7\n");
  std::this_thread::sleep_for(1500ms);
  CHECK(linode.count("PUT") == 1);

  // A restart remembers what was pushed.
  api.stop();
  REQUIRE(api.start());
  std::this_thread::sleep_for(1500ms);
  CHECK(linode.count("PUT") == 1);

  // A new address is pushed again.
  CHECK(updateHome(api, "203.0.113.8") == "good 203.0.113.8\n");
  REQUIRE(homeBecomes(linode, domain, "203.0.113.8", 10s));
  CHECK(linode.count("PUT") == 2);
}

TEST_CASE("Gateway mode: a slow or failing provider never slows the answer and is retried",
          "[api][push][integration]") {
  FakeLinode linode;
  const long long domain = homeZone(linode);
  linode.failNext(503, 2);
  linode.setDelay(1500ms);
  ApiInstance api(gatewayConfig(linode));
  REQUIRE(api.start());

  const auto start = std::chrono::steady_clock::now();
  CHECK(updateHome(api, "203.0.113.9") == "good 203.0.113.9\n");
  // The answer does not wait for the provider (each of its replies takes 1.5 s).
  CHECK(std::chrono::steady_clock::now() - start < 1000ms);

  REQUIRE(api.waitForLog("push failed; retrying push=home", 10s));
  REQUIRE(homeBecomes(linode, domain, "203.0.113.9", 30s));
  CHECK(api.waitForLog("pushed push=home", 5s));
}

TEST_CASE("Gateway mode: rejected credentials stop the pushes without retrying",
          "[api][push][integration]") {
  FakeLinode linode("the-real-token");
  const long long domain = homeZone(linode);
  ApiInstance api(gatewayConfig(linode, "a-wrong-token"));
  REQUIRE(api.start());

  CHECK(updateHome(api, "203.0.113.10") == "good 203.0.113.10\n");
  REQUIRE(api.waitForLog("credentials rejected", 10s));
  const size_t requests = linode.requests().size();
  std::this_thread::sleep_for(2500ms);  // longer than retry_max
  CHECK(linode.requests().size() == requests);
  CHECK(linode.target(domain, "home", "A") == "192.0.2.1");
  // The token never reaches the log.
  CHECK(api.log().find("a-wrong-token") == std::string::npos);
  // /metrics: one failed push, the target stopped, nothing queued.
  const std::string metrics = httpRequest(api.port(), "GET", "/metrics").body;
  CHECK(requireSeries(metrics, "chipmunk_api_push_failures_total") == 1);
  CHECK(requireSeries(metrics, "chipmunk_api_push_stopped") == 1);
  CHECK(requireSeries(metrics, "chipmunk_api_push_queue_length") == 0);
}

TEST_CASE("Gateway mode: push sections are checked like every other setting",
          "[api][push][integration]") {
  FakeLinode linode;
  ApiInstance api(
      "[Users]\nalice = secret\n"
      "[push:a]\nrecord = nobody.example.com\nprovider = linode\ndomain = example.com\n"
      "[push:b]\nrecord = alice\nprovider = cloudy\ndomain = example.com\n"
      "[push:c]\nrecord = alice\nprovider = linode\ndomain = not_a_domain\n"
      "[linode]\napi_key = t\nendpoint = " +
      linode.endpoint() + "\n");
  const std::string out = api.dir().file("check.out");
  const std::string err = api.dir().file("check.err");
  CHECK(runCommand({CHIPMUNK_API_BIN, "--config", api.configPath(), "--check-config"}, out, err) ==
        2);
  const std::string output = readFile(err);
  CHECK(output.find(api.configPath() + ":") != std::string::npos);
  CHECK(output.find("provider section [cloudy] is not in the file") != std::string::npos);
  CHECK(output.find("domain \"not_a_domain\" is not a domain name") != std::string::npos);
  // A record in no INI section may be a directory host: once the rest is right, it is
  // checked against the directory (empty here), with its file and line.
  api.rewriteConfig(
      "[Users]\nalice = secret\n"
      "[push:a]\nrecord = nobody.example.com\nprovider = linode\n"
      "domain = example.com\n[linode]\napi_key = t\nendpoint = " +
      linode.endpoint() + "\n");
  CHECK(runCommand({CHIPMUNK_API_BIN, "--config", api.configPath(), "--check-config"}, out, err) ==
        2);
  CHECK(readFile(err).find(api.configPath() +
                           ":11: [push:a] record: \"nobody.example.com\" is not in [Users] or "
                           "[Hosts] nor in the user directory") != std::string::npos);
}

TEST_CASE("Gateway mode: a router's dyndns2 update lands in a real BIND zone over RFC 2136",
          "[api][push][integration]") {
  BindServer bind("example.test", "hmac-sha256", "home IN A 192.0.2.1");
  const bool started = bind.start();
  INFO(bind.log());
  REQUIRE(started);
  ApiInstance api(
      "[Users]\nrouter = secret\n"
      "[Hosts]\nhome.example.test = router\n"
      "[rfc2136:lan]\nserver = 127.0.0.1\nport = " +
      std::to_string(bind.port()) + "\nkey_name = " + bind.keyName() +
      "\nkey_secret = " + bind.keySecret() + "\nkey_algorithm = " + bind.algorithm() +
      "\nttl = 120\n"
      "[push:home]\nrecord = home.example.test\nprovider = rfc2136:lan\nhost = home\n"
      "domain = example.test\ntype = both\n");
  REQUIRE(api.start());

  // A Fritz!Box-style update: myip=v4,v6.
  const auto r = httpRequest(
      api.port(), "GET", "/nic/update?hostname=home.example.test&myip=203.0.113.20,2001:db8::20",
      basicAuth("router", "secret") + "User-Agent: test-router/1.0\r\n");
  CHECK(r.status == 200);
  REQUIRE(waitUntil([&] { return bind.dig("home.example.test", "A") == "203.0.113.20"; }, 15s));
  REQUIRE(waitUntil([&] { return bind.dig("home.example.test", "AAAA") == "2001:db8::20"; }, 15s));
  CHECK(bind.digTtl("home.example.test", "A") == 120);
  // The TSIG secret never reaches the log.
  CHECK(api.log().find(bind.keySecret()) == std::string::npos);
}

TEST_CASE(
    "Gateway mode: a provider reply of 1 MB of open brackets or deep nesting does not kill the API",
    "[api][push][integration]") {
  FakeLinode linode;
  const long long domain = homeZone(linode);
  std::string deepObject;
  for (int i = 0; i < 100000; ++i) {
    deepObject += "{\"a\":";
  }
  SECTION("1 MB of open brackets") {
    linode.answerNext(200, 2, std::string(1000000, '['));
  }
  SECTION("deep {\"a\": nesting") {
    linode.answerNext(200, 2, deepObject);
  }
  SECTION("deep nesting in an error reply") {
    linode.answerNext(400, 2, deepObject);
  }
  ApiInstance api(gatewayConfig(linode));
  REQUIRE(api.start());

  CHECK(updateHome(api, "203.0.113.21") == "good 203.0.113.21\n");
  // The hostile replies are failures like any other: retried, then the push lands.
  REQUIRE(homeBecomes(linode, domain, "203.0.113.21", 20s));
  CHECK(api.process().running());
  CHECK(api.log().find("push failed; retrying push=home") != std::string::npos);
  CHECK(updateHome(api, "203.0.113.21") == "nochg 203.0.113.21\n");
}

TEST_CASE("Gateway mode: a push state file nested too deep is ignored, not a crash at start",
          "[api][push][integration]") {
  FakeLinode linode;
  const long long domain = homeZone(linode);
  ApiInstance api(gatewayConfig(linode));
  writeFile(api.dataDir() + "/.push-state.json", std::string(1000000, '['));
  REQUIRE(api.start());
  CHECK(api.waitForLog("ignoring unreadable push state", 5s));
  CHECK(updateHome(api, "203.0.113.22") == "good 203.0.113.22\n");
  REQUIRE(homeBecomes(linode, domain, "203.0.113.22", 10s));
}

TEST_CASE("Gateway mode: Retry-After in year 9999 waits retry_max, never loops",
          "[api][push][integration]") {
  FakeLinode linode;
  homeZone(linode);
  linode.answerNext(429, 1000, R"({"errors":[{"reason":"Too Many Requests"}]})",
                    "Fri, 31 Dec 9999 23:59:59 GMT");
  ApiInstance api(gatewayConfig(linode));  // retry_max = 2s
  REQUIRE(api.start());
  CHECK(updateHome(api, "203.0.113.23") == "good 203.0.113.23\n");
  REQUIRE(api.waitForLog("push failed; retrying push=home", 10s));
  const size_t first = linode.requests().size();
  std::this_thread::sleep_for(4s);
  const size_t later = linode.requests().size() - first;
  INFO("requests in 4 s: " << later);
  CHECK(later >= 1);  // retried (retry_max), not parked until year 9999
  CHECK(later <= 3);  // and not in a loop
  CHECK(api.log().find("retry_in=2s") != std::string::npos);
  CHECK(api.process().running());
}

TEST_CASE("Gateway mode: Retry-After: 999999999 is capped at retry_max",
          "[api][push][integration]") {
  FakeLinode linode;
  const long long domain = homeZone(linode);
  linode.answerNext(429, 1, R"({"errors":[{"reason":"Too Many Requests"}]})", "999999999");
  ApiInstance api(gatewayConfig(linode));  // retry_max = 2s
  REQUIRE(api.start());
  const auto start = std::chrono::steady_clock::now();
  CHECK(updateHome(api, "203.0.113.24") == "good 203.0.113.24\n");
  REQUIRE(homeBecomes(linode, domain, "203.0.113.24", 10s));
  CHECK(std::chrono::steady_clock::now() - start < 6s);
  CHECK(api.log().find("retry_in=2s") != std::string::npos);
}

TEST_CASE("Gateway mode: a FIFO named like the push state file does not hang start-up",
          "[api][push][integration]") {
  // The state file was read with an ifstream: opening a FIFO blocks until a writer comes.
  FakeLinode linode;
  const long long domain = homeZone(linode);
  ApiInstance api(gatewayConfig(linode));
  const std::string state = api.dataDir() + "/.push-state.json";
  REQUIRE(::mkfifo(state.c_str(), 0644) == 0);
  REQUIRE(api.start());
  CHECK(api.log().find("not a regular file") != std::string::npos);
  // Pushing works, and the state is then written as a regular file over the FIFO.
  CHECK(updateHome(api, "203.0.113.7") == "good 203.0.113.7\n");
  REQUIRE(homeBecomes(linode, domain, "203.0.113.7", 10s));
  CHECK(waitUntil(
      [&] {
        struct stat st {};
        return ::lstat(state.c_str(), &st) == 0 && S_ISREG(st.st_mode);
      },
      5s));
}

TEST_CASE("Gateway mode: SIGHUP and SIGTERM are not delayed by a hanging provider",
          "[api][push][integration]") {
  // The provider answers after 60 s; the push timeout is 30 s. A reload or a stop must not
  // wait for the exchange (the updater's SIGTERM already did not), or a SIGHUP holds the
  // main loop (no flush, no signal) and systemd kills a stopping server before its flush.
  FakeLinode linode;
  homeZone(linode);
  linode.setDelay(60s);
  std::string config = gatewayConfig(linode);
  config.replace(config.find("timeout = 5s"), 12, "timeout = 30s");
  ApiInstance api(config);
  REQUIRE(api.start());
  CHECK(updateHome(api, "203.0.113.7") == "good 203.0.113.7\n");
  REQUIRE(waitUntil([&] { return !linode.requests().empty(); }, 10s));
  std::this_thread::sleep_for(300ms);

  auto start = std::chrono::steady_clock::now();
  api.process().signal(SIGHUP);
  REQUIRE(api.waitForLog("config reloaded", 10s));
  CHECK(std::chrono::steady_clock::now() - start < 3s);

  // The new push service asks the hanging provider again; SIGTERM does not wait for it.
  REQUIRE(waitUntil([&] { return linode.requests().size() >= 2; }, 10s));
  std::this_thread::sleep_for(300ms);
  start = std::chrono::steady_clock::now();
  api.process().signal(SIGTERM);
  CHECK(api.process().wait(10s) == 0);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(api.log().find("stopped") != std::string::npos);
}

TEST_CASE("Gateway mode: a push state file of the old format still counts after an upgrade",
          "[api][push][integration]") {
  FakeLinode linode;
  const long long zone = homeZone(linode);
  ApiInstance api(gatewayConfig(linode));
  const auto pushed = [&](const std::string& ip) {
    return updateHome(api, ip) == "good " + ip + "\n" && homeBecomes(linode, zone, ip, 10s);
  };
  REQUIRE(api.start());
  REQUIRE(pushed("203.0.113.7"));
  api.stop();
  // As chipmunk-api wrote it before the updater and gateway push shared one state format.
  const std::string state = api.dataDir() + "/.push-state.json";
  writeFile(state, R"({"home":{"key":"linode home.example.com A","ip":"203.0.113.7"}})");
  REQUIRE(api.start());
  std::this_thread::sleep_for(1500ms);
  CHECK(linode.count("PUT") == 1);  // remembered: not pushed again
  REQUIRE(pushed("203.0.113.8"));
  CHECK(waitUntil([&] { return readFile(state).find("\"format\":2") != std::string::npos; }, 5s));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
