// SPDX-License-Identifier: MIT
// The on_change and on_expire hooks (api/hooks.cpp) and record expiry against the real
// chipmunk-api binary: what they are told, timeouts, failures and a flapping record.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>

#include "tests/api/address_book_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::addressbook;

TEST_CASE("Address book: on_change runs with the old and new addresses", "[api][addressbook]") {
  ApiInstance api(kUsers);
  api.rewriteConfig(std::string(kUsers) + "[Hooks]\non_change = " + writeRecordingHook(api) + "\n");
  REQUIRE(api.start());
  const std::string hooks = api.dir().file("hooks.txt");
  auto nic = [&](const std::string& query) {
    return httpRequest(api.port(), "GET", "/nic/update?" + query,
                       basicAuth("alice", "secret") + kAgent)
        .body;
  };
  REQUIRE(nic("hostname=nas.example.org&myip=192.0.2.1") == "good 192.0.2.1\n");
  REQUIRE(waitUntil([&] { return lines(hooks).size() == 1; }, std::chrono::seconds(10)));
  REQUIRE(nic("hostname=nas.example.org&myip=192.0.2.2,2001:db8::2") ==
          "good 192.0.2.2,2001:db8::2\n");
  REQUIRE(nic("hostname=nas.example.org&myip=192.0.2.2,2001:db8::2") ==
          "nochg 192.0.2.2,2001:db8::2\n");
  REQUIRE(get(api, "/set?note=metadata-only", "bob", "hunter2").status == 200);
  REQUIRE(waitUntil([&] { return lines(hooks).size() >= 3; }, std::chrono::seconds(10)));
  // The hooks run in order; nochg and a metadata-only change would come after bob's.
  REQUIRE(get(api, "/set?note=again", "bob", "hunter2").status == 200);
  REQUIRE(nic("hostname=nas.example.org&myip=192.0.2.3") == "good 192.0.2.3\n");
  REQUIRE(waitUntil([&] { return lines(hooks).size() >= 4; }, std::chrono::seconds(10)));
  CHECK(lines(hooks) ==
        std::vector<std::string>{
            "change|alice|nas.example.org||192.0.2.1||192.0.2.1||",
            "change|alice|nas.example.org|192.0.2.1|192.0.2.2|192.0.2.1|192.0.2.2||2001:db8::2",
            "change|bob|bob||127.0.0.1||127.0.0.1||",
            "change|alice|nas.example.org|192.0.2.2|192.0.2.3|192.0.2.2|192.0.2.3|2001:db8::2|"
            "2001:db8::2"});
}

TEST_CASE("Address book: a record expires once and on_expire runs exactly once",
          "[api][addressbook]") {
  ApiInstance api(kUsers);
  const std::string hook = writeRecordingHook(api);
  api.rewriteConfig(std::string(kUsers) + "[TTL]\nalice = 2s\n[Hooks]\non_change = " + hook +
                    "\non_expire = " + hook + "\n");
  REQUIRE(api.start());
  const std::string hooks = api.dir().file("hooks.txt");
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  REQUIRE(get(api, "/set", "bob", "hunter2").status == 200);  // no TTL: never expires
  REQUIRE(fileExists(api.dataDir() + "/alice.cm"));
  REQUIRE(waitUntil([&] { return lines(hooks).size() >= 3; }, std::chrono::seconds(15)));
  // Give a second expiry every chance to happen (the check runs every second).
  CHECK_FALSE(waitUntil([&] { return lines(hooks).size() > 3; }, std::chrono::seconds(4)));
  const auto seen = lines(hooks);
  REQUIRE(seen.size() == 3);
  CHECK(seen[2] == "expire|alice|alice|127.0.0.1||127.0.0.1|||");
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
  CHECK(api.log().find("record expired name=alice owner=alice") != std::string::npos);
  const auto record = get(api, "/hosts/alice", "alice", "secret").body;
  CHECK(record.find("\"ip\":null") != std::string::npos);
  CHECK(record.find("\"expired\":true") != std::string::npos);
  CHECK(get(api, "/hosts/bob", "bob", "hunter2").body.find("\"expired\":false") !=
        std::string::npos);

  // Coming back is a change from nothing, and the record can expire again later.
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  REQUIRE(waitUntil([&] { return lines(hooks).size() >= 4; }, std::chrono::seconds(10)));
  CHECK(lines(hooks)[3] == "change|alice|alice||127.0.0.1||127.0.0.1||");
  CHECK(fileExists(api.dataDir() + "/alice.cm"));
}

TEST_CASE("Address book: a record stored before a restart still expires", "[api][addressbook]") {
  ApiInstance api(kUsers);
  const std::string hook = writeRecordingHook(api);
  api.rewriteConfig(std::string(kUsers) + "[TTL]\nalice = 4s\n[Hooks]\non_expire = " + hook + "\n");
  REQUIRE(api.start());
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  api.stop();
  const std::string hooks = api.dir().file("hooks.txt");
  REQUIRE(lines(hooks).empty());  // stopped before the TTL ran out
  REQUIRE(api.start());
  REQUIRE(waitUntil([&] { return !lines(hooks).empty(); }, std::chrono::seconds(15)));
  CHECK(lines(hooks) == std::vector<std::string>{"expire|alice|alice|127.0.0.1||127.0.0.1|||"});
  // Once expired, a further restart does not expire it again.
  api.stop();
  REQUIRE(api.start());
  CHECK_FALSE(waitUntil([&] { return lines(hooks).size() > 1; }, std::chrono::seconds(3)));
}

TEST_CASE("Address book: a hanging hook is killed at the timeout and requests go on",
          "[api][addressbook]") {
  ApiInstance api(kUsers);
  const std::string script = api.dir().file("hang.sh");
  const std::string out = api.dir().file("hooks.txt");
  const std::string pidFile = api.dir().file("hook.pid");
  writeFile(script, "echo \"$CHIPMUNK_NEW_IP\" >> " + out +
                        "\nif [ \"$CHIPMUNK_NEW_IP\" = 192.0.2.1 ]; then echo $$ > " + pidFile +
                        "; exec sleep 300; fi\n");
  api.rewriteConfig(std::string(kUsers) + "[Hooks]\non_change = sh " + script + "\ntimeout = 1s\n");
  REQUIRE(api.start());
  auto nic = [&](const std::string& ip) {
    return httpRequest(api.port(), "GET", "/nic/update?hostname=nas.example.org&myip=" + ip,
                       basicAuth("alice", "secret") + kAgent);
  };
  REQUIRE(nic("192.0.2.1").body == "good 192.0.2.1\n");
  REQUIRE(waitUntil([&] { return fileExists(pidFile) && !readFile(pidFile).empty(); },
                    std::chrono::seconds(10)));
  const pid_t hookPid = std::stoi(readFile(pidFile));
  // While the hook hangs, requests are answered and further hooks queue.
  const auto during = nic("192.0.2.2");
  CHECK(during.status == 200);
  CHECK(during.body == "good 192.0.2.2\n");
  REQUIRE(api.waitForLog("hook timed out event=change host=nas.example.org timeout_s=1"));
  CHECK(waitUntil([&] { return ::kill(hookPid, 0) != 0; }, std::chrono::seconds(5)));
  REQUIRE(waitUntil([&] { return lines(out).size() == 2; }, std::chrono::seconds(10)));
  CHECK(lines(out) == std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
}

TEST_CASE("Address book: a failing hook is logged and does not block requests",
          "[api][addressbook]") {
  ApiInstance api(std::string(kUsers) + "[Hooks]\non_change = exit 3\n");
  REQUIRE(api.start());
  CHECK(get(api, "/set", "alice", "secret").status == 200);
  REQUIRE(api.waitForLog("hook failed event=change host=alice exit=3"));
  CHECK(get(api, "/set", "bob", "hunter2").status == 200);
  REQUIRE(api.waitForLog("hook failed event=change host=bob exit=3"));
  CHECK(api.process().running());
}

TEST_CASE("Address book: a flapping record starves no other hook and its last state is run",
          "[api][addressbook]") {
  // One user flapping myip= used to fill the hook queue (1,000 events): other users'
  // on_change events were dropped, and so was the flapping record's final state, leaving a
  // firewall allow-list stale. Pending events now coalesce per record.
  ApiInstance api(kUsers);
  const std::string gate = api.dir().file("go");
  const std::string out = api.dir().file("hooks.txt");
  const std::string script = api.dir().file("gated.sh");
  // The first run waits for the gate, so everything after it queues.
  writeFile(script, "i=0\nwhile [ ! -e " + gate +
                        " ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\n"
                        "printf '%s|%s|%s|%s\\n' \"$CHIPMUNK_EVENT\" \"$CHIPMUNK_HOST\" "
                        "\"$CHIPMUNK_OLD_IP\" \"$CHIPMUNK_NEW_IP\" >> " +
                        out + "\n");
  api.rewriteConfig(std::string(kUsers) + "[Hooks]\non_change = sh " + script +
                    "\ntimeout = 60s\n");
  REQUIRE(api.start());
  {
    HttpConnection conn("127.0.0.1", api.port(), std::chrono::seconds(10));
    const int kFlaps = 1500;
    for (int i = 0; i <= kFlaps; ++i) {
      const std::string ip = i == kFlaps ? "192.0.2.3" : (i % 2 == 0 ? "192.0.2.1" : "192.0.2.2");
      conn.sendRaw("GET /nic/update?hostname=alice&myip=" + ip + " HTTP/1.1\r\nHost: test\r\n" +
                   basicAuth("alice", "secret") + kAgent + "\r\n");
      const auto r = conn.readResponse();
      REQUIRE(r.body == "good " + ip + "\n");
      if (i == 1000) {
        REQUIRE(get(api, "/set", "bob", "hunter2").status == 200);  // in the middle
      }
    }
  }
  writeFile(gate, "");
  auto done = [&] {
    const auto seen = lines(out);
    return std::find(seen.begin(), seen.end(), "change|bob||127.0.0.1") != seen.end() &&
           std::any_of(seen.begin(), seen.end(), [](const std::string& line) {
             return line.rfind("change|alice|", 0) == 0 &&
                    line.substr(line.rfind('|') + 1) == "192.0.2.3";
           });
  };
  CHECK(waitUntil(done, std::chrono::seconds(30)));
  const auto seen = lines(out);
  // The first run (blocked on the gate), bob's change, and alice's net change since the
  // first: from the address the first run reported to the final one.
  CHECK(seen.size() == 3);
  CHECK(std::count(seen.begin(), seen.end(), "change|alice||192.0.2.1") == 1);
  CHECK(std::count(seen.begin(), seen.end(), "change|bob||127.0.0.1") == 1);
  CHECK(std::count(seen.begin(), seen.end(), "change|alice|192.0.2.1|192.0.2.3") == 1);
  std::string lastAlice;
  for (const auto& line : seen) {
    if (line.rfind("change|alice|", 0) == 0) {
      lastAlice = line;
    }
  }
  CHECK(lastAlice == "change|alice|192.0.2.1|192.0.2.3");
  CHECK(api.log().find("hook dropped") == std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
