// SPDX-License-Identifier: MIT
// The updater's alerts: on_failure after failure_threshold failed attempts (once per
// streak), on_stop, on_recover, on_change, the same events to a webhook on loopback, and
// what was alerted surviving a restart (the record's state file).
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/updater.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::updater;
using namespace std::chrono_literals;
using chipmunk::test::FakeHttpServer;
using chipmunk::test::FakeLinode;
using chipmunk::test::FakeRequest;
using chipmunk::test::FakeResponse;
using chipmunk::test::readFile;
using chipmunk::test::TempDir;
using chipmunk::test::writeFile;

// A record on the fake Linode, every hook appending "EVENT RECORD ERROR" to hooks.txt and
// every event posted to a webhook.
struct Fixture {
  TempDir dir;
  FakeLinode linode;
  FakeHttpServer webhook{[](const FakeRequest&) { return FakeResponse(); }};
  long long domainId = 0;

  Fixture() {
    domainId = linode.addDomain("example.com");
    linode.addRecord(domainId, "home", "A", "192.0.2.1");
    writeFile(dir.file("ip.txt"), "203.0.113.10\n");
  }

  std::string configText(const std::string& token = "test-token") const {
    const std::string hook =
        "echo \"$CHIPMUNK_EVENT $CHIPMUNK_RECORD $CHIPMUNK_ERROR\" >> " + dir.file("hooks.txt");
    return "[Global]\nallow_private = yes\nstate_dir = state\ntimeout = 2s\n"
           "[Daemon]\nretry_min = 1s\nretry_max = 2s\n"
           "[Hooks]\nfailure_threshold = 3\non_failure = " +
           hook + "\non_stop = " + hook + "\non_recover = " + hook + "\non_change = " + hook +
           "\n[notify:hook]\ntype = webhook\nurl = " + webhook.url() +
           "/hook\nevents = failure, stop, recover, change\n"
           "[source:file]\ntype = command\ncommand = cat " +
           dir.file("ip.txt") + "\n[linode]\napi_key = " + token +
           "\nendpoint = " + linode.endpoint() +
           "\n[record:home]\nprovider = linode\nhost = home\ndomain = example.com\n";
  }

  std::unique_ptr<Updater> make(const std::string& token = "test-token") {
    writeFile(dir.file("u.ini"), configText(token));
    config::UpdaterConfig c;
    std::vector<std::string> errors;
    REQUIRE(loadConfig(dir.file("u.ini"), providers::ProviderRegistry::builtin(), c, errors));
    auto u = Updater::create(c, providers::ProviderRegistry::builtin(), errors);
    REQUIRE(u);
    return u;
  }

  // A failed attempt (the fake answers 503), ignoring the backoff as --force does.
  void failOnce(Updater& u) {
    linode.failNext(503, 1);
    CHECK(u.runCycle(true).retryLater == 1);
  }

  std::string hooks() const { return readFile(dir.file("hooks.txt")); }
  // The events the webhook received, in order ("failure,recover,").
  std::string posted(Updater& u) const {
    REQUIRE(u.flushNotifications(10s));
    std::string events;
    for (const auto& r : webhook.requests()) {
      const auto at = r.body.find("\"event\":\"");
      events += r.body.substr(at + 9, r.body.find('"', at + 9) - at - 9) + ",";
    }
    return events;
  }
};

TEST_CASE("Alerts: on_failure once the threshold is reached, once per streak, then recover",
          "[updater][unit]") {
  Fixture f;
  auto u = f.make();
  f.failOnce(*u);
  f.failOnce(*u);
  CHECK(f.hooks().empty());  // two failures: nothing yet
  CHECK(f.posted(*u).empty());
  f.failOnce(*u);
  const std::string failureLine = f.hooks();
  CHECK(failureLine.find("failure home retry-later: ") == 0);
  CHECK(std::count(failureLine.begin(), failureLine.end(), '\n') == 1);
  CHECK(f.posted(*u) == "failure,");
  f.failOnce(*u);
  f.failOnce(*u);
  CHECK(f.posted(*u) == "failure,");                // the same streak: no second alert
  CHECK(u->runCycle(false).exitCode() != kExitOk);  // backing off: no attempt, no alert
  CHECK(u->runCycle(true).updated == 1);
  CHECK(f.hooks() == failureLine + "recover home \nchange home \n");
  CHECK(f.posted(*u) == "failure,recover,change,");
  // A new streak alerts again.
  f.failOnce(*u);
  f.failOnce(*u);
  f.failOnce(*u);
  CHECK(f.posted(*u) == "failure,recover,change,failure,");
}

TEST_CASE(
    "Alerts: a failure streak alerted before a restart is neither alerted again nor "
    "left without its recovery",
    "[updater][unit]") {
  Fixture f;
  {
    auto u = f.make();
    f.failOnce(*u);
    f.failOnce(*u);
    f.failOnce(*u);
    CHECK(f.posted(*u) == "failure,");
  }
  CHECK(readFile(f.dir.file("state/home.state")).find("\"notified\":\"failure\"") !=
        std::string::npos);
  auto u = f.make();  // restarted: the count starts again, the alert is remembered
  f.failOnce(*u);
  f.failOnce(*u);
  f.failOnce(*u);
  CHECK(f.posted(*u) == "failure,");
  CHECK(u->runCycle(true).updated == 1);
  CHECK(f.posted(*u) == "failure,recover,change,");
  CHECK(readFile(f.dir.file("state/home.state")).find("notified") == std::string::npos);
}

TEST_CASE("Alerts: a stop is alerted once, survives a restart and recovers after the fix",
          "[updater][unit]") {
  Fixture f;
  {
    auto u = f.make("wrong-secret-token");
    CHECK(u->runCycle(false).authFailed == 1);
    CHECK(u->runCycle(true).authFailed == 1);  // still stopped: no second alert
    CHECK(f.posted(*u) == "stop,");
  }
  {
    auto u = f.make("wrong-secret-token");  // restarted with the same bad token
    CHECK(u->runCycle(false).authFailed == 1);
    CHECK(f.posted(*u) == "stop,");
  }
  auto u = f.make();  // fixed
  CHECK(u->runCycle(false).updated == 1);
  CHECK(f.posted(*u) == "stop,recover,change,");
  CHECK(f.hooks().find("stop home auth-failed: ") == 0);
  // Neither the provider's key nor the wrong one reaches a hook or a notification.
  for (const auto& secret : {"wrong-secret-token", "test-token"}) {
    CHECK(f.hooks().find(secret) == std::string::npos);
    for (const auto& r : f.webhook.requests()) {
      CHECK(r.body.find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("Alerts: a dry run sends no notification and runs no hook", "[updater][unit]") {
  Fixture f;
  writeFile(f.dir.file("u.ini"), f.configText("wrong-secret-token"));
  config::UpdaterConfig c;
  std::vector<std::string> errors;
  REQUIRE(loadConfig(f.dir.file("u.ini"), providers::ProviderRegistry::builtin(), c, errors));
  auto u = Updater::create(c, providers::ProviderRegistry::builtin(), errors, true);
  REQUIRE(u);
  u->runCycle(false);
  CHECK(u->flushNotifications(1s));
  CHECK(f.webhook.requests().empty());
  CHECK(f.hooks().empty());
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
