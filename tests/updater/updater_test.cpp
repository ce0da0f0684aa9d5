// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "tests/support/fake_linode.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/updater.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::updater;
using chipmunk::test::FakeLinode;
using chipmunk::test::readFile;
using chipmunk::test::TempDir;
using chipmunk::test::writeFile;

// A config with a command source reading ip.txt and records on the fake Linode.
struct Fixture {
  TempDir dir;
  FakeLinode linode;
  long long domainId = 0;

  Fixture() {
    domainId = linode.addDomain("example.com");
    linode.addRecord(domainId, "home", "A", "192.0.2.1");
    linode.addRecord(domainId, "office", "A", "192.0.2.1");
    setIp("203.0.113.10");
  }
  void setIp(const std::string& ip) { writeFile(dir.file("ip.txt"), ip + "\n"); }

  std::string configText(const std::string& extra = {}) const {
    return "[Global]\nallow_private = yes\nstate_dir = state\ntimeout = 2s\n" + extra +
           "\n[Daemon]\nretry_min = 1s\nretry_max = 2s\n"
           "[source:file]\ntype = command\ncommand = cat " +
           dir.file("ip.txt") +
           "\n[linode]\napi_key = test-token\nendpoint = " + linode.endpoint() +
           "\n[record:home]\nprovider = linode\nhost = home\ndomain = example.com\n";
  }

  std::unique_ptr<Updater> make(const std::string& text) {
    writeFile(dir.file("u.ini"), text);
    config::UpdaterConfig c;
    std::vector<std::string> errors;
    REQUIRE(loadConfig(dir.file("u.ini"), providers::ProviderRegistry::builtin(), c, errors));
    auto u = Updater::create(c, providers::ProviderRegistry::builtin(), errors);
    REQUIRE(u);
    return u;
  }
  std::unique_ptr<Updater> make() { return make(configText()); }
};

TEST_CASE("Updater: pushes a new address once, not again while unchanged", "[updater][unit]") {
  Fixture f;
  auto u = f.make();
  auto report = u->runCycle(false);
  CHECK(report.updated == 1);
  CHECK(report.exitCode() == kExitOk);
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.10");
  CHECK(f.linode.count("PUT") == 1);
  const int requests = static_cast<int>(f.linode.requests().size());
  report = u->runCycle(false);
  CHECK(report.unchanged == 1);
  CHECK(f.linode.requests().size() == static_cast<size_t>(requests));  // no traffic at all
  f.setIp("203.0.113.11");
  report = u->runCycle(false);
  CHECK(report.updated == 1);
  CHECK(f.linode.count("PUT") == 2);
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.11");
}

TEST_CASE("Updater: a restart with the same state does not resend", "[updater][unit]") {
  Fixture f;
  f.make()->runCycle(false);
  const size_t requests = f.linode.requests().size();
  auto again = f.make();
  const auto report = again->runCycle(false);
  CHECK(report.unchanged == 1);
  CHECK(f.linode.requests().size() == requests);
  // --force pushes anyway (the fake's record is current, so the provider says unchanged
  // after looking it up).
  CHECK(again->runCycle(true).exitCode() == kExitOk);
  CHECK(f.linode.requests().size() > requests);
}

TEST_CASE("Updater: a forced refresh pushes an unchanged address when due", "[updater][unit]") {
  Fixture f;
  f.make()->runCycle(false);
  auto text = f.configText();
  text.replace(text.find("domain = example.com\n", text.find("[record:home]")), 21,
               "domain = example.com\nforce_refresh = 0\n");
  // force_refresh = 0: never refreshed.
  const size_t before = f.linode.requests().size();
  f.make(text)->runCycle(false);
  CHECK(f.linode.requests().size() == before);
  // Make the state old: the default 25 days are over.
  const std::string state = readFile(f.dir.file("state/home.state"));
  auto pos = state.find("\"pushed_at\":");
  std::string old =
      state.substr(0, pos) + "\"pushed_at\":1000" + state.substr(state.find(',', pos));
  writeFile(f.dir.file("state/home.state"), old);
  // The record is current, but the refresh is due: it is sent for real, with a PUT (providers
  // drop records that see no update; a lookup alone, or a provider trusting the target it
  // just looked up, would not count).
  const int puts = f.linode.count("PUT");
  const auto report = f.make()->runCycle(false);
  CHECK(report.exitCode() == kExitOk);
  CHECK(f.linode.count("PUT") == puts + 1);
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.10");
}

TEST_CASE("Updater: a push time ahead of the clock or out of range does not postpone the refresh",
          "[updater][unit]") {
  Fixture f;
  f.make()->runCycle(false);
  const std::string state = readFile(f.dir.file("state/home.state"));
  const auto pos = state.find("\"pushed_at\":");
  REQUIRE(pos != std::string::npos);
  // Written while the clock was 75 years ahead, or damaged: when the record was last pushed
  // is not known, so the refresh (25 days by default) is due now, not in year 2100.
  for (const std::string pushedAt : {"4102444800", "-9223372036854775807"}) {
    INFO(pushedAt);
    writeFile(f.dir.file("state/home.state"), state.substr(0, pos) + "\"pushed_at\":" + pushedAt +
                                                  state.substr(state.find(',', pos)));
    const int puts = f.linode.count("PUT");
    CHECK(f.make()->runCycle(false).exitCode() == kExitOk);
    CHECK(f.linode.count("PUT") == puts + 1);
  }
}

TEST_CASE("Updater: a forced push repairs a record changed elsewhere, with a PUT",
          "[updater][unit]") {
  Fixture f;
  auto u = f.make();
  REQUIRE(u->runCycle(false).updated == 1);
  REQUIRE(f.linode.count("PUT") == 1);
  // The provider has this record's id and target cached; the record changes behind its back.
  f.linode.setTarget(f.domainId, "home", "A", "192.0.2.99");
  CHECK(u->runCycle(false).unchanged == 1);  // not due: no traffic
  CHECK(f.linode.count("PUT") == 1);
  CHECK(u->runCycle(true).exitCode() == kExitOk);
  CHECK(f.linode.count("PUT") == 2);
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.10");
}

TEST_CASE("Updater: 401 stops the record while other records go on", "[updater][unit]") {
  Fixture f;
  auto text = f.configText() + "[linode:bad]\napi_key = wrong\nendpoint = " + f.linode.endpoint() +
              "\n[record:office]\nprovider = linode:bad\nhost = office\ndomain = example.com\n";
  auto u = f.make(text);
  auto report = u->runCycle(false);
  CHECK(report.updated == 1);
  CHECK(report.authFailed == 1);
  CHECK(report.exitCode() == kExitAuth);
  CHECK(f.linode.target(f.domainId, "office", "A") == "192.0.2.1");
  const size_t before = f.linode.requests().size();
  f.setIp("203.0.113.12");
  report = u->runCycle(false);
  CHECK(report.updated == 1);
  CHECK(report.authFailed == 1);
  // Only the good account talked to the API (one PUT).
  CHECK(f.linode.requests().size() == before + 1);
  CHECK_FALSE(u->nextRetry());
}

TEST_CASE("Updater: 429 waits for Retry-After up to retry_max, 5xx backs off", "[updater][unit]") {
  Fixture f;
  auto u = f.make();  // retry_min = 1s, retry_max = 2s
  f.linode.failNext(429, 1, 30);
  auto report = u->runCycle(false);
  CHECK(report.retryLater == 1);
  CHECK(report.exitCode() == kExitTempFail);
  REQUIRE(u->nextRetry());
  // Longer than the backoff (1 s): obeyed, but no longer than retry_max.
  const auto wait = *u->nextRetry() - std::chrono::steady_clock::now();
  CHECK(wait > std::chrono::milliseconds(1500));
  CHECK(wait <= std::chrono::seconds(2));
  // While waiting, nothing is sent.
  const size_t before = f.linode.requests().size();
  report = u->runCycle(false);
  CHECK(report.retryLater == 1);
  CHECK(f.linode.requests().size() == before);
  // --force ignores the wait.
  CHECK(u->runCycle(true).updated == 1);

  f.setIp("203.0.113.20");
  f.linode.failNext(503, 1);
  CHECK(u->runCycle(false).retryLater == 1);
  REQUIRE(u->nextRetry());
  CHECK(*u->nextRetry() - std::chrono::steady_clock::now() <= std::chrono::seconds(1));
}

TEST_CASE("Updater: backoff doubles with jitter and is capped", "[updater][unit]") {
  std::mt19937 rng(42);
  for (int i = 0; i < 50; ++i) {
    const auto d1 = backoffDelay(1, std::chrono::seconds(60), std::chrono::seconds(3600), rng);
    CHECK(d1 >= std::chrono::seconds(30));
    CHECK(d1 <= std::chrono::seconds(60));
    const auto d3 = backoffDelay(3, std::chrono::seconds(60), std::chrono::seconds(3600), rng);
    CHECK(d3 >= std::chrono::seconds(120));
    CHECK(d3 <= std::chrono::seconds(240));
    const auto d30 = backoffDelay(30, std::chrono::seconds(60), std::chrono::seconds(3600), rng);
    CHECK(d30 >= std::chrono::seconds(1800));
    CHECK(d30 <= std::chrono::seconds(3600));
  }
}

TEST_CASE("Updater: discovery failure is exit 1 and sends nothing", "[updater][unit]") {
  Fixture f;
  f.setIp("<html>502</html>");
  auto u = f.make();
  const auto report = u->runCycle(false);
  CHECK(report.discoveryFailed);
  CHECK(report.exitCode() == kExitFailed);
  CHECK(f.linode.requests().empty());
}

TEST_CASE("Updater: a missing record is exit 1", "[updater][unit]") {
  Fixture f;
  auto text = f.configText();
  text.replace(text.find("host = home"), 11, "host = nothere");
  const auto report = f.make(text)->runCycle(false);
  CHECK(report.failed == 1);
  CHECK(report.exitCode() == kExitFailed);
}

TEST_CASE("Updater: on_change gets old and new address, and a failing hook is not fatal",
          "[updater][unit]") {
  Fixture f;
  const std::string out = f.dir.file("hook.txt");
  auto u = f.make(f.configText() +
                  "[Hooks]\non_change = echo \"$CHIPMUNK_RECORD $CHIPMUNK_HOST "
                  "$CHIPMUNK_TYPE $CHIPMUNK_PROVIDER $CHIPMUNK_OLD_IP "
                  "$CHIPMUNK_NEW_IP\" >> " +
                  out + "; exit 1\n");
  CHECK(u->runCycle(false).exitCode() == kExitOk);
  f.setIp("203.0.113.11");
  CHECK(u->runCycle(false).exitCode() == kExitOk);
  CHECK(readFile(out) ==
        "home home.example.com A linode  203.0.113.10\n"
        "home home.example.com A linode 203.0.113.10 203.0.113.11\n");
}

TEST_CASE("Updater: a forced push or refresh of an unchanged address does not run on_change",
          "[updater][unit]") {
  Fixture f;
  const std::string out = f.dir.file("hook.txt");
  const std::string hooks =
      "[Hooks]\non_change = echo \"$CHIPMUNK_OLD_IP $CHIPMUNK_NEW_IP\" >> " + out + "\n";
  auto u = f.make(f.configText() + hooks);
  REQUIRE(u->runCycle(false).updated == 1);
  REQUIRE(readFile(out) == " 203.0.113.10\n");
  // --force pushes the same address again (a PUT, so the provider says updated): no change.
  const int puts = f.linode.count("PUT");
  CHECK(u->runCycle(true).updated == 1);
  CHECK(f.linode.count("PUT") == puts + 1);
  CHECK(readFile(out) == " 203.0.113.10\n");
  // Nor does a due force_refresh, in a new process with old state.
  const std::string state = readFile(f.dir.file("state/home.state"));
  const auto pos = state.find("\"pushed_at\":");
  writeFile(f.dir.file("state/home.state"),
            state.substr(0, pos) + "\"pushed_at\":1000" + state.substr(state.find(',', pos)));
  CHECK(f.make(f.configText() + hooks)->runCycle(false).updated == 1);
  CHECK(f.linode.count("PUT") == puts + 2);
  CHECK(readFile(out) == " 203.0.113.10\n");
  // A real change does.
  f.setIp("203.0.113.11");
  CHECK(u->runCycle(false).updated == 1);
  CHECK(readFile(out) == " 203.0.113.10\n203.0.113.10 203.0.113.11\n");
}

TEST_CASE("Updater: a hook that hangs is killed after its timeout", "[updater][unit]") {
  Fixture f;
  auto u = f.make(f.configText() + "[Hooks]\non_change = sleep 30\ntimeout = 1s\n");
  const auto start = std::chrono::steady_clock::now();
  CHECK(u->runCycle(false).updated == 1);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("Updater: a provider that hangs times out as retry-later", "[updater][unit]") {
  Fixture f;
  f.linode.setDelay(std::chrono::seconds(20));
  auto text = f.configText();
  text.replace(text.find("timeout = 2s"), 12, "timeout = 1s");
  auto u = f.make(text);
  const auto start = std::chrono::steady_clock::now();
  const auto report = u->runCycle(false);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(report.retryLater == 1);
  f.linode.setDelay(std::chrono::milliseconds(0));
}

TEST_CASE("Updater: update_dns = no only discovers the address", "[updater][unit]") {
  Fixture f;
  auto u = f.make(
      "[Global]\nupdate_dns = no\nallow_private = yes\nstate_dir = state\n"
      "[source:file]\ntype = command\ncommand = cat " +
      f.dir.file("ip.txt") + "\n");
  const auto report = u->runCycle(false);
  CHECK(report.exitCode() == kExitOk);
  REQUIRE(report.lines.size() == 1);
  CHECK(report.lines[0] == "address 203.0.113.10");
  CHECK(f.linode.requests().empty());
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
