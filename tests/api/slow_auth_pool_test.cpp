// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/slow_auth_pool.hpp"
#include "tests/support/gate.hpp"
#include "tests/support/process.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::api::SlowAuthPool;
using namespace std::chrono_literals;

// A one-worker pool whose worker is held (by `source`'s check) until gate.open().
struct HeldPool {
  chipmunk::test::Gate gate;  // holds the pool's single worker: the test decides what is queued
  SlowAuthPool pool;
  HeldPool(const SlowAuthPool::Options& options, const std::string& source) : pool(options) {
    REQUIRE(pool.post(source, [this](bool) { gate.pass(10s); }));
    gate.waitEntered(1);
  }
};

// Records the order in which queued checks run; task(name) is what a test posts.
class OrderRecorder {
 public:
  std::function<void(bool)> task(const std::string& name) {
    return [this, name](bool run) {
      CHECK(run);
      std::lock_guard<std::mutex> lock(mutex_);
      order_.push_back(name);
      ++done_;
    };
  }
  // Waits (up to 5 s) until `count` tasks ran; returns how many did.
  int waitDone(int count) {
    for (int i = 0; i < 1000 && done_.load() < count; ++i) {
      std::this_thread::sleep_for(5ms);
    }
    return done_.load();
  }
  std::vector<std::string> order() {
    std::lock_guard<std::mutex> lock(mutex_);
    return order_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> order_;
  std::atomic<int> done_{0};
};

TEST_CASE("Unit: slow password checks are served round robin by source", "[api][unit]") {
  HeldPool held({1, 256, 4, 60s}, "busy");
  auto& pool = held.pool;
  OrderRecorder recorder;
  auto task = [&](const std::string& name) { return recorder.task(name); };
  // A flood queued first from three sources, then one request from a newcomer.
  for (int i = 0; i < 4; ++i) {
    for (const std::string source : {"a", "b", "c"}) {
      REQUIRE(pool.post(source, task(source + std::to_string(i))));
    }
  }
  REQUIRE(pool.post("user", task("user")));
  // The per-source cap: a fifth from "a" is refused, others still accepted.
  CHECK_FALSE(pool.post("a", task("a4")));
  CHECK(pool.waiting() == 13);
  held.gate.open();
  REQUIRE(recorder.waitDone(13) == 13);
  // "busy" was running; then one each from a, b, c and the newcomer in its first round.
  const std::vector<std::string> expected = {"a0", "b0", "c0", "user", "a1", "b1", "c1",
                                             "a2", "b2", "c2", "a3",   "b3", "c3"};
  CHECK(recorder.order() == expected);
}

TEST_CASE("Unit: the slow-check queue is bounded and stale checks are not run", "[api][unit]") {
  HeldPool held({1, 3, 2, 50ms}, "s0");
  auto& pool = held.pool;
  std::atomic<int> ran{0};
  std::atomic<int> refused{0};
  auto task = [&](bool run) { (run ? ran : refused)++; };
  CHECK(pool.post("s1", task));
  CHECK(pool.post("s2", task));
  CHECK(pool.post("s3", task));
  CHECK_FALSE(pool.post("s4", task));  // 3 waiting in all
  std::this_thread::sleep_for(100ms);  // longer than maxWait
  held.gate.open();
  for (int i = 0; i < 1000 && ran + refused < 3; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK(ran.load() == 0);
  CHECK(refused.load() == 3);
  // Fresh work runs again.
  CHECK(pool.post("s1", task));
  for (int i = 0; i < 1000 && ran.load() < 1; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK(ran.load() == 1);
  // On stop, what is still queued is answered without running.
  pool.stop();
  CHECK_FALSE(pool.post("s1", task));
}

TEST_CASE("Unit: sources without recent failures are checked before those with", "[api][unit]") {
  HeldPool held({1, 256, 4, 60s}, "busy");
  auto& pool = held.pool;
  OrderRecorder recorder;
  auto task = [&](const std::string& name) { return recorder.task(name); };
  // Sources that failed before queue three each; a fresh source's first try is not
  // suspect, its later ones are (as the limiter would have counted them by then).
  for (int i = 0; i < 3; ++i) {
    for (const std::string source : {"a", "b"}) {
      REQUIRE(pool.post(source, task(source + std::to_string(i)), true));
    }
  }
  REQUIRE(pool.post("fresh", task("fresh0"), false));
  REQUIRE(pool.post("fresh", task("fresh1"), true));
  REQUIRE(pool.post("user", task("user"), false));
  held.gate.open();
  REQUIRE(recorder.waitDone(9) == 9);
  const std::vector<std::string> expected = {"fresh0", "user", "a0", "b0", "fresh1",
                                             "a1",     "b1",   "a2", "b2"};
  CHECK(recorder.order() == expected);
}

TEST_CASE("Unit: one task at a time is run by the worker that went idle last", "[api][unit]") {
  // A writer at a time (one client): the same warm thread does every write, where a
  // shared condition variable handed each one to the longest idle of the workers.
  SlowAuthPool pool({8, 256, 4, 60s});
  REQUIRE(chipmunk::test::waitUntil([&] { return pool.idle() == 8; }, 10s));
  std::mutex mutex;
  std::vector<std::thread::id> ran;
  for (int i = 0; i < 10; ++i) {
    REQUIRE(pool.post("one", [&](bool run) {
      CHECK(run);
      std::lock_guard<std::mutex> lock(mutex);
      ran.push_back(std::this_thread::get_id());
    }));
    // Back to idle, all of them, before the next task.
    REQUIRE(chipmunk::test::waitUntil(
        [&] {
          std::lock_guard<std::mutex> lock(mutex);
          return ran.size() == static_cast<size_t>(i) + 1 && pool.idle() == 8;
        },
        10s));
  }
  std::lock_guard<std::mutex> lock(mutex);
  for (const auto& id : ran) {
    CHECK(id == ran.front());
  }
}

TEST_CASE("Unit: concurrent tasks wake as many workers", "[api][unit]") {
  SlowAuthPool pool({4, 256, 4, 60s});
  chipmunk::test::Gate gate;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(pool.post("s" + std::to_string(i), [&](bool) { gate.pass(10s); }));
  }
  REQUIRE(gate.waitEntered(4));  // all four run at once: none waits behind another
  CHECK(pool.idle() == 0);
  gate.open();
  CHECK(chipmunk::test::waitUntil([&] { return pool.idle() == 4; }, 10s));
  pool.stop();
  CHECK(pool.idle() == 0);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
