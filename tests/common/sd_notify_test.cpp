// SPDX-License-Identifier: MIT
#include "common/sd_notify.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/notify_socket.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::test;
using namespace std::chrono_literals;

TEST_CASE("sd_notify: a datagram to the socket $NOTIFY_SOCKET names, path or abstract",
          "[common][unit]") {
  NotifySocket path;
  {
    ScopedEnv env("NOTIFY_SOCKET", path.address());
    CHECK(sd::notify("READY=1\nSTATUS=up"));
  }
  REQUIRE(path.messages().size() == 1);
  CHECK(path.messages()[0] == "READY=1\nSTATUS=up");

  NotifySocket abstract("chipmunk-test-" + std::to_string(::getpid()));
  ScopedEnv env("NOTIFY_SOCKET", abstract.address());
  CHECK(sd::status("two\nlines"));
  REQUIRE(abstract.messages().size() == 1);
  CHECK(abstract.messages()[0] == "STATUS=two lines");
  CHECK(sd::reloading());
  CHECK(abstract.messages().back().rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
}

TEST_CASE("sd_notify: without $NOTIFY_SOCKET, or with an address it cannot use, nothing is sent",
          "[common][unit]") {
  {
    ScopedEnv env("NOTIFY_SOCKET", "");
    CHECK_FALSE(sd::notify("READY=1"));
  }
  ScopedEnv env("NOTIFY_SOCKET", "vsock:2:1234");
  CHECK_FALSE(sd::notify("READY=1"));
}

TEST_CASE("sd_notify: the watchdog pings at half of $WATCHDOG_USEC, for this process only",
          "[common][unit]") {
  NotifySocket socket;
  ScopedEnv notifyEnv("NOTIFY_SOCKET", socket.address());
  {
    ScopedEnv usec("WATCHDOG_USEC", "");
    CHECK(sd::watchdogInterval() == 0us);
    sd::Watchdog off;
    CHECK_FALSE(off.enabled());
    CHECK(off.ping() >= 1h);
  }
  ScopedEnv usec("WATCHDOG_USEC", "4000000");
  {
    ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
    CHECK(sd::watchdogInterval() == 0us);  // meant for another process
  }
  ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
  CHECK(sd::watchdogInterval() == 2s);
  sd::Watchdog watchdog;
  REQUIRE(watchdog.enabled());
  const auto wait = watchdog.ping();
  CHECK(wait <= 2000ms);
  CHECK(wait > 1500ms);
  watchdog.ping();  // not due again yet
  CHECK(socket.count("WATCHDOG=1") == 1);
  ScopedEnv bad("WATCHDOG_USEC", "12x");
  CHECK(sd::watchdogInterval() == 0us);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
