// SPDX-License-Identifier: MIT
// chipmunk-updater as a real process: one-shot and daemon modes, exit codes, signals.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "providers/provider.hpp"
#include "tests/support/api_instance.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace std::chrono_literals;

// A chipmunk-updater config in a temporary directory, against a fake Linode, with the
// address read from ip.txt (so that tests can change it), and the process that runs it.
struct UpdaterFixture {
  TempDir dir;
  FakeLinode linode;
  long long domainId = 0;
  std::unique_ptr<ChildProcess> process;

  UpdaterFixture() {
    domainId = linode.addDomain("example.com");
    linode.addRecord(domainId, "home", "A", "192.0.2.1");
    setIp("203.0.113.10");
  }
  void setIp(const std::string& ip) const { writeFile(dir.file("ip.txt"), ip + "\n"); }
  std::string configPath() const { return dir.file("updater.ini"); }
  std::string logPath() const { return dir.file("updater.log"); }
  std::string log() const { return readFile(logPath()) + readFile(dir.file("stderr.txt")); }

  void writeConfig(const std::string& interval = "1s", const std::string& token = "test-token",
                   const std::string& extra = {}) const {
    writeFile(configPath(),
              "[Global]\nallow_private = yes\nstate_dir = state\ntimeout = 2s\n"
              "[Daemon]\ninterval = " +
                  interval +
                  "\nlogfile = updater.log\nretry_min = 1s\nretry_max = 2s\n"
                  "[source:file]\ntype = command\ncommand = cat " +
                  dir.file("ip.txt") + "\n[linode]\napi_key = " + token +
                  "\nendpoint = " + linode.endpoint() +
                  "\n[record:home]\nprovider = linode\nhost = home\ndomain = example.com\n" +
                  extra);
  }
  int runOnce(const std::vector<std::string>& extraArgs = {}) const {
    std::vector<std::string> argv{CHIPMUNK_UPDATER_BIN, "--config", configPath(), "--once"};
    argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
    return runCommand(argv, dir.file("stdout.txt"), dir.file("stderr.txt"), {}, 30s);
  }
  void start(const std::vector<std::string>& extraArgs = {}) {
    std::vector<std::string> argv{CHIPMUNK_UPDATER_BIN, "--config", configPath()};
    argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
    process = std::make_unique<ChildProcess>(argv, dir.file("stdout.txt"), dir.file("stderr.txt"));
  }
  bool waitForLog(const std::string& text, size_t times = 1,
                  std::chrono::milliseconds timeout = 10s) const {
    return waitUntil([&] { return countOf(log(), text) >= times; }, timeout);
  }
  bool waitForPuts(int n, std::chrono::milliseconds timeout = 10s) const {
    return waitUntil([&] { return linode.count("PUT") >= n; }, timeout);
  }
  int stop() {
    process->signal(SIGTERM);
    return process->wait(10s);
  }
};

TEST_CASE("chipmunk-updater: --version, --help and bad arguments", "[updater][integration]") {
  TempDir dir;
  CHECK(runCommand({CHIPMUNK_UPDATER_BIN, "--version"}, dir.file("o"), dir.file("e")) == 0);
  CHECK(readFile(dir.file("o")).rfind("chipmunk-updater ", 0) == 0);
  CHECK(runCommand({CHIPMUNK_UPDATER_BIN, "--help"}, dir.file("o"), dir.file("e")) == 0);
  CHECK(readFile(dir.file("o")).find("Exit status") != std::string::npos);
  CHECK(runCommand({CHIPMUNK_UPDATER_BIN, "--bogus"}, dir.file("o"), dir.file("e")) == 2);
  CHECK(runCommand({CHIPMUNK_UPDATER_BIN, "--config", dir.file("missing.ini"), "--once"},
                   dir.file("o"), dir.file("e")) == 2);
  CHECK(readFile(dir.file("e")).find("missing.ini: cannot open") != std::string::npos);
}

TEST_CASE("chipmunk-updater: --list-providers prints the registry, plain or as Markdown",
          "[updater][integration]") {
  TempDir dir;
  REQUIRE(runCommand({CHIPMUNK_UPDATER_BIN, "--list-providers"}, dir.file("o"), dir.file("e")) ==
          0);
  CHECK(readFile(dir.file("o")) ==
        chipmunk::providers::textTable(chipmunk::providers::ProviderRegistry::builtin()));
  CHECK(readFile(dir.file("o")).find("\ncloudflare ") != std::string::npos);
  REQUIRE(runCommand({CHIPMUNK_UPDATER_BIN, "--list-providers=markdown"}, dir.file("md"),
                     dir.file("e")) == 0);
  CHECK(readFile(dir.file("md")) ==
        chipmunk::providers::markdownTable(chipmunk::providers::ProviderRegistry::builtin()));
}

TEST_CASE("chipmunk-updater: --check-config prints every error as file:line, exit 2",
          "[updater][integration]") {
  UpdaterFixture f;
  writeFile(f.configPath(), "[Global]\nupdate_dns = perhaps\n[Daemon]\ninterval = soon\n[x]\n");
  CHECK(runCommand({CHIPMUNK_UPDATER_BIN, "--config", f.configPath(), "--check-config"},
                   f.dir.file("o"), f.dir.file("e")) == 2);
  const std::string err = readFile(f.dir.file("e"));
  CHECK(err.find(f.configPath() + ":2: [Global] update_dns") != std::string::npos);
  CHECK(err.find(f.configPath() + ":4: [Daemon] interval") != std::string::npos);
  CHECK(err.find(f.configPath() + ":5: unknown section [x]") != std::string::npos);

  // A bad setting, an unknown provider and a provider's own check (an empty api_key, found
  // when the provider is built): all three in one run. No source is no error: the built-ins.
  writeFile(f.configPath(),
            "[Global]\nintervall = 5\n[linode]\napi_key =\n[record:home]\nprovider = linode\n"
            "host = home\ndomain = example.com\n[record:work]\nprovider = cloudy\nhost = w\n"
            "domain = example.com\n");
  CHECK(runCommand({CHIPMUNK_UPDATER_BIN, "--config", f.configPath(), "--check-config"},
                   f.dir.file("o"), f.dir.file("e")) == 2);
  const std::string all = readFile(f.dir.file("e"));
  INFO(all);
  CHECK(all.find(f.configPath() + ":2: unknown setting \"intervall\"") != std::string::npos);
  CHECK(all.find("in [Global] (did you mean [Daemon] interval?)") != std::string::npos);
  CHECK(all.find("no IP discovery source") == std::string::npos);
  CHECK(all.find(f.configPath() + ":10: provider section [cloudy] is not in the file") !=
        std::string::npos);
  CHECK(all.find(f.configPath() + ":3: [linode] api_key is required") != std::string::npos);
  CHECK(all.find("3 configuration errors") != std::string::npos);
  CHECK_FALSE(fileExists(f.dir.file("state")));
  f.writeConfig();
  CHECK(runCommand({CHIPMUNK_UPDATER_BIN, "--config", f.configPath(), "--check-config"},
                   f.dir.file("o"), f.dir.file("e")) == 0);
  CHECK(f.linode.requests().empty());  // checking contacts nobody
  CHECK_FALSE(fileExists(f.dir.file("state")));
}

TEST_CASE("chipmunk-updater: --once with the real chipmunk-api and the fake Linode",
          "[updater][integration]") {
  ApiInstance api("[Users]\nalice = secret\n");
  REQUIRE(api.start());
  UpdaterFixture f;
  const long long rid = f.linode.addRecord(f.domainId, "lab", "A", "192.0.2.1");
  (void)rid;
  // The original client's sections, plus allow_private (the API sees us as 127.0.0.1).
  writeFile(f.configPath(),
            "[Global]\nupdate_dns = yes\ndaemonize = no\nallow_private = yes\n"
            "state_dir = state\n"
            "[ChipmunkAPIServer]\nusername = alice\npassword = secret\n"
            "method = set\nendpoint = http://127.0.0.1:" +
                std::to_string(api.port()) +
                "\n[Daemon]\ninterval = 300\nlogfile = updater.log\n"
                "[dDNS]\nprovider = linode\n"
                "[linode]\napi_key = test-token\nhost = lab\ndomain = example.com\n"
                "endpoint = " +
                f.linode.endpoint() + "\n");
  CHECK(f.runOnce() == 0);
  CHECK(f.linode.target(f.domainId, "lab", "A") == "127.0.0.1");
  CHECK(readFile(api.dataDir() + "/alice.cm") == "127.0.0.1\n");  // method = set
  CHECK(readFile(f.dir.file("stdout.txt")).find("linode lab.example.com A 127.0.0.1 updated") !=
        std::string::npos);
  CHECK(f.linode.count("PUT") == 1);
  for (const auto& r : f.linode.requests()) {
    CHECK(r.header("user-agent").rfind("chipmunk-updater/", 0) == 0);
  }
  // A second run (a restart) sends nothing to the provider.
  const size_t before = f.linode.requests().size();
  CHECK(f.runOnce() == 0);
  CHECK(f.linode.requests().size() == before);
  CHECK(readFile(f.dir.file("stdout.txt")).find("127.0.0.1 current") != std::string::npos);
  // --force pushes even though the cache says unchanged.
  CHECK(f.runOnce({"--force"}) == 0);
  CHECK(f.linode.requests().size() > before);
  // The token never reaches the log.
  CHECK(f.log().find("test-token") == std::string::npos);
  CHECK(f.log().find("secret") == std::string::npos);
}

TEST_CASE("chipmunk-updater: a provider's error text cannot forge log lines or reach the terminal",
          "[updater][integration]") {
  // A provider (or whatever answers in its place) whose error reasons hold a line break
  // followed by a line of its choosing, terminal control sequences, and thousands of
  // reasons.
  std::string reasons =
      "{\"reason\": \"bad\\n1999-01-01T00:00:00.000+0000 info updater: FORGED "
      "record updated\\u001b]0;owned\\u0007\\r\"}";
  for (int i = 0; i < 3000; ++i) {
    reasons += ",{\"reason\": \"" + std::string(190, 'x') + "\\n1999-01-01 FORGED\"}";
  }
  FakeHttpServer server([&](const FakeRequest&) {
    FakeResponse r;
    r.status = 400;
    r.body = "{\"errors\": [" + reasons + "]}";
    return r;
  });
  TempDir dir;
  writeFile(dir.file("ip.txt"), "203.0.113.10\n");
  writeFile(dir.file("updater.ini"),
            "[Global]\nallow_private = yes\nstate_dir = state\ntimeout = 2s\n"
            "[Daemon]\nlogfile = updater.log\n"
            "[source:file]\ntype = command\ncommand = cat " +
                dir.file("ip.txt") + "\n[linode]\napi_key = t\nendpoint = " + server.url() +
                "/v4\n[record:home]\nprovider = linode\nhost = home\ndomain = example.com\n");
  CHECK(runCommand({CHIPMUNK_UPDATER_BIN, "--config", dir.file("updater.ini"), "--once"},
                   dir.file("stdout.txt"), dir.file("stderr.txt"), {}, 30s) == 1);
  const std::string log = readFile(dir.file("updater.log"));
  const std::string out = readFile(dir.file("stdout.txt"));
  REQUIRE(log.find("FORGED") != std::string::npos);  // reported, as text
  REQUIRE(out.find("FORGED") != std::string::npos);
  for (const std::string* text : {&log, &out}) {
    CHECK(text->find('\x1b') == std::string::npos);
    CHECK(text->find('\x07') == std::string::npos);
    CHECK(text->find('\r') == std::string::npos);
    size_t start = 0;
    while (start < text->size()) {
      size_t end = text->find('\n', start);
      if (end == std::string::npos) {
        end = text->size();
      }
      const std::string line = text->substr(start, end - start);
      INFO(line.substr(0, 120));
      CHECK(line.rfind("1999-", 0) != 0);  // no line of the server's
      CHECK(line.size() <= 4096 + 200);
      start = end + 1;
    }
  }
}

TEST_CASE("chipmunk-updater: --once exit codes", "[updater][integration]") {
  UpdaterFixture f;
  f.writeConfig("1s", "wrong-token");
  CHECK(f.runOnce() == 3);  // auth failed
  f.writeConfig();
  f.linode.failNext(429, 1, 60);
  CHECK(f.runOnce() == 75);  // retry later
  f.linode.failNext(503, 1);
  CHECK(f.runOnce() == 75);
  f.setIp("not an address");
  CHECK(f.runOnce() == 1);  // discovery failed
  CHECK(f.log().find("not an IP address") != std::string::npos);
  // Still one line per record on standard output, saying why it was not updated.
  const std::string out = readFile(f.dir.file("stdout.txt"));
  INFO(out);
  CHECK(out.find("discovery ipv4 failed\n") != std::string::npos);
  CHECK(out.find("home home.example.com A not updated: no ipv4 address discovered (") !=
        std::string::npos);
  CHECK(out.find("not an IP address") != std::string::npos);
  f.setIp("203.0.113.10");
  CHECK(f.runOnce() == 0);
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.10");
}

TEST_CASE("chipmunk-updater daemon: sees the address change and updates once, not twice",
          "[updater][integration]") {
  UpdaterFixture f;
  f.writeConfig("1s");
  f.start();
  REQUIRE(f.waitForPuts(1));
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.10");
  f.setIp("203.0.113.11");
  REQUIRE(f.waitForPuts(2));
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.11");
  // Several more intervals pass without a change: nothing more is sent.
  const size_t requests = f.linode.requests().size();
  REQUIRE(f.waitForLog("updating record=", 2));
  sleep(3);
  CHECK(f.linode.count("PUT") == 2);
  CHECK(f.linode.requests().size() == requests);
  CHECK(f.stop() == 0);
  CHECK(f.log().find("stopped") != std::string::npos);

  // A restart with the same state directory does not resend.
  f.start();
  REQUIRE(f.waitForLog("started version=", 2));
  sleep(2);
  CHECK(f.linode.requests().size() == requests);
  CHECK(f.stop() == 0);
}

TEST_CASE("chipmunk-updater daemon: 429 waits for Retry-After", "[updater][integration]") {
  UpdaterFixture f;
  f.writeConfig("1h");
  f.linode.failNext(429, 1, 2);
  const auto start = std::chrono::steady_clock::now();
  f.start();
  REQUIRE(waitUntil([&] { return f.linode.requests().size() >= 1; }, 10s));
  REQUIRE(f.waitForPuts(1, 10s));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 2s);
  CHECK(elapsed < 6s);
  CHECK(f.log().find("retry_in_s=2") != std::string::npos);
  CHECK(f.stop() == 0);
}

TEST_CASE("chipmunk-updater daemon: 401 stops the record until reload", "[updater][integration]") {
  UpdaterFixture f;
  f.writeConfig("1s", "wrong-token");
  f.start();
  REQUIRE(f.waitForLog("record stopped until the configuration is reloaded"));
  const size_t requests = f.linode.requests().size();
  f.setIp("203.0.113.11");
  sleep(3);
  CHECK(f.linode.requests().size() == requests);  // stopped: no retries
  CHECK(f.process->running());
  f.writeConfig("1s", "test-token");
  f.process->signal(SIGHUP);
  REQUIRE(f.waitForPuts(1));
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.11");
  CHECK(f.stop() == 0);
}

TEST_CASE("chipmunk-updater daemon: a provider that hangs times out and is retried",
          "[updater][integration]") {
  UpdaterFixture f;
  f.writeConfig("1h", "test-token");
  // timeout = 2s in the config
  f.linode.setDelay(30s);
  f.start();
  REQUIRE(f.waitForLog("result=retry-later", 1, 10s));
  CHECK(f.log().find("timed out") != std::string::npos);
  f.linode.setDelay(0ms);
  REQUIRE(f.waitForPuts(1, 15s));
  CHECK(f.stop() == 0);
}

TEST_CASE("chipmunk-updater daemon: SIGTERM is not delayed by a hanging provider",
          "[updater][integration]") {
  UpdaterFixture f;
  f.writeConfig("1h");
  std::string text = readFile(f.configPath());
  text.replace(text.find("timeout = 2s"), 12, "timeout = 60s");
  writeFile(f.configPath(), text);
  f.linode.setDelay(30s);
  f.start();
  REQUIRE(waitUntil([&] { return !f.linode.requests().empty(); }, 10s));
  const auto start = std::chrono::steady_clock::now();
  CHECK(f.stop() == 0);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(f.log().find("shutting down signal=TERM") != std::string::npos);
}

TEST_CASE("chipmunk-updater daemon: SIGUSR1 reopens the log after it was moved",
          "[updater][integration]") {
  UpdaterFixture f;
  f.writeConfig("1h");
  f.start();
  REQUIRE(f.waitForPuts(1));
  REQUIRE(f.waitForLog("started version="));
  REQUIRE(::rename(f.logPath().c_str(), f.dir.file("updater.log.1").c_str()) == 0);
  f.process->signal(SIGUSR1);
  REQUIRE(waitUntil(
      [&] { return readFile(f.logPath()).find("log file reopened") != std::string::npos; }, 10s));
  CHECK(readFile(f.dir.file("updater.log.1")).find("log file reopened") == std::string::npos);
  // SIGUSR2 checks now (the interval is an hour).
  f.setIp("203.0.113.12");
  f.process->signal(SIGUSR2);
  REQUIRE(f.waitForPuts(2));
  // The log is flushed once a second: wait for the line rather than read it at once.
  CHECK(waitUntil(
      [&] { return readFile(f.logPath()).find("check requested") != std::string::npos; }, 10s));
  CHECK(f.stop() == 0);
}

TEST_CASE("chipmunk-updater daemon: SIGHUP applies a new interval and rejects a broken file",
          "[updater][integration]") {
  UpdaterFixture f;
  f.writeConfig("1h");
  f.start();
  REQUIRE(f.waitForPuts(1));
  f.setIp("203.0.113.11");
  sleep(2);
  CHECK(f.linode.count("PUT") == 1);  // an hour's interval: not seen yet
  f.writeConfig("1s");
  f.process->signal(SIGHUP);
  REQUIRE(f.waitForLog("config reloaded"));
  REQUIRE(f.waitForPuts(2));
  f.setIp("203.0.113.12");
  REQUIRE(f.waitForPuts(3, 5s));  // the 1 s interval is in force

  writeFile(f.configPath(), "[Global]\nallow_private = maybe\n[Daemon]\ninterval = 1h\n[nope]\n");
  f.process->signal(SIGHUP);
  // A bad setting, an unknown section and, found after them, no record: all three are
  // logged (no source is no error: the built-ins).
  REQUIRE(f.waitForLog("config reload rejected errors="));
  INFO(f.log());
  CHECK(f.log().find("config reload rejected errors=3") != std::string::npos);
  CHECK(f.log().find(f.configPath() + ": update_dns is on but no record") != std::string::npos);
  CHECK(f.log().find(f.configPath() + ":2: [Global] allow_private") != std::string::npos);
  CHECK(f.log().find(f.configPath() + ":5: unknown section [nope]") != std::string::npos);
  CHECK(f.process->running());
  f.setIp("203.0.113.13");
  REQUIRE(f.waitForPuts(4, 5s));  // the old configuration (1 s) keeps running
  CHECK(f.linode.target(f.domainId, "home", "A") == "203.0.113.13");
  CHECK(f.stop() == 0);
}

TEST_CASE("chipmunk-updater: --daemon forks and writes the pidfile", "[updater][integration]") {
  UpdaterFixture f;
  f.writeConfig("1h", "test-token", "");
  // The pidfile goes in [Daemon]; add it by rewriting that line.
  std::string text = readFile(f.configPath());
  text.replace(text.find("[Daemon]\n"), 9, "[Daemon]\npidfile = updater.pid\n");
  writeFile(f.configPath(), text);
  const auto start = std::chrono::steady_clock::now();
  CHECK(runCommand({CHIPMUNK_UPDATER_BIN, "--config", f.configPath(), "--daemon"}, f.dir.file("o"),
                   f.dir.file("e"), {}, 10s) == 0);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  REQUIRE(waitUntil([&] { return !readFile(f.dir.file("updater.pid")).empty(); }, 10s));
  const pid_t pid = std::stoi(readFile(f.dir.file("updater.pid")));
  REQUIRE(pid > 1);
  REQUIRE(f.waitForPuts(1));
  CHECK(::kill(pid, SIGTERM) == 0);
  CHECK(waitUntil([&] { return !fileExists(f.dir.file("updater.pid")); }, 10s));
  CHECK(waitUntil([&] { return ::kill(pid, 0) != 0; }, 10s));
}

TEST_CASE("chipmunk-updater daemon: SIGHUP with a new log file moves every logger to it",
          "[updater][integration]") {
  UpdaterFixture f;
  f.writeConfig("1s");
  f.start();
  REQUIRE(f.waitForPuts(1));
  std::string text = readFile(f.configPath());
  text.replace(text.find("logfile = updater.log"), 21, "logfile = other.log");
  writeFile(f.configPath(), text);
  f.process->signal(SIGHUP);
  REQUIRE(waitUntil(
      [&] {
        return readFile(f.dir.file("other.log")).find("config reloaded") != std::string::npos;
      },
      10s));
  f.setIp("203.0.113.11");
  REQUIRE(f.waitForPuts(2));
  REQUIRE(waitUntil(
      [&] {
        const std::string log = readFile(f.dir.file("other.log"));
        return log.find("provider.linode: domain found") != std::string::npos &&
               log.find("record updated") != std::string::npos;
      },
      10s));
  CHECK(f.stop() == 0);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
