// SPDX-License-Identifier: MIT
// The real chipmunk-updater's alerts end to end: a provider fake (tests/support/fake_linode)
// refuses or accepts, the notifiers and the healthchecks ping talk to a fake server on
// loopback, and the log is read for what it must say and what it must never hold.
#include <signal.h>

#include <catch2/catch.hpp>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace std::chrono_literals;

// Every notifier type and the ping on one fake: /broken answers 500, /hang never answers
// in time, the rest 200.
struct AlertsFixture {
  TempDir dir;
  FakeLinode linode;
  FakeHttpServer targets{[](const FakeRequest& r) {
    FakeResponse answer;
    answer.status = r.path.rfind("/broken", 0) == 0 ? 500 : 200;
    if (r.path.rfind("/hang", 0) == 0) {
      answer.delay = 30s;
    }
    return answer;
  }};
  long long domainId = 0;

  AlertsFixture() {
    domainId = linode.addDomain("example.com");
    linode.addRecord(domainId, "home", "A", "192.0.2.1");
    setIp("203.0.113.10");
  }
  void setIp(const std::string& ip) const { writeFile(dir.file("ip.txt"), ip + "\n"); }
  std::string config() const { return dir.file("updater.ini"); }
  std::string log() const {
    return readFile(dir.file("updater.log")) + readFile(dir.file("stderr.txt")) +
           readFile(dir.file("stdout.txt"));
  }
  void write(const std::string& token, const std::string& timeout,
             const std::string& alerts) const {
    writeFile(config(),
              "[Global]\nallow_private = yes\nstate_dir = state\nlog_level = debug\n"
              "timeout = " +
                  timeout +
                  "\n[Daemon]\ninterval = 1s\nlogfile = updater.log\n"
                  "retry_min = 1s\nretry_max = 2s\n[source:file]\ntype = command\n"
                  "command = cat " +
                  dir.file("ip.txt") + "\n[linode]\napi_key = " + token +
                  "\nendpoint = " + linode.endpoint() +
                  "\n[record:home]\nprovider = linode\nhost = home\n"
                  "domain = example.com\n" +
                  alerts);
  }
  std::vector<std::string> paths() const {
    std::vector<std::string> out;
    for (const auto& r : targets.requests()) {
      out.push_back(r.method + " " + r.path);
    }
    return out;
  }
};

const char* const kSecrets[] = {"wrong-secret-token", "tk_NTFYSECRET", "GOTIFYSECRET",
                                "QUERYSECRET",        "HEADERSECRET",  "BROKENSECRET",
                                "UUIDSECRET"};

TEST_CASE(
    "chipmunk-updater: --once sends a stop to ntfy, Gotify and webhooks and pings, "
    "secrets kept out of log and alerts",
    "[updater][integration]") {
  AlertsFixture f;
  const std::string t = f.targets.url();
  f.write("wrong-secret-token", "5s",
          "[notify:phone]\ntype = ntfy\nurl = " + t + "/chipmunk\ntoken = tk_NTFYSECRET\n" +
              "[notify:gotify]\ntype = gotify\nurl = " + t + "/\ntoken = GOTIFYSECRET\n" +
              "[notify:web]\ntype = webhook\nurl = " + t + "/hook?token=QUERYSECRET\n" +
              "header = Authorization: Bearer HEADERSECRET\n" +
              "[notify:broken]\ntype = webhook\nurl = " + t + "/broken?token=BROKENSECRET\n" +
              "[Healthchecks]\nurl = " + t + "/ping/UUIDSECRET\n");
  REQUIRE(runCommand({CHIPMUNK_UPDATER_BIN, "--config", f.config(), "--once"},
                     f.dir.file("stdout.txt"), f.dir.file("stderr.txt"), {}, 30s) == 3);
  const std::vector<std::string> expected = {"POST /ping/UUIDSECRET/start",
                                             "POST /chipmunk",
                                             "POST /message",
                                             "POST /hook",
                                             "POST /broken",
                                             "POST /ping/UUIDSECRET/fail"};
  CHECK(f.paths() == expected);  // all delivered before --once exited, in order
  const auto requests = f.targets.requests();
  REQUIRE(requests.size() == expected.size());
  CHECK(requests[1].header("authorization") == "Bearer tk_NTFYSECRET");
  CHECK(requests[1].header("title") == "chipmunk-updater: stop home");
  CHECK(requests[2].header("x-gotify-key") == "GOTIFYSECRET");
  CHECK(requests[3].header("authorization") == "Bearer HEADERSECRET");
  CHECK(requests[5].body.find("auth_failed=1") != std::string::npos);
  const std::string log = f.log();
  CHECK(log.find("notification failed target=\"notify:broken event=stop\" status=500") !=
        std::string::npos);
  CHECK(log.find("alert event=stop record=home") != std::string::npos);
  for (const char* secret : kSecrets) {
    INFO(secret);
    CHECK(log.find(secret) == std::string::npos);
    for (size_t i = 1; i < requests.size(); ++i) {
      CHECK(requests[i].body.find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("chipmunk-updater: --check-config reports a bad notifier as file:line",
          "[updater][integration]") {
  AlertsFixture f;
  f.write("test-token", "5s",
          "[notify:x]\ntype = gotify\nurl = ftp://example.invalid/\nevents = failure, boom\n"
          "template = {\"a\":\"{bogus}\"}\nheader = no colon here\n");
  CHECK(runCommand({CHIPMUNK_UPDATER_BIN, "--config", f.config(), "--check-config"},
                   f.dir.file("stdout.txt"), f.dir.file("stderr.txt")) == 2);
  const std::string err = readFile(f.dir.file("stderr.txt"));
  const std::string at = f.config() + ":";
  CHECK(err.find(at + "23: [notify:x] url must start with http:// or https://") !=
        std::string::npos);
  CHECK(err.find(at + "24: [notify:x] events: \"boom\" is not one of") != std::string::npos);
  CHECK(err.find(at + "25: [notify:x] template: unknown placeholder {bogus}") != std::string::npos);
  CHECK(err.find(at + "26: [notify:x] header: expected \"Name: value\"") != std::string::npos);
  CHECK(err.find(at + "21: [notify:x] type = gotify needs token") != std::string::npos);
  CHECK(err.find("no colon here") == std::string::npos);  // a header is a secret
}

TEST_CASE("chipmunk-updater daemon: a hanging notifier delays neither updates nor SIGTERM",
          "[updater][integration]") {
  AlertsFixture f;
  const std::string t = f.targets.url();
  f.write("test-token", "60s",
          "[notify:slow]\ntype = webhook\nurl = " + t + "/hang\nevents = change\n" +
              "[Healthchecks]\nurl = " + t + "/hang/UUIDSECRET\n");
  ChildProcess process({CHIPMUNK_UPDATER_BIN, "--config", f.config()}, f.dir.file("stdout.txt"),
                       f.dir.file("stderr.txt"));
  REQUIRE(waitUntil([&] { return f.linode.count("PUT") >= 1; }, 10s));
  REQUIRE(waitUntil([&] { return !f.targets.requests().empty(); }, 10s));
  f.setIp("203.0.113.11");  // the next check (1 s) updates while the notifier still hangs
  REQUIRE(waitUntil([&] { return f.linode.count("PUT") >= 2; }, 10s));
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.11");
  const auto start = std::chrono::steady_clock::now();
  process.signal(SIGTERM);
  CHECK(process.wait(10s) == 0);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(f.log().find("UUIDSECRET") == std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
