// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "tests/support/small_stack.hpp"

#include "tests/support/forked.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/state_store.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::updater;
using chipmunk::test::TempDir;

TEST_CASE("StateStore: saves and loads a record's state", "[updater][unit]") {
  TempDir dir;
  std::string error;
  {
    StateStore store(dir.file("a/b"));
    REQUIRE(store.open(error));
    RecordState s;
    s.key = "linode home.example.com A";
    s.ip = "203.0.113.7";
    s.pushedAt = 1700000000;
    s.lastResult = "updated";
    REQUIRE(store.save("home/A", s, error));
  }
  StateStore store(dir.file("a/b"));
  REQUIRE(store.open(error));
  const auto s = store.load("home/A");
  REQUIRE(s);
  CHECK(s->ip == "203.0.113.7");
  CHECK(s->pushedAt == 1700000000);
  CHECK(s->lastResult == "updated");
  CHECK(s->key == "linode home.example.com A");
  CHECK_FALSE(store.load("other"));
  CHECK(chipmunk::test::fileExists(dir.file("a/b/home_A.state")));
  CHECK_FALSE(chipmunk::test::fileExists(dir.file("a/b/.home_A.state.tmp")));
}

TEST_CASE("StateStore: a damaged file counts as no state", "[updater][unit]") {
  TempDir dir;
  std::string error;
  StateStore store(dir.path());
  REQUIRE(store.open(error));
  chipmunk::test::writeFile(dir.file("x.state"), "{not json");
  CHECK_FALSE(store.load("x"));
  CHECK(StateStore::fileName("../etc/passwd") == "_.._etc_passwd.state");
}

TEST_CASE("StateStore: an unusable directory is reported", "[updater][unit]") {
  TempDir dir;
  chipmunk::test::writeFile(dir.file("file"), "x");
  StateStore store(dir.file("file/sub"));
  std::string error;
  CHECK_FALSE(store.open(error));
  CHECK_FALSE(error.empty());
  RecordState s;
  CHECK_FALSE(store.save("x", s, error));
}

TEST_CASE("StateStore: a state file of deep nesting counts as no state, not a crash",
          "[updater][unit]") {
  TempDir dir;
  std::string error;
  StateStore store(dir.path());
  REQUIRE(store.open(error));
  chipmunk::test::writeFile(dir.file("x.state"), std::string(64 * 1024, '['));
  CHECK_FALSE(store.load("x"));
  std::string deep;
  for (int i = 0; i < 12000; ++i) {
    deep += "{\"a\":";
  }
  chipmunk::test::writeFile(dir.file("y.state"), deep);
  CHECK_FALSE(store.load("y"));
  // Within the 64 KiB read cap, a recursive parse survives an 8 MB stack by luck: on a
  // 256 KiB one (a small thread, a constrained system) it must still use no stack per level.
  bool loaded = true;
  REQUIRE(chipmunk::test::runOnSmallStack([&] { loaded = store.load("x").has_value(); }));
  CHECK_FALSE(loaded);
}

TEST_CASE("StateStore: a FIFO in the state directory blocks neither load nor save",
          "[updater][unit]") {
  // A FIFO named like a state file (or its temporary file) would block open() for ever:
  // the updater would hang before its first update. Checked in a child process so that a
  // hang fails the test.
  TempDir dir;
  REQUIRE(::mkfifo(dir.file("home_A.state").c_str(), 0644) == 0);
  REQUIRE(::mkfifo(dir.file(".other.state.tmp").c_str(), 0644) == 0);
  const int rc = chipmunk::test::runForked(
      [&] {
        std::string error;
        StateStore store(dir.path());
        if (!store.open(error) || store.load("home/A")) {
          return 1;
        }
        RecordState s;
        s.ip = "203.0.113.7";
        if (!store.save("other", s, error) || !store.load("other") ||
            store.load("other")->ip != "203.0.113.7") {
          return 2;
        }
        return 0;
      },
      std::chrono::seconds(5));
  CHECK(rc == 0);  // -1: it hung
}

TEST_CASE("StateStore: a state file of the updater's format 1 still loads", "[updater][unit]") {
  TempDir dir;
  std::string error;
  StateStore store(dir.path());
  REQUIRE(store.open(error));
  // As chipmunk-updater wrote it before the updater and gateway push shared one format.
  chipmunk::test::writeFile(
      dir.file("home.state"),
      R"({"record":"home","fingerprint":"linode home.example.com A","ip":"203.0.113.7",)"
      R"("pushed_at":1700000000,"last_result":"updated","attempted_at":1700000001,)"
      R"("detail":"HTTP 200"})"
      "\n");
  const auto s = store.load("home");
  REQUIRE(s);
  CHECK(s->key == "linode home.example.com A");
  CHECK(s->ip == "203.0.113.7");
  CHECK(s->pushedAt == 1700000000);
  // Saved again, it is written in the shared format.
  REQUIRE(store.save("home", *s, error));
  CHECK(chipmunk::test::readFile(dir.file("home.state")).find("\"format\":2") != std::string::npos);
  CHECK(store.load("home")->key == "linode home.example.com A");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
