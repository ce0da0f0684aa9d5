// SPDX-License-Identifier: MIT
// chipmunk-updater --dry-run, --status and the daemon's drift repair as a real process,
// against the fake Linode.
#include <signal.h>

#include <catch2/catch.hpp>

#include "tests/support/fake_linode.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace std::chrono_literals;

// home.example.com A 192.0.2.1 at a fake Linode; the address to publish is 203.0.113.10.
struct Process {
  TempDir dir;
  std::unique_ptr<FakeLinode> linode = std::make_unique<FakeLinode>();
  long long domainId = linode->addDomain("example.com");

  explicit Process(const std::string& global = "") {
    linode->addRecord(domainId, "home", "A", "192.0.2.1");
    writeFile(dir.file("ip.txt"), "203.0.113.10\n");
    writeFile(dir.file("u.ini"),
              "[Global]\nallow_private = yes\ntimeout = 2s\nstate_dir = " + dir.file("state") +
                  "\n" + global + "[Daemon]\ninterval = 1h\nlogfile = " + dir.file("u.log") +
                  "\n[source:file]\ntype = command\ncommand = cat " + dir.file("ip.txt") +
                  "\n[linode]\napi_key = test-token\nendpoint = " + linode->endpoint() +
                  "\n[record:home]\nprovider = linode\nhost = home\ndomain = example.com\n");
  }
  int run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{CHIPMUNK_UPDATER_BIN, "--config", dir.file("u.ini")};
    argv.insert(argv.end(), args.begin(), args.end());
    std::remove(dir.file("out.txt").c_str());  // runCommand appends
    return runCommand(argv, dir.file("out.txt"), dir.file("err.txt"), {}, 30s);
  }
  std::string out() const { return readFile(dir.file("out.txt")); }
};

TEST_CASE("DriftApp: --dry-run prints what would be sent and sends and writes nothing",
          "[updater][integration]") {
  Process p;
  CHECK(p.run({"--dry-run"}) == 0);
  CHECK(p.out() ==
        "home home.example.com A would send 203.0.113.10 (state: none; record holds: 192.0.2.1)\n");
  CHECK(p.linode->count("PUT") == 0);
  CHECK(p.linode->count("POST") == 0);
  CHECK_FALSE(fileExists(p.dir.file("state")));
}

TEST_CASE("DriftApp: --status reads the state files with the provider gone",
          "[updater][integration]") {
  Process p;
  REQUIRE(p.run({"--once"}) == 0);
  p.linode.reset();  // no network needed from here on
  CHECK(p.run({"--status"}) == 0);
  const std::string text = p.out();
  CHECK(text.find("home: home.example.com A at linode\n  address:      203.0.113.10\n") == 0);
  CHECK(text.find("  last error:   none\n") != std::string::npos);
  CHECK(text.find("  next attempt: ") != std::string::npos);
  CHECK(p.run({"--status", "--json"}) == 0);
  CHECK(p.out().find(R"("address":"203.0.113.10","last_success":)") != std::string::npos);
  CHECK(p.run({"--json"}) == 2);
}

TEST_CASE("DriftApp: the daemon wakes for a read-back and repairs drift",
          "[updater][integration]") {
  Process p("verify_interval = 1s\npropagation_delay = 0\n");
  ChildProcess daemon({CHIPMUNK_UPDATER_BIN, "--config", p.dir.file("u.ini")},
                      p.dir.file("out.txt"), p.dir.file("err.txt"));
  REQUIRE(waitUntil([&] { return p.linode->count("PUT") == 1; }, 10s));
  p.linode->setTarget(p.domainId, "home", "A", "198.51.100.7");
  // interval = 1h: only the read-back can notice it.
  CHECK(waitUntil([&] { return p.linode->count("PUT") == 2; }, 10s));
  CHECK(p.linode->target(p.domainId, "home", "A") == "203.0.113.10");
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == 0);
  const std::string log = readFile(p.dir.file("u.log"));
  CHECK(log.find("repaired drift record=home host=home.example.com type=A "
                 "expected=203.0.113.10 found=198.51.100.7") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
