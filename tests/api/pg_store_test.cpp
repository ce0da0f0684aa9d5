// SPDX-License-Identifier: MIT
// What only the PostgreSQL store promises, against a real PostgreSQL: the outbox row is
// committed with the change or not at all, replicas expiring at once take disjoint records,
// and a server that stops and comes back costs failures, never an acknowledged write.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/record_json.hpp"
#include "tests/api/store_backends.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::IpAddress;
using chipmunk::api::HostRecord;
using chipmunk::api::Metadata;
using chipmunk::api::RecordUpdate;
using chipmunk::api::SetOutcome;
using chipmunk::test::PgBackend;

IpAddress ip(const std::string& text) {
  return *IpAddress::parse(text);
}

TEST_CASE("PgStore: an address change writes one outbox row with it, other updates none",
          "[api][postgres]") {
  PgBackend db;
  auto& store = db.store();
  auto& server = db.server();
  REQUIRE(store.recordIp("alice", ip("198.51.100.1"), 1000).outcome == SetOutcome::kSaved);
  REQUIRE(store.recordIp("alice", ip("198.51.100.1"), 1010).outcome == SetOutcome::kUnchanged);
  RecordUpdate meta;
  meta.ipv4 = ip("198.51.100.1");
  meta.metadata = Metadata{{"note", "x"}};
  REQUIRE(store.update("alice", meta, 1020).outcome == SetOutcome::kSaved);  // not an address
  REQUIRE(store.recordIp("alice", ip("198.51.100.2"), 1030).outcome == SetOutcome::kSaved);
  CHECK(server.psql("SELECT kind || ' ' || name || ' ' || coalesce(before->>'ip', '-') || ' ' "
                    "|| (after->>'ip') || ' ' || created_at FROM chipmunk_outbox ORDER BY id") ==
        "changed alice - 198.51.100.1 1000\nchanged alice 198.51.100.1 198.51.100.2 1030");
  // The row's JSON reads back as the record.
  const auto after = chipmunk::api::recordFromJson(
      server.psql("SELECT after FROM chipmunk_outbox ORDER BY id DESC LIMIT 1"));
  REQUIRE(after);
  CHECK(after->name == "alice");
  CHECK(after->changedAt == 1030);
  CHECK(after->metadata == Metadata{{"note", "x"}});

  // An outbox that refuses the row refuses the change: one transaction.
  server.psql(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
      "$$BEGIN RAISE EXCEPTION 'no'; END$$;"
      "CREATE TRIGGER refuse BEFORE INSERT ON chipmunk_outbox FOR EACH ROW EXECUTE FUNCTION "
      "refuse()");
  CHECK(store.recordIp("alice", ip("198.51.100.3"), 1040).outcome == SetOutcome::kFailed);
  CHECK(store.get("alice")->ip->toString() == "198.51.100.2");
  CHECK(server.psql("SELECT ip FROM chipmunk_records WHERE name = 'alice'") == "198.51.100.2");

  // Expiry writes an 'expired' row per record, in the same statement.
  server.psql("DROP TRIGGER refuse ON chipmunk_outbox");
  RecordUpdate ttl;
  ttl.ipv4 = ip("198.51.100.2");
  ttl.ttl = 60;
  REQUIRE(store.update("alice", ttl, 1050).outcome == SetOutcome::kSaved);
  REQUIRE(store.expireDue(1110).size() == 1);
  CHECK(server.psql("SELECT kind || ' ' || (before->>'ip') || ' ' || coalesce(after->>'ip', '-') "
                    "|| ' ' || (after->>'expired') || ' ' || created_at FROM chipmunk_outbox "
                    "WHERE kind = 'expired'") == "expired 198.51.100.2 - true 1110");
}

// A replica plans a change from the row as it last wrote it, and writes it only if nobody
// moved the row on since (its revision): else it plans it again from the row as it is.
TEST_CASE("PgStore: a change planned from a replica's own last write yields to another's",
          "[api][postgres]") {
  PgBackend db;
  auto a = db.open();
  auto b = db.open();
  REQUIRE(a->recordIp("h", ip("198.51.100.1"), 1000).outcome == SetOutcome::kSaved);
  REQUIRE(b->recordIp("h", ip("198.51.100.2"), 1010).outcome == SetOutcome::kSaved);
  CHECK(a->knownWrites() == 0);  // a first write is planned in SQL
  // `a` last wrote .1: .2 is a change from there, but not from the row as it is.
  auto same = a->recordIp("h", ip("198.51.100.2"), 1020);
  CHECK(same.outcome == SetOutcome::kUnchanged);
  REQUIRE(same.before.ip);
  CHECK(same.before.ip->toString() == "198.51.100.2");
  // A change now: from b's row (.2), the record's first-seen time kept.
  auto moved = a->recordIp("h", ip("198.51.100.3"), 1030);
  CHECK(moved.outcome == SetOutcome::kSaved);
  REQUIRE(moved.before.ip);
  CHECK(moved.before.ip->toString() == "198.51.100.2");
  CHECK(db.server().psql("SELECT ip || ' ' || first_seen || ' ' || changed_at || ' ' || last_seen "
                         "FROM chipmunk_records WHERE name = 'h'") ==
        "198.51.100.3 1000 1030 1030");
  // .2 was planned here and found the row moved on (then decided in SQL); .3 was planned
  // from the row that answer read, and written by the compare-and-set alone.
  CHECK(a->knownWrites() == 1);
  // Again from a's own write (nobody moved it since): the outbox rows say where it was.
  REQUIRE(a->recordIp("h", ip("198.51.100.4"), 1040).outcome == SetOutcome::kSaved);
  CHECK(a->knownWrites() == 2);
  CHECK(db.server().psql(
            "SELECT string_agg((before->>'ip') || '>' || (after->>'ip') || ' ' || "
            "(after->>'first_seen') || ' ' || (after->>'changed_at'), ', ' ORDER BY "
            "id) FROM chipmunk_outbox WHERE kind = 'changed' AND before->>'ip' IS NOT NULL") ==
        "198.51.100.1>198.51.100.2 1000 1010, 198.51.100.2>198.51.100.3 1000 1030, "
        "198.51.100.3>198.51.100.4 1000 1040");

  // Expired by the other replica: a new address from `a`, planned from a's unexpired row,
  // finds the row moved on and is planned again from the expired one.
  RecordUpdate ttl;
  ttl.ipv4 = ip("198.51.100.4");
  ttl.ttl = 60;
  REQUIRE(a->update("h", ttl, 1050).outcome == SetOutcome::kSaved);
  CHECK(a->knownWrites() == 3);
  REQUIRE(b->expireDue(1200).size() == 1);
  auto back = a->recordIp("h", ip("198.51.100.5"), 1210);
  CHECK(back.outcome == SetOutcome::kSaved);
  CHECK(back.before.expired);
  CHECK(a->knownWrites() == 3);
  CHECK(db.server().psql("SELECT expired || ' ' || ip || ' ' || expires_at FROM chipmunk_records "
                         "WHERE name = 'h'") == "false 198.51.100.5 1270");
  CHECK(db.server().psql("SELECT (before->>'expired') || ' ' || (after->>'ip') FROM "
                         "chipmunk_outbox WHERE kind = 'changed' ORDER BY id DESC LIMIT 1") ==
        "true 198.51.100.5");
  // The same address again, from the row `a` just wrote: unchanged, decided in SQL.
  CHECK(a->recordIp("h", ip("198.51.100.5"), 1220).outcome == SetOutcome::kUnchanged);
  CHECK(a->knownWrites() == 3);
}

TEST_CASE("PgStore: an unchanged poll is answered from the known row while its revision holds",
          "[api][postgres]") {
  PgBackend db;
  auto a = db.open();
  auto b = db.open();
  REQUIRE(a->recordIp("h", ip("198.51.100.1"), 1000).outcome == SetOutcome::kSaved);
  // `a` knows the row it wrote: a poll of the same address is answered from it.
  auto poll = a->recordIp("h", ip("198.51.100.1"), 1010);
  CHECK(poll.outcome == SetOutcome::kUnchanged);
  REQUIRE(poll.before.ip);
  CHECK(poll.before.ip->toString() == "198.51.100.1");
  CHECK(poll.after.lastSeen == 1010);
  CHECK(a->knownPolls() == 1);
  const auto seen = a->get("h");  // the poll's time is kept until the next flush
  REQUIRE(seen);
  CHECK(seen->lastSeen == 1010);
  CHECK(db.server().psql("SELECT last_seen FROM chipmunk_records WHERE name = 'h'") == "1000");
  // `b` moves the row on: the address `a` knew is now a change from the row, written.
  REQUIRE(b->recordIp("h", ip("198.51.100.2"), 1020).outcome == SetOutcome::kSaved);
  auto back = a->recordIp("h", ip("198.51.100.1"), 1030);
  CHECK(back.outcome == SetOutcome::kSaved);
  REQUIRE(back.before.ip);
  CHECK(back.before.ip->toString() == "198.51.100.2");
  CHECK(a->knownPolls() == 1);
  CHECK(db.server().psql("SELECT ip FROM chipmunk_records WHERE name = 'h'") == "198.51.100.1");
  // Expired by `b`: the same address from `a` brings the record back (a change, not a poll).
  RecordUpdate ttl;
  ttl.ipv4 = ip("198.51.100.1");
  ttl.ttl = 60;
  REQUIRE(a->update("h", ttl, 1040).outcome == SetOutcome::kSaved);
  REQUIRE(b->expireDue(1200).size() == 1);
  auto again = a->recordIp("h", ip("198.51.100.1"), 1210);
  CHECK(again.outcome == SetOutcome::kSaved);
  CHECK(again.before.expired);
  CHECK(a->knownPolls() == 1);
  CHECK(db.server().psql("SELECT expired || ' ' || ip FROM chipmunk_records WHERE name = 'h'") ==
        "false 198.51.100.1");
  // From the row it wrote last, `a` answers the next poll itself again.
  CHECK(a->recordIp("h", ip("198.51.100.1"), 1220).outcome == SetOutcome::kUnchanged);
  CHECK(a->knownPolls() == 2);
}

TEST_CASE("PgStore: replicas expiring at once take disjoint records", "[api][postgres]") {
  PgBackend db;
  constexpr int kRecords = 3000;
  db.server().psql(
      "INSERT INTO chipmunk_records (name, ip, ipv4, last_seen, ttl, expires_at) SELECT 'h' || "
      "i, '192.0.2.1', '192.0.2.1', 1000, 60, 1060 FROM generate_series(1, " +
      std::to_string(kRecords) + ") i");
  auto a = db.open();
  auto b = db.open();
  std::vector<HostRecord> fromA;
  std::vector<HostRecord> fromB;
  // Both pools connected before the race starts.
  REQUIRE_FALSE(a->get("h1")->expired);
  REQUIRE_FALSE(b->get("h1")->expired);
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> go{false};
    std::thread ta([&] {
      while (!go) {
      }
      for (auto& r : a->expireDue(2000)) {
        fromA.push_back(std::move(r));
      }
    });
    std::thread tb([&] {
      while (!go) {
      }
      for (auto& r : b->expireDue(2000)) {
        fromB.push_back(std::move(r));
      }
    });
    go = true;
    ta.join();
    tb.join();
  }
  std::set<std::string> names;
  for (const auto* side : {&fromA, &fromB}) {
    for (const auto& r : *side) {
      CHECK(names.insert(r.name).second);  // never expired twice
    }
  }
  CHECK(names.size() == kRecords);
  CHECK(db.server().psql("SELECT count(*) FROM chipmunk_outbox WHERE kind = 'expired'") ==
        std::to_string(kRecords));
  CHECK(db.server().psql("SELECT count(*) FROM chipmunk_records WHERE NOT expired") == "0");
}

// Waits (bounded) until `count` reaches `target`.
bool waitFor(const std::atomic<int>& count, int target) {
  for (int spins = 0; spins < 20000; ++spins) {
    if (count >= target) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

TEST_CASE("PgStore: a stopped server fails updates and a restart loses no saved write",
          "[api][postgres]") {
  PgBackend db;
  auto& store = db.store();
  constexpr int kMaxWrites = 20000;
  std::vector<SetOutcome> outcomes(kMaxWrites, SetOutcome::kUnchanged);
  std::atomic<int> done{0};
  std::atomic<bool> enough{false};
  auto address = [](int i) { return "198.51.100." + std::to_string(1 + i % 200); };
  // One new record per write, until told to stop (at most kMaxWrites).
  std::thread writer([&] {
    for (int i = 0; i < kMaxWrites && !enough; ++i) {
      outcomes[i] = store.recordIp("w" + std::to_string(i), ip(address(i)), 1000 + i).outcome;
      done = i + 1;
      if (outcomes[i] == SetOutcome::kFailed) {
        // As a client would: not in a busy loop, so that a slow restart (a loaded machine)
        // does not use up kMaxWrites before the server is back.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  });
  CHECK(waitFor(done, 100));
  db.server().stop();
  const auto failed = store.recordIp("down", ip("192.0.2.1"), 5000);
  CHECK(failed.outcome == SetOutcome::kFailed);
  CHECK_FALSE(store.get("w0"));  // reads fail too (logged), without an exception
  CHECK(store.list().empty());
  const bool restarted = db.server().start();
  const int atRestart = done;
  CHECK(waitFor(done, atRestart + 100));
  enough = true;
  writer.join();
  REQUIRE(restarted);
  // What the table holds, read once: name -> ip.
  std::map<std::string, std::string> table;
  std::istringstream rows(db.server().psql("SELECT name || ' ' || ip FROM chipmunk_records"));
  for (std::string name, value; rows >> name >> value;) {
    table[name] = value;
  }
  int saved = 0;
  for (int i = 0; i < done; ++i) {
    if (outcomes[i] == SetOutcome::kSaved) {
      ++saved;
      INFO("w" << i);
      CHECK(table["w" + std::to_string(i)] == address(i));
    } else {
      CHECK(outcomes[i] == SetOutcome::kFailed);
    }
  }
  CHECK(saved >= 150);  // 100 before the stop, most of the 100 after the restart
  // After the restart every write goes through again.
  CHECK(outcomes[done - 1] == SetOutcome::kSaved);
  CHECK(store.recordIp("after", ip("192.0.2.2"), 6000).outcome == SetOutcome::kSaved);
  CHECK(store.get("after"));
  // Every record stored was announced once in the outbox, and nothing else was (a write cut
  // off by the stop may have committed and been answered kFailed: stored and announced).
  const std::string stored =
      db.server().psql("SELECT count(*) FROM chipmunk_records WHERE name LIKE 'w%'");
  CHECK(std::stoi(stored) >= saved);
  CHECK(db.server().psql("SELECT count(*) FROM chipmunk_outbox WHERE name LIKE 'w%'") == stored);
}

TEST_CASE("PgStore: last-seen times wait for flush, in batches", "[api][postgres]") {
  PgBackend db;
  constexpr int kRecords = 12000;  // more than one flush statement (PgStore::kFlushBatch)
  db.server().psql(
      "INSERT INTO chipmunk_records (name, ip, ipv4, first_seen, changed_at, last_seen) "
      "SELECT 'h' || i, '192.0.2.1', '192.0.2.1', 1000, 1000, 1000 FROM generate_series(1, " +
      std::to_string(kRecords) + ") i");
  auto& store = db.store();
  for (int i = 1; i <= kRecords; ++i) {
    REQUIRE(store.recordIp("h" + std::to_string(i), ip("192.0.2.1"), 2000).outcome ==
            SetOutcome::kUnchanged);
  }
  // Not written yet (no durable write per poll), but visible through this store.
  CHECK(db.server().psql("SELECT count(*) FROM chipmunk_records WHERE last_seen = 2000") == "0");
  CHECK(store.get("h7")->lastSeen == 2000);
  store.flush();
  CHECK(db.server().psql("SELECT count(*) FROM chipmunk_records WHERE last_seen = 2000") ==
        std::to_string(kRecords));
}

TEST_CASE("PgStore: putAll writes a page in one transaction, all or nothing", "[api][postgres]") {
  PgBackend db;
  auto& store = db.store();
  std::vector<HostRecord> page;
  for (const char* name : {"a", "b\"quoted\\", "c"}) {
    HostRecord r;
    r.name = name;
    r.ip = r.ipv4 = ip("192.0.2.9");
    r.firstSeen = r.changedAt = r.lastSeen = 7;
    r.ttl = 30;
    r.metadata = Metadata{{"k", "v,{\"}"}};
    page.push_back(r);
  }
  page[2].ip = page[2].ipv4 = std::nullopt;
  REQUIRE(store.putAll(page));
  for (const auto& r : page) {
    const auto back = store.get(r.name);
    REQUIRE(back);
    CHECK(back->ip == r.ip);
    CHECK(back->metadata == r.metadata);
    CHECK(back->ttl == 30);
  }
  CHECK(db.server().psql("SELECT count(*) FROM chipmunk_records WHERE expires_at = 37") == "2");
  db.breakWrites("d");
  page[0].lastSeen = 8;
  page.push_back(page[1]);
  page.back().name = "d";
  CHECK_FALSE(store.putAll(page));
  CHECK(store.get("a")->lastSeen == 7);  // the whole page was refused
  CHECK_FALSE(store.get("d"));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
