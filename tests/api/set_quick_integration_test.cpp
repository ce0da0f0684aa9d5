// SPDX-License-Identifier: MIT
// The real chipmunk-api binary: an unchanged /set answered on the I/O thread
// (Route::quick) does what an unchanged /set always did — the same answer and log line, the
// last-seen time flushed at stop, no hook — and a changed one is still written by a writer
// thread and read back after a restart.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "tests/api/address_book_helpers.hpp"
#include "tests/support/process.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::addressbook;
using namespace std::chrono_literals;

// chipmunk_api_quick_updates_total as /metrics tells it (-1: not there).
long quickMetric(const ApiInstance& api) {
  const std::string body = httpRequest(api.port(), "GET", "/metrics").body;
  const std::string name = "\nchipmunk_api_quick_updates_total ";
  const auto at = body.find(name);
  return at == std::string::npos ? -1 : std::stol(body.substr(at + name.size()));
}

// GET /set as alice from `source` (a loopback address: another client).
HttpResponse setFrom(const ApiInstance& api, const std::string& source) {
  HttpConnection conn("127.0.0.1", api.port(), 10s, source);
  conn.sendRaw("GET /set HTTP/1.1\r\nHost: 127.0.0.1\r\n" + basicAuth("alice", "secret") +
               "Connection: close\r\n\r\n");
  return conn.readResponse();
}

std::string answer(const std::string& ip, const char* status) {
  return "{\"Client_IP\": \"" + ip + "\", \"status\": \"" + status + "\"}";
}

TEST_CASE("Integration: unchanged /set on the I/O thread, changed /set stored across a restart",
          "[api][addressbook]") {
  ApiInstance api(kUsers);
  api.rewriteConfig(std::string(kUsers) + "[Hooks]\non_change = " + writeRecordingHook(api) + "\n");
  REQUIRE(api.start());
  const std::string hooks = api.dir().file("hooks.txt");
  CHECK(setFrom(api, "127.0.0.1").body == answer("127.0.0.1", "saved"));
  REQUIRE(waitUntil([&] { return lines(hooks).size() == 1; }, 10s));
  CHECK(setFrom(api, "127.0.0.1").body == answer("127.0.0.1", "unchanged"));
  CHECK(quickMetric(api) == 1);
  CHECK(setFrom(api, "127.0.0.2").body == answer("127.0.0.2", "saved"));
  CHECK(quickMetric(api) == 1);  // a change is not quick
  REQUIRE(waitUntil([&] { return lines(hooks).size() == 2; }, 10s));
  // A later second than the write's: the last-seen time goes to .last_seen at stop.
  std::this_thread::sleep_for(1100ms);
  CHECK(setFrom(api, "127.0.0.2").body == answer("127.0.0.2", "unchanged"));
  CHECK(quickMetric(api) == 2);
  // The hooks saw the two changes only (they run in order; one more change flushes them).
  CHECK(get(api, "/set?hostname=nas.example.org", "alice", "secret").status == 200);
  REQUIRE(waitUntil([&] { return lines(hooks).size() >= 3; }, 10s));
  CHECK(lines(hooks) ==
        std::vector<std::string>{"change|alice|alice||127.0.0.1||127.0.0.1||",
                                 "change|alice|alice|127.0.0.1|127.0.0.2|127.0.0.1|127.0.0.2||",
                                 "change|alice|nas.example.org||127.0.0.1||127.0.0.1||"});
  // The same access log line for the unchanged /set as for the one a writer saved.
  const auto logged = [&] {
    const std::string text = api.log();
    const std::string line =
        "request method=GET path=\"/set\" status=200 client=127.0.0.2 user=alice ";
    size_t n = 0;
    for (auto at = text.find(line); at != std::string::npos; at = text.find(line, at + 1)) {
      ++n;
    }
    return n;
  };
  CHECK(waitUntil([&] { return logged() == 2; }, 10s));
  api.stop();
  CHECK(readFile(api.dataDir() + "/alice.cm") == "127.0.0.2\n");
  CHECK(readFile(api.dataDir() + "/.last_seen").find("\nalice ") != std::string::npos);

  REQUIRE(api.start());
  CHECK(get(api, "/hosts/alice", "alice", "secret").body.find("\"ip\":\"127.0.0.2\"") !=
        std::string::npos);
  CHECK(setFrom(api, "127.0.0.2").body == answer("127.0.0.2", "unchanged"));
  CHECK(quickMetric(api) == 1);
  api.stop();
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
