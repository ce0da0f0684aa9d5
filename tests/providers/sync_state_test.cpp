// SPDX-License-Identifier: MIT
#include "providers/sync_state.hpp"

#include <catch2/catch.hpp>

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;

TEST_CASE("Unit: a record's state survives formatting and parsing", "[providers][unit]") {
  SyncState s;
  s.key = "linode home.example.com A";
  s.ip = "203.0.113.7";
  s.pushedAt = 1700000000;
  s.attemptedAt = 1700000100;
  s.lastResult = "retry-later";
  s.detail = std::string(500, 'x');
  s.failures = 3;
  s.stopped = "";
  const std::string text = formatSyncState("home", s);
  CHECK(text.find("\"format\":2") != std::string::npos);
  const auto back = parseSyncState(text);
  REQUIRE(back);
  CHECK(back->key == s.key);
  CHECK(back->ip == s.ip);
  CHECK(back->pushedAt == s.pushedAt);
  CHECK(back->attemptedAt == s.attemptedAt);
  CHECK(back->lastResult == s.lastResult);
  CHECK(back->detail == std::string(300, 'x'));
  CHECK(back->failures == 3);
  CHECK_FALSE(parseSyncState("{not json"));
  CHECK_FALSE(parseSyncState("[1]"));
}

TEST_CASE("Unit: the updater's format 1 state file still loads", "[providers][unit]") {
  // As chipmunk-updater wrote <record>.state before the formats were merged.
  const auto s = parseSyncState(
      R"({"record":"home","fingerprint":"linode home.example.com A","ip":"203.0.113.7",)"
      R"("pushed_at":1700000000,"last_result":"updated","attempted_at":1700000001,)"
      R"("detail":"HTTP 200"})");
  REQUIRE(s);
  CHECK(s->key == "linode home.example.com A");
  CHECK(s->ip == "203.0.113.7");
  CHECK(s->pushedAt == 1700000000);
  CHECK(s->attemptedAt == 1700000001);
  CHECK(s->lastResult == "updated");
  CHECK(s->detail == "HTTP 200");
  CHECK(s->failures == 0);
  // A negative time (damaged or hand-edited) is none.
  CHECK(parseSyncState(R"({"pushed_at":-5})")->pushedAt == 0);
}

TEST_CASE("Unit: gateway push's old state file still loads", "[providers][unit]") {
  // As chipmunk-api wrote .push-state.json before the formats were merged.
  std::string error;
  const auto states = parseSyncStates(
      R"({"home":{"key":"linode home.example.com A","ip":"203.0.113.7"},"bad":3})", error);
  REQUIRE(states);
  REQUIRE(states->size() == 1);
  const SyncState& s = states->at("home");
  CHECK(s.key == "linode home.example.com A");
  CHECK(s.ip == "203.0.113.7");
  CHECK(s.pushedAt == 0);
  CHECK_FALSE(parseSyncStates("[]", error));
  CHECK(error == "not an object");
}

TEST_CASE("Unit: several records' states round-trip in one file", "[providers][unit]") {
  SyncState a;
  a.key = "linode a.example.com A";
  a.ip = "203.0.113.1";
  SyncState b;
  b.key = "linode b.example.com AAAA";
  b.stopped = "auth-failed";
  std::string error;
  const auto back = parseSyncStates(formatSyncStates({{"a", a}, {"b", b}}), error);
  REQUIRE(back);
  CHECK(back->at("a").ip == "203.0.113.1");
  CHECK(back->at("b").key == "linode b.example.com AAAA");
  CHECK(back->at("b").stopped == "auth-failed");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
