// SPDX-License-Identifier: MIT
// The command line and configuration loading of the real chipmunk-api binary.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "tests/api/integration_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::integration;

TEST_CASE("Integration: --help lists the options and --version prints the version",
          "[api][integration]") {
  for (const std::string flag : {"--help", "-h"}) {
    const auto help = runApi({flag});
    CHECK(help.status == 0);
    for (const std::string option : {"--config", "--listen", "--check-config", "--help-config",
                                     "--version", "hash-password"}) {
      INFO(option);
      CHECK(contains(help.out, option));
    }
  }
  const auto version = runApi({"--version"});
  CHECK(version.status == 0);
  CHECK(std::regex_match(version.out, std::regex("chipmunk-api [0-9]+\\.[0-9]+\\.[0-9]+.*\n")));
  const auto reference = runApi({"--help-config"});
  CHECK(reference.status == 0);
  CHECK(contains(reference.out, "[Server]"));
  CHECK(contains(reference.out, "public_ip_endpoints"));
}

TEST_CASE("Integration: bad command lines exit 2 with a message", "[api][integration]") {
  const auto unknown = runApi({"--frobnicate"});
  CHECK(unknown.status == 2);
  CHECK(contains(unknown.err, "unknown argument: --frobnicate\n"));  // near nothing
  CHECK(unknown.out.empty());
  const auto typo = runApi({"usr", "add", "alice"});
  CHECK(typo.status == 2);
  CHECK(contains(typo.err, "unknown argument: usr (did you mean user?)"));

  const auto noValue = runApi({"--config"});
  CHECK(noValue.status == 2);
  CHECK(contains(noValue.err, "--config needs a value"));
  CHECK(contains(runApi({"--listen"}).err, "chipmunk-api: --listen needs a value\n"));
  // The hint offers options and subcommands alike.
  for (const auto& [typed, meant] :
       std::vector<std::pair<std::string, std::string>>{{"--chek-config", "--check-config"},
                                                        {"--lisen", "--listen"},
                                                        {"migrte", "migrate"},
                                                        {"tokn", "token"},
                                                        {"hash-pasword", "hash-password"}}) {
    INFO(typed);
    const auto r = runApi({typed});
    CHECK(r.status == 2);
    CHECK(contains(r.err, "unknown argument: " + typed + " (did you mean " + meant + "?)"));
  }
  // A value after '=' only for the options that take one, and only on the long name.
  for (const std::string bad : {"--check-config=yes", "-c=x.ini", "--version=2"}) {
    INFO(bad);
    const auto r = runApi({bad});
    CHECK(r.status == 2);
    CHECK(contains(r.err, "unknown argument: " + bad));
  }

  TempDir dir;
  ::mkdir(dir.file("data").c_str(), 0755);
  writeFile(dir.file("ok.ini"), "[Paths]\nclient_update_dir = data\n[Users]\na = b\n");
  for (const std::string bad : {"nonsense", "127.0.0.1", "127.0.0.1:99999", ":80", "[::1:80"}) {
    INFO(bad);
    const auto r = runApi({"--config", dir.file("ok.ini"), "--listen", bad});
    CHECK(r.status == 2);
    CHECK(contains(r.err, "--listen: expected HOST:PORT"));
  }

  const auto missing = runApi({"--config", dir.file("missing.ini"), "--check-config"});
  CHECK(missing.status == 2);
  CHECK(contains(missing.err, dir.file("missing.ini")));
}

TEST_CASE("Integration: --check-config reports every problem as file:line and exits 2",
          "[api][integration]") {
  TempDir dir;
  ::mkdir(dir.file("data").c_str(), 0755);
  const std::string good = dir.file("good.ini");
  writeFile(good, "[Paths]\nclient_update_dir = data\n\n[Users]\nalice = secret\n");
  const auto ok = runApi({"--config", good, "--check-config"});
  CHECK(ok.status == 0);
  CHECK(contains(ok.out, good + ": OK"));
  // The other spellings of --config and --listen.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-c", good, "--check-config"},
           {"--config=" + good, "--check-config"},
           {"--check-config", "--config", good, "--listen=127.0.0.1:8081"}}) {
    INFO(args.front());
    const auto r = runApi(args);
    CHECK(r.status == 0);
    CHECK(contains(r.out, good + ": OK"));
  }
  CHECK(contains(runApi({"--config=" + good, "--listen=8081"}).err,
                 "--listen: expected HOST:PORT, got \"8081\""));
  // The plaintext password is a warning, with its line, not an error.
  CHECK(contains(ok.err, good + ":5: user alice has a plaintext password"));

  const std::string bad = dir.file("bad.ini");
  writeFile(bad,
            "[Server]\n"                          // 1
            "threads = 0\n"                       // 2
            "public_ip_endpoints = perhaps\n"     // 3
            "colour = blue\n"                     // 4
            "\n"                                  // 5
            "[Sever]\n"                           // 6
            "listen = 127.0.0.1:1\n"              // 7
            "\n"                                  // 8
            "[Paths]\n"                           // 9
            "client_update_dir = no-such-dir\n"   // 10
            "\n"                                  // 11
            "[Limits]\n"                          // 12
            "header_timeout = soon\n"             // 13
            "\n"                                  // 14
            "[Users]\n"                           // 15
            "../x = secret\n"                     // 16
            "bob = $pbkdf2-sha256$1$abc$def\n");  // 17
  const auto r = runApi({"--config", bad, "--check-config"});
  CHECK(r.status == 2);
  CHECK_FALSE(contains(r.out, "OK"));
  for (const int line : {2, 3, 4, 6, 10, 13, 16, 17}) {
    INFO("line " << line << " in:\n" << r.err);
    CHECK(contains(r.err, bad + ":" + std::to_string(line) + ": "));
  }
  CHECK(contains(r.err, "\"../x\""));
  CHECK(contains(r.err, "[Sever]"));
  CHECK(contains(r.err, "colour"));
  CHECK(contains(r.err, "no-such-dir"));
  CHECK(std::regex_search(r.err, std::regex("chipmunk-api: [0-9]+ configuration errors\n")));
  // The (bad) hash is not echoed back.
  CHECK_FALSE(contains(r.err, "$abc$def"));

  // Starting with the same file fails the same way, before listening.
  const auto start = runApi({"--config", bad, "--listen", "127.0.0.1:0"});
  CHECK(start.status == 2);
  CHECK(contains(start.err, bad + ":16: "));
  CHECK_FALSE(contains(start.err + start.out, "listening"));

  // A user name that is a path is refused on its own too.
  writeFile(bad, "[Paths]\nclient_update_dir = data\n[Users]\n../x = secret\n");
  const auto traversal = runApi({"--config", bad, "--check-config"});
  CHECK(traversal.status == 2);
  CHECK(contains(traversal.err, bad + ":4: [Users] invalid user name \"../x\""));
  CHECK_FALSE(fileExists(dir.file("x.cm")));
}

TEST_CASE("Integration: the original chipmunkapi.ini loads and serves", "[api][integration]") {
  ApiInstance probe("");
  std::string original = readFile(std::string(CHIPMUNK_SOURCE_DIR) + "/config/chipmunkapi.ini");
  const std::string dir = "/var/lib/chipmunk";
  const auto at = original.find("client_update_dir = " + dir);
  REQUIRE(at != std::string::npos);
  // Only the data directory is pointed at the test's own.
  original.replace(at + 20, dir.size(), probe.dataDir());
  probe.rewriteConfig(original, true);

  const auto check = runApi({"--config", probe.configPath(), "--check-config"});
  CHECK(check.status == 0);
  REQUIRE(probe.start());
  // Without [Log] the log goes to standard error; the plaintext warning names alice.
  CHECK(contains(readFile(probe.stderrPath()), "user alice has a plaintext password"));
  CHECK(httpRequest(probe.port(), "GET", "/get/ip", basicAuth("alice", "change-me")).body ==
        "Your IP:  127.0.0.1");
  CHECK(httpRequest(probe.port(), "GET", "/set", basicAuth("alice", "change-me")).body ==
        "{\"Client_IP\": \"127.0.0.1\", \"status\": \"saved\"}");
  CHECK(readFile(probe.dataDir() + "/alice.cm") == "127.0.0.1\n");
}

TEST_CASE("Integration: --listen overrides the config and port 0 logs the bound address",
          "[api][integration]") {
  ApiInstance api("[Server]\nlisten = 127.0.0.1:1\n\n[Users]\nalice = secret\n");
  REQUIRE(api.start("127.0.0.1:0"));
  CHECK(api.port() > 1);
  const auto lines = linesWith(api.log(), "listening address=");
  REQUIRE(lines.size() == 1);
  CHECK(contains(lines[0], "listening address=127.0.0.1:" + std::to_string(api.port()) + " "));
  CHECK(httpRequest(api.port(), "GET", "/healthz").status == 200);

  // A port that is taken is a runtime failure: exit status 1 with a message.
  ApiInstance clash("[Users]\nalice = secret\n");
  CHECK_FALSE(clash.start("127.0.0.1:" + std::to_string(api.port())));
  CHECK(clash.process().wait(std::chrono::seconds(5)) == 1);
  CHECK(contains(clash.log(), "start-up failed"));
  // The first server is unaffected.
  CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "secret")).status == 200);
}

// hash-password on a terminal: a pseudo-terminal stands in for the user's.
struct PtyRun {
  int status = -1;
  std::string out;     // standard output (the hash)
  std::string screen;  // what the terminal showed (prompts, messages)
};

// Runs `chipmunk-api hash-password` with a pty as stdin and stderr, answering each prompt
// that ends in ": " with the next of `answers`.
PtyRun runOnPty(const std::vector<std::string>& answers) {
  PtyRun run;
  int master = -1;
  int slave = -1;
  REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  int outPipe[2];
  REQUIRE(::pipe(outPipe) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setsid();
    ::ioctl(slave, TIOCSCTTY, 0);
    ::dup2(slave, STDIN_FILENO);
    ::dup2(outPipe[1], STDOUT_FILENO);
    ::dup2(slave, STDERR_FILENO);
    ::close(master);
    ::close(outPipe[0]);
    ::execl(CHIPMUNK_API_BIN, CHIPMUNK_API_BIN, "hash-password", "--iterations", "10000",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(slave);
  ::close(outPipe[1]);
  size_t answered = 0;
  size_t promptsSeen = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool masterOpen = true;
  bool outOpen = true;
  while ((masterOpen || outOpen) && std::chrono::steady_clock::now() < deadline) {
    pollfd fds[2] = {{masterOpen ? master : -1, POLLIN, 0}, {outOpen ? outPipe[0] : -1, POLLIN, 0}};
    if (::poll(fds, 2, 200) <= 0) {
      continue;
    }
    char buf[512];
    if (fds[0].revents != 0) {
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) {
        masterOpen = false;  // EIO once the child has closed the terminal
      } else {
        run.screen.append(buf, static_cast<size_t>(n));
      }
    }
    if (fds[1].revents != 0) {
      const ssize_t n = ::read(outPipe[0], buf, sizeof buf);
      if (n <= 0) {
        outOpen = false;
      } else {
        run.out.append(buf, static_cast<size_t>(n));
      }
    }
    size_t prompts = 0;
    for (size_t at = run.screen.find("assword: "); at != std::string::npos;
         at = run.screen.find("assword: ", at + 1)) {
      ++prompts;
    }
    while (promptsSeen < prompts) {
      ++promptsSeen;
      if (answered < answers.size()) {
        const std::string line = answers[answered++] + "\n";
        REQUIRE(::write(master, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
      }
    }
  }
  ::close(master);
  ::close(outPipe[0]);
  int status = 0;
  ::kill(pid, SIGKILL);  // only if it is still there after the deadline
  ::waitpid(pid, &status, 0);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST_CASE("Integration: hash-password on a terminal asks twice and refuses a mismatch",
          "[api][integration]") {
  const auto same = runOnPty({"pty-secret", "pty-secret"});
  INFO(same.screen);
  CHECK(same.status == 0);
  CHECK(contains(same.screen, "Password: "));
  CHECK(contains(same.screen, "Retype password: "));
  CHECK_FALSE(contains(same.screen, "pty-secret"));  // echo was off
  CHECK(contains(same.out, "$pbkdf2-sha256$10000$"));

  const auto differ = runOnPty({"pty-secret", "pty-secreT"});
  INFO(differ.screen);
  CHECK(differ.status == 2);
  CHECK(contains(differ.screen, "the passwords do not match"));
  CHECK(differ.out.empty());
}

TEST_CASE("Integration: hash-password from a pipe reads one line and asks nothing",
          "[api][integration]") {
  const auto piped = runApi({"hash-password", "--iterations", "10000"}, "piped-secret\n");
  CHECK(piped.status == 0);
  CHECK(contains(piped.out, "$pbkdf2-sha256$10000$"));
  CHECK_FALSE(contains(piped.err, "Retype"));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
