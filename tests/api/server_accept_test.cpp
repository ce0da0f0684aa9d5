// SPDX-License-Identifier: MIT
// Connections accepted on chipmunk-api's I/O threads (api/server_accept.cpp): the client's
// address as accept(2) gave it, on IPv4, IPv6 and a dual-stack listener, and a server out
// of descriptors that waits for them instead of spinning on its listening socket.
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/api_instance.hpp"
#include "tests/support/raw_http.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;

const char* const kUsers = "[Users]\nalice = secret\n";

// The CPU time (user + system) `pid` has used, in clock ticks (/proc/PID/stat).
long cpuTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) {  // state .. cmajflt: fields 3 to 13
    fields >> skip;
  }
  long utime = 0;
  long stime = 0;
  fields >> utime >> stime;
  return utime + stime;
}

size_t openDescriptors(pid_t pid) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++n;
  }
  return n;
}

// A keep-alive /get/ip on `c`; false when no answer came within the connection's timeout.
bool askIp(HttpConnection& c) {
  c.sendRaw("GET /get/ip HTTP/1.1\r\nHost: x\r\n" + basicAuth("alice", "secret") + "\r\n");
  try {
    return c.readResponse().status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

TEST_CASE("Accepting: each client gets its own address on IPv4, IPv6 and dual-stack listeners",
          "[api][integration]") {
  SECTION("IPv4") {
    ApiInstance api(kUsers);
    REQUIRE(api.start("127.0.0.1:0"));
    CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "secret")).body ==
          "Your IP:  127.0.0.1");
  }
  SECTION("IPv6") {
    ApiInstance api(kUsers);
    REQUIRE(api.start("[::1]:0"));
    CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "secret"), {}, "::1").body ==
          "Your IP:  ::1");
  }
  SECTION("dual-stack: an IPv4 client is IPv4, not ::ffff:127.0.0.1") {
    ApiInstance api(kUsers);
    REQUIRE(api.start("[::]:0"));
    CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "secret"), {}, "::1").body ==
          "Your IP:  ::1");
    CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "secret")).body ==
          "Your IP:  127.0.0.1");
  }
}

TEST_CASE("Accepting: out of descriptors, the server pauses accepting, does not spin, then resumes",
          "[api][integration][serial]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  const pid_t pid = api.pid();
  // First requests first: whatever the server opens once, on its first connections (the
  // time zone file, a thread's first allocation under ASan...), is open before the count.
  for (int i = 0; i < 4; ++i) {
    HttpConnection warm("127.0.0.1", api.port(), std::chrono::seconds(10));
    REQUIRE(askIp(warm));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // their closes, done
  // Room for two more connections and one descriptor more (a log line's reopen, say): the
  // rest wait in the listening socket's backlog.
  rlimit old{};
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, nullptr, &old) == 0);
  const size_t open = openDescriptors(pid);
  const rlimit limit{open + 3, old.rlim_max};  // the soft limit only
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &limit, nullptr) == 0);

  // A served connection answers within 5 s (an ASan build on a busy machine included); the
  // first that does not is the one left in the backlog, as the log line then says.
  std::vector<std::unique_ptr<HttpConnection>> served;
  std::unique_ptr<HttpConnection> waiting;
  for (int i = 0; i < 8 && !waiting; ++i) {
    auto c = std::make_unique<HttpConnection>("127.0.0.1", api.port(), std::chrono::seconds(5));
    if (askIp(*c)) {
      served.push_back(std::move(c));
    } else {
      waiting = std::move(c);
    }
  }
  INFO("descriptors open before the limit: " << open << ", served: " << served.size());
  REQUIRE(waiting);  // the limit was reached
  CHECK(!served.empty());
  CHECK(api.waitForLog("accept paused"));

  // Spinning on the readable listening socket would burn a core (100 ticks a second).
  const long before = cpuTicks(pid);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CHECK(cpuTicks(pid) - before < 40);

  // Descriptors free again: the waiting connection is accepted and answered.
  served.clear();
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &old, nullptr) == 0);
  HttpConnection again("127.0.0.1", api.port(), std::chrono::seconds(5));
  CHECK(askIp(again));
  // The waiting one's request is in its socket already: it is read once accepted.
  CHECK(waiting->readResponse().status == 200);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
