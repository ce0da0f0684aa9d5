// SPDX-License-Identifier: MIT
// The outbox dispatcher against a real PostgreSQL: the rows are inserted here as the store
// writes them; two dispatchers share the database as two replicas would.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "api/outbox.hpp"
#include "api/pg_connection.hpp"
#include "api/pg_schema.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace std::chrono_literals;
using chipmunk::test::PostgresServer;
using chipmunk::test::waitUntil;

struct Handled {
  long long id;
  std::string name;
  std::string by;
  std::string tx;  // the transaction that ran it
};

// Records every event it is given; `gate` set: blocks in the first one until released.
// Events of records named "quiet..." have no effects (OutboxHandler::hasEffects).
class RecordingHandler final : public api::OutboxHandler {
 public:
  RecordingHandler(std::string tag, std::vector<Handled>& log, std::mutex& mutex)
      : tag_(std::move(tag)), log_(log), mutex_(mutex) {}
  api::OutboxOutcome handle(api::pg::Connection& tx, const api::OutboxEvent& event) override {
    const auto txid = tx.exec("SELECT txid_current()");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      log_.push_back({event.id, event.after.name, tag_, std::string(txid.get(0, 0))});
    }
    std::unique_lock<std::mutex> lock(gateMutex_);
    entered_ = true;
    gateCv_.notify_all();
    gateCv_.wait_for(lock, 20s, [this] { return !gate_; });
    return {};
  }
  bool hasEffects(const api::OutboxEvent& event) const override {
    return event.after.name.rfind("quiet", 0) != 0;
  }
  void closeGate() {
    std::lock_guard<std::mutex> lock(gateMutex_);
    gate_ = true;
  }
  void openGate() {
    std::lock_guard<std::mutex> lock(gateMutex_);
    gate_ = false;
    gateCv_.notify_all();
  }
  bool entered() {
    std::lock_guard<std::mutex> lock(gateMutex_);
    return entered_;
  }

 private:
  std::string tag_;
  std::vector<Handled>& log_;
  std::mutex& mutex_;
  std::mutex gateMutex_;
  std::condition_variable gateCv_;
  bool gate_ = false;
  bool entered_ = false;
};

// A real PostgreSQL with the schema, and two recording handlers ("a", "b") for the
// dispatchers of two replicas.
struct Database {
  PostgresServer server;
  std::unique_ptr<api::pg::Connection> conn;
  std::mutex mutex;
  std::vector<Handled> log;  // what the handlers were given, in order
  std::shared_ptr<RecordingHandler> a = std::make_shared<RecordingHandler>("a", log, mutex);
  std::shared_ptr<RecordingHandler> b = std::make_shared<RecordingHandler>("b", log, mutex);

  void open() {
    const bool started = server.start();
    INFO(server.log());
    REQUIRE(started);
    std::string error;
    conn = api::pg::Connection::open(server.conninfo(), error);
    REQUIRE(conn);
    REQUIRE(api::pg::migrateSchema(*conn, error));
  }
  // An event for record `name`, as the store writes it: the row, then (after its commit)
  // the wake-up (api/pg_store_wake.hpp).
  void insert(const std::string& name, const std::string& ip = "203.0.113.7") {
    auto r = conn->exec(
        "INSERT INTO chipmunk_outbox (kind, owner, name, before, after) VALUES ('changed',"
        " 'alice', $1, NULL, jsonb_build_object('name', $1::text, 'ip', $2::text, 'ipv4', $2))",
        {name, ip});
    REQUIRE(r.ok());
    REQUIRE(conn->exec("NOTIFY chipmunk_outbox").ok());
  }
  long long pending() { return conn->exec("SELECT count(*) FROM chipmunk_outbox").getInt(0, 0); }
  // `rows` events, the i-th of record `name(i)`.
  template <typename Name>
  void insertMany(int rows, Name name) {
    for (int i = 0; i < rows; ++i) {
      insert(name(i));
    }
  }
};

// Checks that every event of `log` was handled once and the rows of each record in the
// order written; the transactions that ran them.
std::set<std::string> checkEachOnceInOrder(const std::vector<Handled>& log) {
  std::set<long long> ids;
  std::set<std::string> transactions;
  std::map<std::string, long long> last;  // per record, the last id handled
  for (const auto& h : log) {
    CHECK(ids.insert(h.id).second);
    CHECK(h.id > last[h.name]);  // rows of one record in order, whichever replica ran them
    last[h.name] = h.id;
    transactions.insert(h.tx);
  }
  return transactions;
}

api::OutboxDispatcher::Options fast() {
  api::OutboxDispatcher::Options o;
  o.poll = 200ms;
  o.reconnectMin = 50ms;
  o.reconnectMax = 500ms;
  return o;
}

TEST_CASE("Outbox: two dispatchers on one database handle every row exactly once, in order",
          "[api][outbox][postgres][integration]") {
  Database db;
  db.open();
  api::OutboxDispatcher first(db.server.conninfo(), db.a, fast());
  api::OutboxDispatcher second(db.server.conninfo(), db.b, fast());
  first.start();
  second.start();
  constexpr int kRows = 300;
  db.insertMany(kRows, [](int i) { return "host" + std::to_string(i % 20); });
  REQUIRE(waitUntil([&] { return db.pending() == 0; }, 60s));
  first.stop();
  second.stop();
  std::lock_guard<std::mutex> lock(db.mutex);
  REQUIRE(db.log.size() == kRows);
  checkEachOnceInOrder(db.log);
  CHECK(first.stats().done + second.stats().done == kRows);
}

TEST_CASE("Outbox: a dispatcher whose connection dies mid-row leaves the row to the other",
          "[api][outbox][postgres][integration]") {
  Database db;
  db.open();
  db.a->closeGate();
  api::OutboxDispatcher first(db.server.conninfo() + " application_name=outbox_a", db.a, fast());
  api::OutboxDispatcher second(db.server.conninfo(), db.b, fast());
  first.start();
  db.insert("home");
  REQUIRE(waitUntil([&] { return db.a->entered(); }, 10s));
  // The row is locked by the first dispatcher's open transaction: the second skips it.
  second.start();
  std::this_thread::sleep_for(600ms);
  {
    std::lock_guard<std::mutex> lock(db.mutex);
    CHECK(db.log.size() == 1);
  }
  // The first replica's connection dies (a crash, a network cut): the server rolls its
  // transaction back and the row is free.
  CHECK(db.server.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE application_name = 'outbox_a'") == "1");
  REQUIRE(waitUntil([&] { return db.pending() == 0; }, 10s));
  db.a->openGate();
  REQUIRE(waitUntil([&] { return first.stats().lostCommits == 1; }, 10s));
  // The first one reconnects and finds nothing left: the row ran once on the second.
  REQUIRE(waitUntil([&] { return first.stats().connects >= 2; }, 10s));
  std::this_thread::sleep_for(500ms);
  first.stop();
  second.stop();
  std::lock_guard<std::mutex> lock(db.mutex);
  REQUIRE(db.log.size() == 2);
  CHECK(db.log[1].by == "b");
  CHECK(db.log[1].id == db.log[0].id);
  CHECK(second.stats().done == 1);
  CHECK(first.stats().done == 0);
}

TEST_CASE("Outbox: a notification wakes the dispatcher long before its poll",
          "[api][outbox][postgres][integration]") {
  Database db;
  db.open();
  auto options = fast();
  options.poll = 60s;  // only LISTEN/NOTIFY can explain a quick pick-up
  api::OutboxDispatcher dispatcher(db.server.conninfo(), db.a, options);
  dispatcher.start();
  REQUIRE(waitUntil([&] { return dispatcher.stats().connects == 1; }, 10s));
  std::this_thread::sleep_for(300ms);  // the dispatcher is asleep now
  db.insert("home");
  CHECK(waitUntil([&] { return db.pending() == 0; }, 10s));
  dispatcher.stop();  // returns at once although the poll is 60 s
  CHECK(dispatcher.stats().done == 1);
}

TEST_CASE("Outbox: the dispatcher reconnects after PostgreSQL restarts",
          "[api][outbox][postgres][integration]") {
  Database db;
  db.open();
  api::OutboxDispatcher dispatcher(db.server.conninfo(), db.a, fast());
  dispatcher.start();
  db.insert("before");
  REQUIRE(waitUntil([&] { return db.pending() == 0; }, 10s));
  db.conn.reset();
  db.server.stop();
  std::this_thread::sleep_for(500ms);  // the dispatcher retries against a server that is down
  REQUIRE(db.server.start());
  std::string error;
  db.conn = api::pg::Connection::open(db.server.conninfo(), error);
  REQUIRE(db.conn);
  db.insert("after");
  REQUIRE(waitUntil([&] { return db.pending() == 0; }, 20s));
  dispatcher.stop();
  CHECK(dispatcher.stats().connects >= 2);
  CHECK(dispatcher.stats().done == 2);
}

TEST_CASE("Outbox: rows with nothing to run are finished many to a transaction, each once",
          "[api][outbox][postgres][integration]") {
  Database db;
  db.open();
  constexpr int kRows = 300;
  // Three rows per record, all there before the dispatchers start.
  db.insertMany(kRows, [](int i) { return "quiet" + std::to_string(i % 100); });
  api::OutboxDispatcher first(db.server.conninfo(), db.a, fast());
  api::OutboxDispatcher second(db.server.conninfo(), db.b, fast());
  first.start();
  second.start();
  REQUIRE(waitUntil([&] { return db.pending() == 0; }, 60s));
  first.stop();
  second.stop();
  std::lock_guard<std::mutex> lock(db.mutex);
  REQUIRE(db.log.size() == kRows);
  // One row per transaction would be 300 of them; up to 64 rows go together.
  CHECK(checkEachOnceInOrder(db.log).size() <= kRows / 4);
  CHECK(first.stats().done + second.stats().done == kRows);
}

TEST_CASE("Outbox: a row with effects runs in a transaction of its own",
          "[api][outbox][postgres][integration]") {
  Database db;
  db.open();
  constexpr int kRows = 60;
  db.insertMany(kRows, [](int i) { return (i % 3 == 0 ? "hook" : "quiet") + std::to_string(i); });
  api::OutboxDispatcher dispatcher(db.server.conninfo(), db.a, fast());
  dispatcher.start();
  REQUIRE(waitUntil([&] { return db.pending() == 0; }, 60s));
  dispatcher.stop();
  std::lock_guard<std::mutex> lock(db.mutex);
  REQUIRE(db.log.size() == kRows);
  std::map<std::string, int> rowsOf;  // per transaction
  for (const auto& h : db.log) {
    ++rowsOf[h.tx];
  }
  long long previous = 0;
  for (const auto& h : db.log) {
    CHECK(h.id > previous);  // one dispatcher: in the order written
    previous = h.id;
    if (h.name.rfind("hook", 0) == 0) {
      INFO(h.name);
      CHECK(rowsOf[h.tx] == 1);
    }
  }
  // The 40 quiet rows went in the 20 gaps between hooks, two to a transaction.
  CHECK(rowsOf.size() == 20 + 20);
  CHECK(dispatcher.stats().done == kRows);
}

TEST_CASE("Outbox: a hook that runs long holds up only its own row, not the other records'",
          "[api][outbox][postgres][integration]") {
  Database db;
  db.open();
  // All there before the first dispatcher starts: it could claim every one of them.
  db.insert("hook0");
  db.insertMany(10, [](int i) { return "hook" + std::to_string(i + 1); });
  db.insertMany(5, [](int i) { return "quiet" + std::to_string(i); });
  db.a->closeGate();
  api::OutboxDispatcher first(db.server.conninfo(), db.a, fast());
  first.start();
  REQUIRE(waitUntil([&] { return db.a->entered(); }, 10s));
  // The first replica's hook for hook0 hangs: the second takes every other row meanwhile.
  api::OutboxDispatcher second(db.server.conninfo(), db.b, fast());
  second.start();
  CHECK(waitUntil([&] { return db.pending() == 1; }, 20s));
  {
    std::lock_guard<std::mutex> lock(db.mutex);
    CHECK(db.log.size() == 16);
  }
  db.a->openGate();
  REQUIRE(waitUntil([&] { return db.pending() == 0; }, 20s));
  first.stop();
  second.stop();
  std::lock_guard<std::mutex> lock(db.mutex);
  REQUIRE(db.log.size() == 16);
  checkEachOnceInOrder(db.log);
  CHECK(first.stats().done == 1);
  CHECK(second.stats().done == 15);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
