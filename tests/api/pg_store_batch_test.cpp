// SPDX-License-Identifier: MIT
// The PostgreSQL store's write combining (api/pg_store_batch.hpp), against a real
// PostgreSQL: concurrent changes share transactions, each caller gets its own answer, two
// changes of one name never meet in one statement, and a batch that fails fails every
// change of it (none reported saved, none written).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/record_json.hpp"
#include "tests/api/store_backends.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::IpAddress;
using chipmunk::api::SetOutcome;
using chipmunk::api::UpdateResult;
using chipmunk::test::PgBackend;

IpAddress ip(const std::string& text) {
  return *IpAddress::parse(text);
}

// Every statement that writes outbox rows sleeps `seconds` first (so that changes queue up
// behind it), and every outbox row notes the transaction that wrote it.
void slowOutbox(PgBackend& db, const std::string& seconds) {
  db.server().psql(
      "CREATE TABLE test_tx (tx bigint, name text);"
      "CREATE FUNCTION test_slow() RETURNS trigger LANGUAGE plpgsql AS "
      "$$BEGIN PERFORM pg_sleep(" +
      seconds +
      "); RETURN NULL; END$$;"
      "CREATE TRIGGER test_slow BEFORE INSERT ON chipmunk_outbox FOR EACH STATEMENT "
      "EXECUTE FUNCTION test_slow();"
      "CREATE FUNCTION test_note() RETURNS trigger LANGUAGE plpgsql AS "
      "$$BEGIN INSERT INTO test_tx VALUES (txid_current(), NEW.name); RETURN NEW; END$$;"
      "CREATE TRIGGER test_note BEFORE INSERT ON chipmunk_outbox FOR EACH ROW "
      "EXECUTE FUNCTION test_note()");
}

// name -> ip of every record, read once.
std::map<std::string, std::string> table(PgBackend& db) {
  std::map<std::string, std::string> out;
  std::istringstream rows(db.server().psql("SELECT name || ' ' || ip FROM chipmunk_records"));
  for (std::string name, value; rows >> name >> value;) {
    out[name] = value;
  }
  return out;
}

// `threads` callers, caller t writing `address(t)` to `name(t)` once, all at once.
template <typename Name, typename Address>
std::vector<UpdateResult> together(chipmunk::api::Store& store, int threads, Name name,
                                   Address address) {
  std::vector<UpdateResult> results(threads);
  std::atomic<bool> go{false};
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&, t] {
      while (!go) {
        std::this_thread::yield();
      }
      results[t] = store.recordIp(name(t), ip(address(t)), 1000 + t);
    });
  }
  go = true;
  for (auto& c : callers) {
    c.join();
  }
  return results;
}

// Every caller t's change answered saved with address(t), and in the table so (`rows`).
template <typename Name, typename Address>
void checkEachSaved(const std::vector<UpdateResult>& results,
                    const std::map<std::string, std::string>& rows, Name name, Address address) {
  for (size_t t = 0; t < results.size(); ++t) {
    const int i = static_cast<int>(t);
    INFO(name(i));
    CHECK(results[t].outcome == SetOutcome::kSaved);
    REQUIRE(results[t].after.ip);
    CHECK(results[t].after.ip->toString() == address(i));
    const auto row = rows.find(name(i));
    CHECK((row != rows.end() && row->second == address(i)));
  }
}

TEST_CASE("PgStore: concurrent changes share transactions and each gets its own answer",
          "[api][postgres]") {
  PgBackend db;
  slowOutbox(db, "0.2");
  constexpr int kCallers = 32;
  auto name = [](int t) { return "c" + std::to_string(t); };
  auto address = [](int t) { return "198.51.100." + std::to_string(t + 1); };
  const auto results = together(db.store(), kCallers, name, address);
  checkEachSaved(results, table(db), name, address);
  for (int t = 0; t < kCallers; ++t) {
    CHECK(results[t].before.name == name(t));
    CHECK(results[t].after.changedAt == 1000 + t);
  }
  // One outbox row per change, and far fewer transactions than changes: each statement
  // waits 0.2 s, and the changes queued meanwhile go in the next one together.
  CHECK(db.server().psql("SELECT count(DISTINCT name) || ' ' || count(*) FROM chipmunk_outbox") ==
        "32 32");
  const int transactions = std::stoi(db.server().psql("SELECT count(DISTINCT tx) FROM test_tx"));
  CHECK(transactions <= kCallers / 2);
  const auto stats = db.pgStore().batchStats();
  CHECK(stats.changes == kCallers);
  CHECK(stats.batches == static_cast<uint64_t>(transactions));
  CHECK(stats.largest >= 4);
}

// Writes a first address to each of `count` records named by `name`, one at a time (each
// planned in SQL): the store knows their rows after.
template <typename Name>
void knowRecords(PgBackend& db, int count, Name name) {
  for (int t = 0; t < count; ++t) {
    REQUIRE(db.store().recordIp(name(t), ip("192.0.2." + std::to_string(t + 1)), 900).outcome ==
            SetOutcome::kSaved);
  }
}

TEST_CASE("PgStore: concurrent changes of known records go in pipelines, one transaction each",
          "[api][postgres]") {
  PgBackend db;
  constexpr int kCallers = 32;
  auto name = [](int t) { return "k" + std::to_string(t); };
  knowRecords(db, kCallers, name);
  const auto before = db.pgStore().batchStats();
  slowOutbox(db, "0.1");
  auto address = [](int t) { return "198.51.100." + std::to_string(t + 1); };
  const auto results = together(db.store(), kCallers, name, address);
  checkEachSaved(results, table(db), name, address);
  for (int t = 0; t < kCallers; ++t) {
    REQUIRE(results[t].before.ip);
    CHECK(results[t].before.ip->toString() == "192.0.2." + std::to_string(t + 1));
  }
  // Each planned from the row the store knew, one outbox row each, and the statements of
  // one batch committed together: far fewer transactions than changes.
  CHECK(db.pgStore().knownWrites() == kCallers);
  CHECK(db.server().psql("SELECT count(DISTINCT name) || ' ' || count(*) FROM chipmunk_outbox"
                         " WHERE created_at >= 1000") == "32 32");
  const int transactions = std::stoi(db.server().psql("SELECT count(DISTINCT tx) FROM test_tx"));
  CHECK(transactions <= kCallers / 2);
  const auto stats = db.pgStore().batchStats();
  CHECK(stats.batches - before.batches == static_cast<uint64_t>(transactions));
  CHECK(stats.largest >= 4);
}

TEST_CASE(
    "PgStore: a pipeline with a failing statement commits nothing and each change is saved once",
    "[api][postgres]") {
  PgBackend db;
  constexpr int kCallers = 16;
  auto name = [](int t) { return "k" + std::to_string(t); };
  knowRecords(db, kCallers, name);
  // k10..k13 go first and hold every batch that may run (4) for 0.3 s; the 12 others queue
  // up meanwhile and go in one pipeline after them. k5's first update there fails (a
  // sequence is not rolled back with its transaction).
  db.server().psql(
      "CREATE SEQUENCE test_fail;"
      "CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
      "IF NEW.name IN ('k10', 'k11', 'k12', 'k13') THEN PERFORM pg_sleep(0.3); END IF; "
      "IF NEW.name = 'k5' AND nextval('test_fail') = 1 THEN "
      "RAISE EXCEPTION 'test failure'; END IF; RETURN NEW; END$$;"
      "CREATE TRIGGER test_fail BEFORE UPDATE ON chipmunk_records FOR EACH ROW "
      "EXECUTE FUNCTION test_fail()");
  const auto revisions = [&db] {
    return std::stoi(db.server().psql("SELECT sum(revision) FROM chipmunk_records"));
  };
  const int revisionsBefore = revisions();
  auto address = [](int t) { return "198.51.100." + std::to_string(t + 1); };
  std::vector<UpdateResult> results(kCallers);
  std::vector<std::thread> callers;
  auto call = [&](int t) {
    callers.emplace_back(
        [&, t] { results[t] = db.store().recordIp(name(t), ip(address(t)), 1000 + t); });
  };
  for (int t = 10; t < 14; ++t) {
    call(t);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int t = 0; t < kCallers; ++t) {
    if (t < 10 || t >= 14) {
      call(t);
    }
  }
  for (auto& c : callers) {
    c.join();
  }
  checkEachSaved(results, table(db), name, address);
  CHECK(db.server().psql("SELECT is_called FROM test_fail") == "t");  // k5 did fail once
  CHECK(db.pgStore().batchStats().largest >= 8);
  // Every change written once: one outbox row each, and the records' revisions went up by
  // one each (the failed pipeline committed nothing; its changes were planned again).
  CHECK(db.server().psql("SELECT count(DISTINCT name) || ' ' || count(*) FROM chipmunk_outbox"
                         " WHERE created_at >= 1000") == "16 16");
  CHECK(revisions() - revisionsBefore == kCallers);
}

TEST_CASE("PgStore: concurrent changes of one name apply one after another, one row each",
          "[api][postgres]") {
  PgBackend db;
  slowOutbox(db, "0.01");
  constexpr int kCallers = 8;
  constexpr int kRounds = 15;
  std::atomic<int> saved{0};
  std::atomic<int> other{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        // Every change a new address of "same", among changes of other names.
        const std::string a = "10." + std::to_string(t) + "." + std::to_string(i) + ".1";
        const auto r = db.store().recordIp("same", ip(a), 2000 + i);
        (r.outcome == SetOutcome::kSaved && r.after.ip->toString() == a ? saved : other)++;
        db.store().recordIp("o" + std::to_string(t), ip(a), 2000 + i);
      }
    });
  }
  for (auto& c : callers) {
    c.join();
  }
  CHECK(saved == kCallers * kRounds);
  CHECK(other == 0);
  // The rows of "same", in commit order, form one chain: each starts where the one before
  // ended, and the last ends at the stored address.
  std::istringstream rows(db.server().psql(
      "SELECT coalesce(before->>'ip', '-') || ' ' || (after->>'ip') FROM chipmunk_outbox "
      "WHERE name = 'same' ORDER BY id"));
  std::string previous = "-";
  int count = 0;
  for (std::string before, after; rows >> before >> after; ++count) {
    INFO("row " << count);
    CHECK(before == previous);
    previous = after;
  }
  CHECK(count == kCallers * kRounds);
  CHECK(table(db)["same"] == previous);
  CHECK(db.pgStore().batchStats().largest >= 2);
}

TEST_CASE("PgStore: a batch that fails fails every change of it and writes none",
          "[api][postgres]") {
  PgBackend db;
  slowOutbox(db, "0.2");
  db.breakWrites("poison");  // a row trigger raises for this name: its statement fails
  // One batch at a time: the first caller's runs alone (0.2 s), every later one is queued
  // meanwhile and goes in the next, poison with them.
  chipmunk::api::PgStore store(std::make_shared<chipmunk::api::pg::Pool>(
                                   db.server().conninfo(), 4, std::chrono::milliseconds(500)),
                               std::chrono::seconds(60), 1);
  constexpr int kCallers = 24;
  auto name = [](int t) {
    return t == kCallers - 1 ? std::string("poison") : "f" + std::to_string(t);
  };
  auto address = [](int t) {
    if (t == kCallers - 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // not the first batch's
    }
    return "203.0.113." + std::to_string(t + 1);
  };
  const auto results = together(store, kCallers, name, address);
  const auto rows = table(db);
  int failed = 0;
  for (int t = 0; t < kCallers; ++t) {
    INFO(name(t));
    if (results[t].outcome == SetOutcome::kSaved) {
      CHECK(rows.count(name(t)) == 1);
    } else {
      CHECK(results[t].outcome == SetOutcome::kFailed);
      CHECK(rows.count(name(t)) == 0);
      ++failed;
    }
  }
  CHECK(results[kCallers - 1].outcome == SetOutcome::kFailed);
  // The poisoned change took others of its batch with it, and no outbox row of theirs.
  CHECK(failed >= 2);
  CHECK(failed < kCallers);
  CHECK(std::stoi(db.server().psql("SELECT count(*) FROM chipmunk_outbox")) == kCallers - failed);
  // Those callers try again (as clients after a 503): written, once each.
  db.healWrites("poison");
  for (int t = 0; t < kCallers; ++t) {
    if (results[t].outcome == SetOutcome::kFailed) {
      CHECK(store.recordIp(name(t), ip(address(t)), 5000).outcome == SetOutcome::kSaved);
    }
  }
  CHECK(db.server().psql("SELECT count(DISTINCT name) || ' ' || count(*) FROM chipmunk_outbox") ==
        std::to_string(kCallers) + " " + std::to_string(kCallers));
}

TEST_CASE("PgStore: concurrent writers through a server restart lose no saved write",
          "[api][postgres]") {
  PgBackend db;
  constexpr int kCallers = 8;
  constexpr int kMaxWrites = 4000;  // per caller
  std::vector<std::vector<SetOutcome>> outcomes(kCallers);
  std::atomic<int> done{0};
  std::atomic<bool> enough{false};
  auto name = [](int t, int i) { return "r" + std::to_string(t) + "-" + std::to_string(i); };
  auto address = [](int i) { return "198.51.100." + std::to_string(1 + i % 200); };
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kMaxWrites && !enough; ++i) {
        outcomes[t].push_back(db.store().recordIp(name(t, i), ip(address(i)), 1000 + i).outcome);
        ++done;
        if (outcomes[t].back() == SetOutcome::kFailed) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    });
  }
  auto waitFor = [&](int count) {
    for (int i = 0; i < 30000 && done < count; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done >= count;
  };
  CHECK(waitFor(200));
  db.server().stop();
  const bool restarted = db.server().start();
  CHECK(waitFor(done + 200));
  enough = true;
  for (auto& c : callers) {
    c.join();
  }
  REQUIRE(restarted);
  const auto rows = table(db);
  int saved = 0;
  int failed = 0;
  for (int t = 0; t < kCallers; ++t) {
    for (size_t i = 0; i < outcomes[t].size(); ++i) {
      INFO(name(t, static_cast<int>(i)));
      if (outcomes[t][i] == SetOutcome::kSaved) {
        ++saved;
        CHECK(rows.count(name(t, static_cast<int>(i))) == 1);
      } else {
        CHECK(outcomes[t][i] == SetOutcome::kFailed);
        ++failed;
      }
    }
  }
  CHECK(saved >= 300);
  CHECK(failed >= 1);
  // Every record stored was announced once (a write cut off by the stop may have committed
  // and been answered kFailed: stored and announced, never announced twice).
  CHECK(db.server().psql("SELECT count(*) FROM chipmunk_outbox WHERE name LIKE 'r%'") ==
        std::to_string(rows.size()));
  CHECK(db.pgStore().batchStats().largest >= 2);
}

TEST_CASE("PgStore: changes nothing consumes write no outbox row, in a batch or alone",
          "[api][postgres]") {
  PgBackend db;
  slowOutbox(db, "0.2");
  // Only the odd records have something that reads their rows (a hook, a push target).
  db.pgStore().setOutboxWanted([](const std::string& name) { return name.back() % 2 == 1; });
  constexpr int kCallers = 32;
  auto name = [](int t) { return "c" + std::to_string(t); };
  auto address = [](int t) { return "198.51.100." + std::to_string(t + 1); };
  const auto results = together(db.store(), kCallers, name, address);
  std::map<std::string, std::string> expected;
  for (int t = 0; t < kCallers; ++t) {
    expected[name(t)] = address(t);
  }
  CHECK(table(db) == expected);  // every change written, with or without its row
  CHECK(std::all_of(results.begin(), results.end(),
                    [](const UpdateResult& r) { return r.outcome == SetOutcome::kSaved; }));
  CHECK(db.pgStore().batchStats().largest >= 4);
  CHECK(db.server().psql("SELECT count(*) || ' ' || count(*) FILTER (WHERE right(name, 1)::int"
                         " % 2 = 1) FROM chipmunk_outbox") == "16 16");
  // Alone (the one-change statement), and back to every change once the filter is gone.
  REQUIRE(db.store().recordIp("c2", ip("198.51.100.200"), 2000).outcome == SetOutcome::kSaved);
  REQUIRE(db.store().recordIp("c3", ip("198.51.100.201"), 2000).outcome == SetOutcome::kSaved);
  db.pgStore().setOutboxWanted(nullptr);
  REQUIRE(db.store().recordIp("c4", ip("198.51.100.202"), 2000).outcome == SetOutcome::kSaved);
  CHECK(db.server().psql("SELECT string_agg(name, ' ' ORDER BY id) FROM chipmunk_outbox"
                         " WHERE created_at = 2000") == "c3 c4");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
