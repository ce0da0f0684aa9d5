// SPDX-License-Identifier: MIT
// chipmunk-updater under systemd's eyes: the notification socket (READY, STATUS, RELOADING,
// WATCHDOG, STOPPING), journald priority prefixes, and secrets read from files and from
// $CREDENTIALS_DIRECTORY, all with the real program against the fake Linode.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/fake_linode.hpp"
#include "tests/support/notify_socket.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace std::chrono_literals;

// The fake Linode with home.example.com, and the address in ip.txt.
struct Fixture {
  TempDir dir;
  FakeLinode linode;
  const long long domainId = linode.addDomain("example.com");

  Fixture() {
    linode.addRecord(domainId, "home", "A", "192.0.2.1");
    writeFile(dir.file("ip.txt"), "203.0.113.10\n");
  }
  std::string configPath() const { return dir.file("updater.ini"); }
  std::string out() const { return readFile(dir.file("stdout.txt")); }
  std::string err() const { return readFile(dir.file("stderr.txt")); }
  // `key` is the [linode] line that gives the token; `daemon` extra [Daemon] lines.
  void writeConfig(const std::string& key, const std::string& daemon = "logfile = updater.log\n",
                   const std::string& global = {}) const {
    writeFile(configPath(), "[Global]\nallow_private = yes\nstate_dir = state\ntimeout = 2s\n" +
                                global + "[Daemon]\ninterval = 1h\n" + daemon +
                                "[source:file]\ntype = command\ncommand = cat " +
                                dir.file("ip.txt") + "\n[linode]\n" + key +
                                "\nendpoint = " + linode.endpoint() +
                                "\n[record:home]\nprovider = linode\nhost = home\n"
                                "domain = example.com\n");
  }
  int run(const std::string& mode) const {
    return runCommand({CHIPMUNK_UPDATER_BIN, "--config", configPath(), mode},
                      dir.file("stdout.txt"), dir.file("stderr.txt"), {}, 30s);
  }
  void secret(const std::string& path, const std::string& content, mode_t mode) const {
    writeFile(path, content);
    ::chmod(path.c_str(), mode);
  }
};

TEST_CASE(
    "chipmunk-updater systemd: READY once scheduled, STATUS per cycle, reload, watchdog, stop",
    "[updater][integration]") {
  Fixture f;
  f.writeConfig("api_key = test-token");
  NotifySocket socket;
  ScopedEnv notify("NOTIFY_SOCKET", socket.address());
  ScopedEnv usec("WATCHDOG_USEC", "400000");
  ScopedEnv pid("WATCHDOG_PID", "");
  ChildProcess process({CHIPMUNK_UPDATER_BIN, "--config", f.configPath()}, f.dir.file("stdout.txt"),
                       f.dir.file("stderr.txt"));
  const auto ready = socket.waitFor("READY=1", 10s);
  REQUIRE(ready);
  const auto status = socket.waitFor("STATUS=1 records ok, 0 failing", 10s);
  REQUIRE(status);
  CHECK(*ready < *status);  // ready before the first cycle ran
  CHECK(f.linode.count("PUT") == 1);
  // Pinged every 200 ms from the daemon loop, while it waits an hour for the next check.
  CHECK(waitUntil([&] { return socket.count("WATCHDOG=1") >= 4; }, 5s));

  process.signal(SIGHUP);
  const auto reloading = socket.waitFor("RELOADING=1", 10s);
  REQUIRE(reloading);
  CHECK(socket.messages()[*reloading].find("MONOTONIC_USEC=") != std::string::npos);
  CHECK(waitUntil([&] { return socket.count("READY=1") == 2; }, 10s));

  f.linode.setToken("another-token");  // the next update fails: a 401 stops the record
  writeFile(f.dir.file("ip.txt"), "203.0.113.11\n");
  process.signal(SIGUSR2);
  CHECK(socket.waitFor("STATUS=0 records ok, 1 failing (", 10s));
  process.signal(SIGTERM);
  CHECK(socket.waitFor("STOPPING=1", 10s));
  CHECK(process.wait(10s) == 0);
  for (const auto& m : socket.messages()) {
    CHECK(m.find("test-token") == std::string::npos);
  }
}

TEST_CASE(
    "chipmunk-updater journald: <N> priority prefixes, no time, only when stderr is the stream",
    "[updater][integration]") {
  Fixture f;
  f.writeConfig("api_key = test-token", "", "verify_tls = no\n");  // a warning, on stderr
  const std::string stderrPath = f.dir.file("stderr.txt");
  writeFile(stderrPath, "");
  {
    ScopedEnv journal("JOURNAL_STREAM", deviceInode(stderrPath));
    REQUIRE(f.run("--once") == 0);
  }
  const std::string journalLog = f.err();
  INFO(journalLog);
  CHECK(journalLog.find("<4>warning updater: ") != std::string::npos);
  CHECK(journalLog.find("\n<6>info ") != std::string::npos);
  CHECK(journalLog.rfind("<", 0) == 0);
  CHECK(journalLog.find("\n20") == std::string::npos);  // no timestamp starts a line

  writeFile(stderrPath, "");
  {
    ScopedEnv journal("JOURNAL_STREAM", "1:2");  // stderr was redirected elsewhere
    REQUIRE(f.run("--once") == 0);
  }
  const std::string plainLog = f.err();
  INFO(plainLog);
  CHECK(plainLog.find("<4>") == std::string::npos);
  CHECK(plainLog.find("<6>") == std::string::npos);
  CHECK(plainLog.find(" warning updater: ") != std::string::npos);
  CHECK(plainLog.rfind("20", 0) == 0);  // the timestamp
}

TEST_CASE("chipmunk-updater secrets: api_key_file reaches the provider, private files only",
          "[updater][integration]") {
  Fixture f;
  f.secret(f.dir.file("linode.token"), "test-token\n", 0600);
  f.writeConfig("api_key_file = linode.token");  // relative: the config file's directory
  REQUIRE(f.run("--check-config") == 0);
  REQUIRE(f.run("--once") == 0);
  CHECK(f.linode.count("PUT") == 1);  // the fake accepted the token from the file
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.10");

  ::chmod(f.dir.file("linode.token").c_str(), 0644);
  CHECK(f.run("--check-config") == 2);
  CHECK(f.err().find(f.configPath() + ":12: [linode] api_key_file: " + f.dir.file("linode.token") +
                     ": mode 0644 lets group or others at it") != std::string::npos);
  CHECK(f.run("--once") == 2);  // refused at start too
  CHECK(f.err().find("test-token") == std::string::npos);

  f.writeConfig("api_key = test-token\napi_key_file = linode.token");
  CHECK(f.run("--check-config") == 2);
  CHECK(f.err().find(f.configPath() + ":13: [linode] api_key and api_key_file are both set") !=
        std::string::npos);
}

TEST_CASE("chipmunk-updater secrets: $CREDENTIALS_DIRECTORY/NAME reads a systemd credential",
          "[updater][integration]") {
  Fixture f;
  TempDir credentials;
  // What systemd makes of LoadCredential=: 0400 (or 0440 with its ACL mask), root's.
  f.secret(credentials.file("linode_token"), "test-token", 0440);
  f.writeConfig("api_key_file = $CREDENTIALS_DIRECTORY/linode_token");
  {
    ScopedEnv env("CREDENTIALS_DIRECTORY", "");
    CHECK(f.run("--check-config") == 2);
    CHECK(f.err().find(":12: [linode] api_key_file: $CREDENTIALS_DIRECTORY is not set") !=
          std::string::npos);
  }
  ScopedEnv env("CREDENTIALS_DIRECTORY", credentials.path());
  REQUIRE(f.run("--once") == 0);
  CHECK(f.linode.count("PUT") == 1);
  ::chmod(credentials.file("linode_token").c_str(), 0444);  // others: refused even there
  CHECK(f.run("--check-config") == 2);
  CHECK(f.err().find("mode 0444 lets others at it") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
