// SPDX-License-Identifier: MIT
// chipmunk-api under systemd's eyes: the notification socket (READY only once the port
// answers, STATUS, RELOADING, WATCHDOG, STOPPING) and journald priority prefixes, with the
// real program.
#include <signal.h>

#include <catch2/catch.hpp>
#include <regex>

#include "tests/support/api_instance.hpp"
#include "tests/support/notify_socket.hpp"
#include "tests/support/raw_http.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace std::chrono_literals;

TEST_CASE("chipmunk-api systemd: READY once the port answers, then STATUS, reload, watchdog, stop",
          "[api][integration]") {
  ApiInstance api("[Users]\nalice = secret-pw\n");
  NotifySocket socket;
  ScopedEnv notify("NOTIFY_SOCKET", socket.address());
  ScopedEnv usec("WATCHDOG_USEC", "400000");
  ScopedEnv pid("WATCHDOG_PID", "");
  ChildProcess process({CHIPMUNK_API_BIN, "--config", api.configPath(), "--listen", "127.0.0.1:0"},
                       api.dir().file("stdout.txt"), api.stderrPath());
  const auto ready = socket.waitFor("READY=1", 10s);
  REQUIRE(ready);
  const std::string message = socket.messages()[*ready];
  std::smatch m;
  REQUIRE(std::regex_search(message, m,
                            std::regex("STATUS=serving on 127\\.0\\.0\\.1:(\\d+), 1 users")));
  {
    // Told ready: the port answers at once, no retry.
    HttpConnection connection("127.0.0.1", std::stoi(m[1]), 5s);
    connection.sendRaw("GET /get/ip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(connection.readResponse().status == 401);  // it answers: /get/ip wants a user
  }
  CHECK(waitUntil([&] { return socket.count("WATCHDOG=1") >= 4; }, 5s));

  process.signal(SIGHUP);
  CHECK(socket.waitFor("RELOADING=1", 10s));
  CHECK(waitUntil([&] { return socket.count("READY=1") == 2; }, 10s));
  process.signal(SIGTERM);
  CHECK(socket.waitFor("STOPPING=1", 10s));
  CHECK(process.wait(10s) == 0);
  for (const auto& text : socket.messages()) {
    CHECK(text.find("secret-pw") == std::string::npos);
  }
}

TEST_CASE("chipmunk-api journald: <N> priority prefixes and no time when stderr is the stream",
          "[api][integration]") {
  // No [Log] file: the log goes to standard error. A plaintext password: a warning.
  ApiInstance api("[Paths]\nclient_update_dir = data\n[Log]\nlevel = info\n[Users]\nbob = pw\n",
                  true);
  writeFile(api.stderrPath(), "");
  ScopedEnv journal("JOURNAL_STREAM", deviceInode(api.stderrPath()));
  REQUIRE(api.start());
  api.stop();
  const std::string log = readFile(api.stderrPath());
  INFO(log);
  CHECK(log.find("<4>warning api: " + api.configPath() + ":6: user bob has a plaintext") !=
        std::string::npos);
  CHECK(log.find("\n<6>info api: listening address=127.0.0.1:") != std::string::npos);
  CHECK(log.find("\n20") == std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
