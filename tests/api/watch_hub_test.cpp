// SPDX-License-Identifier: MIT
// WatchHub (api/watch_hub.cpp) on its own: versions per set of names, the held requests'
// ends (changed, timed out, gone, stopping) and the caps.
#include <catch2/catch.hpp>

#include <future>

#include "api/watch_hub.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::api::WatchHub;

// A held request whose ends are recorded; `since` is compared with the version of `names`.
struct Probe {
  std::promise<WatchHub::End> ended;
  std::future<WatchHub::End> future = ended.get_future();
};

WatchHub::Waiter waiter(WatchHub& hub, Probe& probe, const std::string& user,
                        const std::vector<std::string>& names, const void* connection,
                        std::chrono::milliseconds wait) {
  WatchHub::Waiter w;
  w.user = user;
  w.connection = connection;
  w.deadline = std::chrono::steady_clock::now() + wait;
  const std::string since = hub.versionOf(names);
  w.changed = [&hub, names, since] { return hub.versionOf(names) != since; };
  w.end = [&probe](WatchHub::End how) { probe.ended.set_value(how); };
  return w;
}

bool endsWithin(Probe& p, std::chrono::seconds limit) {
  return p.future.wait_for(limit) == std::future_status::ready;
}

TEST_CASE("WatchHub: a version moves only with the names it covers", "[api][watch][unit]") {
  WatchHub hub;
  const auto alice = hub.versionOf({"alice"});
  const auto both = hub.versionOf({"alice", "bob"});
  const auto all = hub.versionOfAll();
  hub.touched("bob");
  CHECK(hub.versionOf({"alice"}) == alice);
  CHECK(hub.versionOf({"alice", "bob"}) != both);
  CHECK(hub.versionOfAll() != all);
  CHECK(hub.versionOf({"alice"}).rfind(hub.boot() + "-", 0) == 0);
  hub.touchedAll();  // a reload: everyone's version moves
  CHECK(hub.versionOf({"alice"}) != alice);
  WatchHub other;  // another process: never the same version
  CHECK(other.versionOf({"alice"}) != hub.versionOf({"alice"}));
}

TEST_CASE("WatchHub: held requests end on a change, at the deadline, when gone or stopping",
          "[api][watch][unit]") {
  WatchHub hub;
  hub.setLimits(10, 2);
  int connA = 0;
  int connB = 0;
  Probe changed, quiet, gone, capped, stopped;
  REQUIRE(hub.hold(waiter(hub, changed, "alice", {"bob"}, &connA, std::chrono::seconds(20))) ==
          WatchHub::Hold::kHeld);
  REQUIRE(hub.hold(waiter(hub, quiet, "carol", {"carol"}, &connB,
                          std::chrono::milliseconds(300))) == WatchHub::Hold::kHeld);
  hub.touched("bob");
  REQUIRE(endsWithin(changed, std::chrono::seconds(5)));
  CHECK(changed.future.get() == WatchHub::End::kChanged);
  REQUIRE(endsWithin(quiet, std::chrono::seconds(5)));
  CHECK(quiet.future.get() == WatchHub::End::kTimedOut);  // bob's change is not carol's

  REQUIRE(hub.hold(waiter(hub, gone, "alice", {"x"}, &connA, std::chrono::seconds(20))) ==
          WatchHub::Hold::kHeld);
  Probe second;
  REQUIRE(hub.hold(waiter(hub, second, "alice", {"x"}, &connB, std::chrono::seconds(20))) ==
          WatchHub::Hold::kHeld);
  CHECK(hub.hold(waiter(hub, capped, "alice", {"x"}, &connB, std::chrono::seconds(20))) ==
        WatchHub::Hold::kUserFull);
  hub.dropConnection(&connA);
  REQUIRE(endsWithin(gone, std::chrono::seconds(5)));
  CHECK(gone.future.get() == WatchHub::End::kGone);
  CHECK(hub.held() == 1);
  hub.stop();
  REQUIRE(endsWithin(second, std::chrono::seconds(5)));
  CHECK(second.future.get() == WatchHub::End::kStopping);
  CHECK(hub.hold(waiter(hub, stopped, "alice", {"x"}, &connB, std::chrono::seconds(1))) ==
        WatchHub::Hold::kStopping);
}

TEST_CASE("WatchHub: the total cap refuses beyond max_watchers", "[api][watch][unit]") {
  WatchHub hub;
  hub.setLimits(1, 4);
  int conn = 0;
  Probe one, two;
  REQUIRE(hub.hold(waiter(hub, one, "alice", {"a"}, &conn, std::chrono::seconds(20))) ==
          WatchHub::Hold::kHeld);
  CHECK(hub.hold(waiter(hub, two, "bob", {"b"}, &conn, std::chrono::seconds(20))) ==
        WatchHub::Hold::kFull);
  hub.stop();
  CHECK(one.future.get() == WatchHub::End::kStopping);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
