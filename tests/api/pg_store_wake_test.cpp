// SPDX-License-Identifier: MIT
// The wake-ups of PgStore's committed writes (api/pg_store_wake.hpp): NOTIFYs from a session
// of their own after the commit, record notices packed many names to a payload. Against a
// real PostgreSQL (tests/api/store_backends.hpp).
#include <catch2/catch.hpp>

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/pg_connection.hpp"
#include "api/pg_store.hpp"
#include "api/pg_store_wake.hpp"
#include "tests/api/store_backends.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::IpAddress;
using chipmunk::api::Metadata;
using chipmunk::api::RecordUpdate;
using chipmunk::api::SetOutcome;
using chipmunk::api::pg::Waker;
using chipmunk::test::PgBackend;

IpAddress ip(const std::string& text) {
  return *IpAddress::parse(text);
}

struct Notice {
  std::string channel;
  std::string payload;
  int pid;
};

// The notifications `conn` (LISTENing) receives within `limit`, until `enough` of them.
std::vector<Notice> notices(chipmunk::api::pg::Connection& conn, size_t enough,
                            std::chrono::milliseconds limit) {
  std::vector<Notice> got;
  const auto end = std::chrono::steady_clock::now() + limit;
  while (got.size() < enough && std::chrono::steady_clock::now() < end) {
    pollfd fd = {PQsocket(conn.raw()), POLLIN, 0};
    ::poll(&fd, 1, 100);
    REQUIRE(PQconsumeInput(conn.raw()) == 1);
    while (PGnotify* n = PQnotifies(conn.raw())) {
      got.push_back({n->relname, n->extra, n->be_pid});
      PQfreemem(n);
    }
  }
  return got;
}

// The names of a record notice from the store tagged "abc1" (its payload's first word).
std::vector<std::string> namesOf(const std::string& payload) {
  std::istringstream words(payload);
  std::string word;
  REQUIRE(words >> word);
  CHECK(word == "abc1");
  std::vector<std::string> names;
  while (words >> word) {
    names.push_back(word);
  }
  return names;
}

TEST_CASE("PgStore: a change wakes the dispatchers from a session of its own, after the commit",
          "[api][postgres]") {
  PgBackend db;
  auto& store = db.pgStore();
  // The backend that writes the outbox row, as the row's trigger sees it.
  db.server().psql(
      "CREATE TABLE writer (pid int);"
      "CREATE FUNCTION note_writer() RETURNS trigger LANGUAGE plpgsql AS "
      "$$BEGIN INSERT INTO writer VALUES (pg_backend_pid()); RETURN NULL; END$$;"
      "CREATE TRIGGER note_writer AFTER INSERT ON chipmunk_outbox FOR EACH ROW "
      "EXECUTE FUNCTION note_writer()");
  std::string error;
  auto listener = chipmunk::api::pg::Connection::open(db.server().conninfo(), error);
  REQUIRE(listener);
  REQUIRE(listener->exec("LISTEN chipmunk_outbox").ok());
  REQUIRE(listener->exec("LISTEN chipmunk_records").ok());
  store.setNoticeTag("abc1");
  REQUIRE(store.recordIp("alice", ip("198.51.100.1"), 1000).outcome == SetOutcome::kSaved);
  const auto got = notices(*listener, 2, std::chrono::seconds(10));
  REQUIRE(got.size() == 2);
  std::set<std::string> seen;
  const int writer = std::stoi(db.server().psql("SELECT pid FROM writer"));
  for (const auto& n : got) {
    seen.insert(n.channel + " " + n.payload);
    CHECK(n.pid != writer);  // not the writing transaction's session
  }
  CHECK(seen == std::set<std::string>{"chipmunk_outbox ", "chipmunk_records abc1 alice"});
  // An unchanged poll wakes nobody; a metadata change only the watches (no outbox row).
  REQUIRE(store.recordIp("alice", ip("198.51.100.1"), 1010).outcome == SetOutcome::kUnchanged);
  RecordUpdate meta;
  meta.metadata = Metadata{{"note", "x"}};
  REQUIRE(store.update("alice", meta, 1020).outcome == SetOutcome::kSaved);
  const auto later = notices(*listener, 2, std::chrono::seconds(2));
  REQUIRE(later.size() == 1);
  CHECK(later[0].channel == "chipmunk_records");
  CHECK(later[0].payload == "abc1 alice");
  // An address change that nothing would consume (setOutboxWanted): no row, no outbox wake.
  store.setOutboxWanted([](const std::string& name) { return name != "alice"; });
  REQUIRE(store.recordIp("alice", ip("198.51.100.2"), 1030).outcome == SetOutcome::kSaved);
  const auto unwanted = notices(*listener, 2, std::chrono::seconds(2));
  REQUIRE(unwanted.size() == 1);
  CHECK(unwanted[0].channel + " " + unwanted[0].payload == "chipmunk_records abc1 alice");
  CHECK(db.server().psql("SELECT count(*) FROM chipmunk_outbox") == "1");
  CHECK(db.server().psql("SELECT ip FROM chipmunk_records WHERE name = 'alice'") == "198.51.100.2");
}

TEST_CASE("Unit: record notices carry as many names as fit in a payload", "[api][postgres]") {
  std::set<std::string> names;
  for (int i = 0; i < 1000; ++i) {
    names.insert("host-" + std::to_string(1000 + i) + ".example.org");  // 21 bytes each
  }
  const auto payloads = Waker::payloads("abc1", names, false);
  // 1000 names of 21 bytes and a separator: 22,000 bytes in payloads of at most 7,900.
  REQUIRE(payloads.size() == 3);
  std::set<std::string> carried;
  for (const auto& p : payloads) {
    CHECK(p.size() <= Waker::kMaxPayload);
    if (&p != &payloads.back()) {
      CHECK(p.size() > Waker::kMaxPayload - 22);  // filled before the next one starts
    }
    for (const auto& name : namesOf(p)) {
      CHECK(carried.insert(name).second);
    }
  }
  CHECK(carried == names);
  // Nothing to say, or no tag (notices off): no notice at all.
  CHECK(Waker::payloads("abc1", {}, false).empty());
  CHECK(Waker::payloads("", names, true).empty());
  // A name that cannot be told apart in a payload, or more than could be kept pending: the
  // tag alone, "anything may have changed", wakes every watch instead of missing one.
  CHECK(Waker::payloads("abc1", {"a", "b c"}, false) == std::vector<std::string>{"abc1"});
  CHECK(Waker::payloads("abc1", {"a", std::string(7900, 'x')}, false) ==
        std::vector<std::string>{"abc1"});
  CHECK(Waker::payloads("abc1", {"a"}, true) == std::vector<std::string>{"abc1"});
  CHECK(Waker::payloads("abc1", {"a", "b"}, false) == std::vector<std::string>{"abc1 a b"});
}

TEST_CASE("PgStore: a burst of expiries is announced in a few notices, every name in one",
          "[api][postgres]") {
  PgBackend db;
  auto& store = db.pgStore();
  constexpr int kRecords = 600;
  db.server().psql(
      "INSERT INTO chipmunk_records (name, ip, ipv4, first_seen, changed_at, last_seen, ttl,"
      " expires_at) SELECT 'host-' || g || '.example.org', '192.0.2.1', '192.0.2.1', 1, 1, 1,"
      " 60, 61 FROM generate_series(1000, 999 + " +
      std::to_string(kRecords) + ") g");
  std::string error;
  auto listener = chipmunk::api::pg::Connection::open(db.server().conninfo(), error);
  REQUIRE(listener);
  REQUIRE(listener->exec("LISTEN chipmunk_records").ok());
  store.setNoticeTag("abc1");
  REQUIRE(store.expireDue(100).size() == kRecords);
  // 600 names of 21 bytes: two payloads, in the one transaction after the expiries' commit.
  const auto got = notices(*listener, 3, std::chrono::seconds(3));
  REQUIRE(got.size() == 2);
  std::set<std::string> carried;
  for (const auto& n : got) {
    CHECK(n.payload.size() <= Waker::kMaxPayload);
    for (const auto& name : namesOf(n.payload)) {
      carried.insert(name);
    }
  }
  CHECK(carried.size() == kRecords);
  CHECK(carried.count("host-1000.example.org") == 1);
  CHECK(carried.count("host-1599.example.org") == 1);
}

TEST_CASE("PgStore: past the bound of pending names one notice says anything may have changed",
          "[api][postgres]") {
  PgBackend db;
  std::string error;
  auto listener = chipmunk::api::pg::Connection::open(db.server().conninfo(), error);
  REQUIRE(listener);
  REQUIRE(listener->exec("LISTEN chipmunk_records").ok());
  Waker waker(db.server().conninfo());
  waker.setTag("abc1");
  // One more name than may be kept pending, committed at once: not ~2.2 MB of names in
  // ~280 notices, but the tag alone, which wakes every watch.
  std::vector<std::string> names;
  for (size_t i = 0; i <= Waker::kMaxPending; ++i) {
    names.push_back("host-" + std::to_string(i) + ".example.org");
  }
  waker.committed(names, false);
  const auto got = notices(*listener, 2, std::chrono::seconds(3));
  REQUIRE(got.size() == 1);
  CHECK(got[0].payload == "abc1");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
