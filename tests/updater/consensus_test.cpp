// SPDX-License-Identifier: MIT
// [Discovery] consensus and the configuration-free updater: chipmunk-updater as a real
// process, its built-ins pointed at loopback (a real BIND, a fake echo service) through the
// test-only override variable, and a fake Linode.
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>

#include "config/builtin_sources.hpp"
#include "tests/support/bind_server.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/discovery.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::test;
using namespace std::chrono_literals;

config::SourceConfig command(const std::string& name, const std::string& output,
                             const std::string& op = "") {
  config::SourceConfig s;
  s.name = name;
  s.kind = config::SourceKind::kCommand;
  s.command = "echo " + output;
  s.operatorName = op;
  return s;
}

// Sets the override variable for the updater processes this test starts.
struct OverrideVariable {
  explicit OverrideVariable(const std::string& value) {
    ::setenv(config::kBuiltinOverrideVariable, value.c_str(), 1);
  }
  ~OverrideVariable() { ::unsetenv(config::kBuiltinOverrideVariable); }
};

// An updater config with no discovery section: one provider section (the fake Linode's).
struct Minimal {
  TempDir dir;
  FakeLinode linode;
  long long domainId = linode.addDomain("example.com");

  Minimal() { linode.addRecord(domainId, "home", "A", "192.0.2.1"); }
  void write(const std::string& extra = "") const {
    writeFile(dir.file("u.ini"), "[linode]\napi_key = test-token\nendpoint = " + linode.endpoint() +
                                     "\nhost = home\ndomain = example.com\n[Global]\n"
                                     "state_dir = state\ntimeout = 2s\n" +
                                     extra);
  }
  int runOnce() const {
    return runCommand({CHIPMUNK_UPDATER_BIN, "--config", dir.file("u.ini"), "--once"},
                      dir.file("out"), dir.file("err"), {}, 60s);
  }
  std::string log() const { return readFile(dir.file("err")) + readFile(dir.file("out")); }
};

TEST_CASE("Consensus: two of three operators agree, the liar is named", "[updater][unit]") {
  updater::Discovery d(
      {command("liar", "9.9.9.9"), command("a", "8.8.4.4"), command("b", "8.8.4.4")}, {}, false, 2);
  const auto r = d.discover(updater::Family::kIPv4);
  REQUIRE(r.ip);
  CHECK(r.ip->toString() == "8.8.4.4");
  CHECK(r.source == "a+b");
  REQUIRE(r.outliers.size() == 1);
  CHECK(r.outliers[0] == "liar (liar): answered 9.9.9.9, the agreed address is 8.8.4.4");
}

TEST_CASE("Consensus: sources of one operator count once, no agreement publishes nothing",
          "[updater][unit]") {
  // a and b agree but are one operator; c disagrees: no two operators agree.
  updater::Discovery d(
      {command("a", "8.8.4.4", "same"), command("b", "8.8.4.4", "same"), command("c", "9.9.9.9")},
      {}, false, 2);
  const auto r = d.discover(updater::Family::kIPv4);
  CHECK_FALSE(r.ip);
  REQUIRE_FALSE(r.errors.empty());
  CHECK(r.errors.back() == "no 2 operators agree (2 available: a=8.8.4.4, c=9.9.9.9)");
  // When the first two agree, the third is not asked.
  updater::Discovery quick(
      {command("a", "8.8.4.4"), command("b", "8.8.4.4"), command("c", "exit 3; echo")}, {}, false,
      2);
  const auto q = quick.discover(updater::Family::kIPv4);
  CHECK(q.ip);
  CHECK(q.errors.empty());
}

TEST_CASE("chipmunk-updater: with no discovery section the built-ins agree and publish",
          "[updater][integration]") {
  BindServer bind;
  bind.addZone("opendns.com", "IN", "myip IN A 8.8.4.4\n");
  bind.addZone("l.google.com", "IN", "o-o.myaddr IN TXT \"8.8.4.4\"\n");
  bind.addZone("cloudflare", "CH", "whoami CH TXT \"8.8.4.4\"\n");
  REQUIRE(bind.start());
  OverrideVariable o("dns4=127.0.0.1:" + std::to_string(bind.port()));
  Minimal m;
  m.write();
  CHECK(m.runOnce() == 0);
  INFO(m.log());
  CHECK(m.linode.target(m.domainId, "home", "A") == "8.8.4.4");
}

TEST_CASE("chipmunk-updater: consensus over three built-ins publishes the truth and logs the liar",
          "[updater][integration]") {
  BindServer bind;
  bind.addZone("opendns.com", "IN", "myip IN A 8.8.4.4\n");
  bind.addZone("l.google.com", "IN", "o-o.myaddr IN TXT \"8.8.4.4\"\n");
  REQUIRE(bind.start());
  FakeHttpServer liar([](const FakeRequest&) {
    FakeResponse r;
    r.contentType = "text/plain";
    r.body = "9.9.9.9\n";
    return r;
  });
  OverrideVariable o("dns4=127.0.0.1:" + std::to_string(bind.port()) + ",https4=" + liar.url());
  Minimal m;
  m.write("[Discovery]\norder = ipify, opendns, google-dns\nconsensus = 2\n");
  CHECK(m.runOnce() == 0);
  INFO(m.log());
  CHECK(m.linode.target(m.domainId, "home", "A") == "8.8.4.4");
  CHECK(m.log().find("discovery source disagrees family=ipv4 detail=\"ipify (ipify): answered "
                     "9.9.9.9, the agreed address is 8.8.4.4\"") != std::string::npos);
}

TEST_CASE("chipmunk-updater: every built-in down is a failed discovery, nothing is published",
          "[updater][integration]") {
  // Nothing listens at these (a port just closed); the override leaves no way out.
  int closed = 0;
  {
    FakeHttpServer gone([](const FakeRequest&) { return FakeResponse{}; });
    closed = gone.port();
  }
  const std::string at = "127.0.0.1:" + std::to_string(closed);
  OverrideVariable o("dns4=" + at + ",dns6=[::1]:" + std::to_string(closed) + ",https4=http://" +
                     at + ",https6=http://[::1]:" + std::to_string(closed));
  Minimal m;
  m.write("[Daemon]\nretry_min = 1s\nretry_max = 2s\n");
  CHECK(m.runOnce() == 1);
  INFO(m.log());
  CHECK(m.log().find("no address discovered family=ipv4") != std::string::npos);
  CHECK(m.log().find("no 2 operators agree") != std::string::npos);
  CHECK(m.linode.count("PUT") == 0);
  CHECK(m.linode.target(m.domainId, "home", "A") == "192.0.2.1");
  // The daemon keeps running and asks again after a backoff (retry_min, doubled, at most
  // retry_max; not the hour-long interval), publishing nothing.
  m.write("[Daemon]\ninterval = 1h\nretry_min = 1s\nretry_max = 4s\n");
  std::remove(m.dir.file("out").c_str());
  std::remove(m.dir.file("err").c_str());
  ChildProcess daemon({CHIPMUNK_UPDATER_BIN, "--config", m.dir.file("u.ini")}, m.dir.file("out"),
                      m.dir.file("err"));
  CHECK(waitUntil(
      [&] {
        return m.log().find("discovery failed consecutive=4 next_attempt_s=4") != std::string::npos;
      },
      30s));
  INFO(m.log());
  CHECK(m.log().find("discovery failed consecutive=1 next_attempt_s=1") != std::string::npos);
  CHECK(m.log().find("discovery failed consecutive=2 next_attempt_s=2") != std::string::npos);
  CHECK(m.log().find("discovery failed consecutive=3 next_attempt_s=4") != std::string::npos);
  CHECK(daemon.running());
  CHECK(m.linode.count("PUT") == 0);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == 0);
}

TEST_CASE("chipmunk-updater: docs/UPDATER.md holds the built-in sources table of the rows",
          "[updater][integration]") {
  TempDir dir;
  REQUIRE(runCommand({CHIPMUNK_UPDATER_BIN, "--list-sources=markdown"}, dir.file("out"),
                     dir.file("err")) == 0);
  const std::string table = readFile(dir.file("out"));
  CHECK(table.find("| `cloudflare-dns` | Cloudflare | IPv4 | `whoami.cloudflare CH TXT @1.1.1.1") !=
        std::string::npos);
  const std::string doc = readFile(std::string(CHIPMUNK_SOURCE_DIR) + "/docs/UPDATER.md");
  CHECK(doc.find(table + "<!-- end of generated source table -->") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
