// SPDX-License-Identifier: MIT
// PgStore::update when the answer to its statement is lost with the connection
// (api/pg_store_write.cpp): the statement committed, the store cannot tell, and pg::Pool::run runs
// it again on a fresh connection. The change's write token, stored with the record, makes the
// second run see the first one's write: answered saved, written and announced once. Against a real
// PostgreSQL behind a proxy that loses the answer (tests/support/cutting_proxy.hpp).
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/pg_connection.hpp"
#include "api/pg_store.hpp"
#include "tests/api/store_backends.hpp"
#include "tests/support/cutting_proxy.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::IpAddress;
using chipmunk::api::SetOutcome;
using chipmunk::test::PgBackend;

IpAddress ip(const std::string& text) {
  return *IpAddress::parse(text);
}

// PostgreSQL and, between it and the store, a link that can lose the answer to a statement
// after PostgreSQL got it (and committed it).
struct LossyLink {
  PgBackend db;
  chipmunk::test::CuttingProxy proxy{db.server().socketDir() + "/.s.PGSQL.5432", ".s.PGSQL.5432"};
  // A store whose connections go through the proxy, running `inFlight` statements at once.
  std::unique_ptr<chipmunk::api::PgStore> store(
      size_t inFlight = chipmunk::api::PgStore::kBatchesInFlight) {
    REQUIRE(proxy.listening());
    auto pool = std::make_shared<chipmunk::api::pg::Pool>(
        "host=" + proxy.directory() + " port=5432 user=postgres dbname=postgres connect_timeout=5",
        4, std::chrono::milliseconds(2000));
    return std::make_unique<chipmunk::api::PgStore>(pool, std::chrono::seconds(60), inFlight);
  }
};

TEST_CASE("PgStore: a change whose answer was lost runs again, is answered saved, written once",
          "[api][postgres]") {
  LossyLink link;
  auto& proxy = link.proxy;
  auto owned = link.store();
  auto& store = *owned;
  // A new record (planned in SQL): committed, its answer lost, run again on a fresh
  // connection (pg::Pool::run), which finds the record written by this very change.
  proxy.cutAfter("198.51.100.7");
  const auto first = store.recordIp("cut", ip("198.51.100.7"), 1000);
  CHECK(proxy.cuts() == 1);
  CHECK(first.outcome == SetOutcome::kSaved);
  REQUIRE(first.after.ip);
  CHECK(first.after.ip->toString() == "198.51.100.7");
  // A change planned from the row this process knows (the compare-and-set): the same.
  proxy.cutAfter("198.51.100.8");
  const auto second = store.recordIp("cut", ip("198.51.100.8"), 1010);
  CHECK(proxy.cuts() == 2);
  CHECK(second.outcome == SetOutcome::kSaved);
  REQUIRE(second.after.ip);
  CHECK(second.after.ip->toString() == "198.51.100.8");
  // Each written once, announced once.
  CHECK(link.db.server().psql(
            "SELECT ip || ' ' || first_seen || ' ' || changed_at || ' ' || revision "
            "FROM chipmunk_records WHERE name = 'cut'") == "198.51.100.8 1000 1010 2");
  CHECK(link.db.server().psql("SELECT string_agg(coalesce(before->>'ip', '-') || '>' || "
                              "(after->>'ip'), ', ' ORDER BY id) FROM chipmunk_outbox") ==
        "->198.51.100.7, 198.51.100.7>198.51.100.8");
  // The token is the change's own: the next poll of the same address is unchanged, and the
  // next change is a change.
  CHECK(store.recordIp("cut", ip("198.51.100.8"), 1020).outcome == SetOutcome::kUnchanged);
  CHECK(store.recordIp("cut", ip("198.51.100.9"), 1030).outcome == SetOutcome::kSaved);
  CHECK(proxy.cuts() == 2);
}

TEST_CASE("PgStore: a batch whose answer was lost runs again, each change answered saved once",
          "[api][postgres]") {
  LossyLink link;
  auto& proxy = link.proxy;
  // One statement at a time: changes queued behind a running one go together.
  auto owned = link.store(1);
  auto& store = *owned;
  REQUIRE(store.recordIp("a", ip("198.51.100.20"), 1000).outcome == SetOutcome::kSaved);
  // The running statement waits on a row another session holds; b and c queue behind it.
  std::string error;
  auto holder = chipmunk::api::pg::Connection::open(link.db.server().conninfo(), error);
  REQUIRE(holder);
  REQUIRE(holder->exec("BEGIN").ok());
  REQUIRE(holder->exec("SELECT 1 FROM chipmunk_records WHERE name = 'a' FOR UPDATE").ok());
  std::vector<SetOutcome> outcomes(3, SetOutcome::kFailed);
  std::thread first([&] { outcomes[0] = store.recordIp("a", ip("198.51.100.21"), 1010).outcome; });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::thread second([&] { outcomes[1] = store.recordIp("b", ip("198.51.100.22"), 1010).outcome; });
  std::thread third([&] { outcomes[2] = store.recordIp("c", ip("198.51.100.23"), 1010).outcome; });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  proxy.cutAfter("198.51.100.23");  // in the batch of b and c
  REQUIRE(holder->exec("COMMIT").ok());
  first.join();
  second.join();
  third.join();
  CHECK(proxy.cuts() == 1);
  CHECK(store.batchStats().largest == 2);
  CHECK(outcomes == std::vector<SetOutcome>(3, SetOutcome::kSaved));
  CHECK(
      link.db.server().psql("SELECT string_agg(name || ' ' || ip || ' ' || revision, ', ' ORDER BY "
                            "name) FROM chipmunk_records") ==
      "a 198.51.100.21 2, b 198.51.100.22 1, c 198.51.100.23 1");
  CHECK(link.db.server().psql("SELECT string_agg(name || '>' || (after->>'ip'), ', ' ORDER BY id) "
                              "FROM chipmunk_outbox WHERE name <> 'a'") ==
        "b>198.51.100.22, c>198.51.100.23");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
