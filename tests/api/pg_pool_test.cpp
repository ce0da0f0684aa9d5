// SPDX-License-Identifier: MIT
// pg::Pool::run, the one retry rule of the PostgreSQL store and the directory lookups,
// against a real PostgreSQL: a broken connection (SQLSTATE class 08 or 57P, or a connection
// libpq sees closed) is retried once on a fresh one, an error in the statement never; a
// restart between two statements costs neither the store nor the lookups a failure.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "api/directory.hpp"
#include "api/pg_connection.hpp"
#include "api/pg_schema.hpp"
#include "tests/api/store_backends.hpp"
#include "tests/support/postgres_server.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::IpAddress;
using chipmunk::api::SetOutcome;
using chipmunk::api::pg::Pool;
using chipmunk::api::pg::Result;
using chipmunk::test::PgBackend;
using chipmunk::test::PostgresServer;

// A server with tries(): each call counts itself in a sequence (not rolled back) and fails
// with the SQLSTATE it is given, as a server shutting down or a broken link would answer.
struct Server {
  PostgresServer pg;
  Server() {
    const bool started = pg.start();
    INFO(pg.log());
    REQUIRE(started);
    REQUIRE(pg.psql("CREATE SEQUENCE tried; CREATE FUNCTION fail_with(code text) RETURNS int "
                    "LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('tried'); "
                    "RAISE EXCEPTION 'simulated' USING ERRCODE = code; END $$; SELECT 1") == "1");
  }
  // How many times fail_with ran since the last call.
  int tries() {
    const std::string n =
        pg.psql("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM tried");
    REQUIRE(pg.psql("SELECT setval('tried', 1, false)") == "1");
    return std::stoi(n);
  }
};

TEST_CASE("pg::Pool: a broken connection is retried once on a fresh one, a failed statement never",
          "[api][postgres]") {
  Server s;
  Pool pool(s.pg.conninfo(), 2, std::chrono::milliseconds(2000));
  Result r;
  // The connection is healthy as libpq sees it: the SQLSTATE alone says it broke.
  for (const char* broken : {"57P01", "08006"}) {
    INFO(broken);
    CHECK(pool.run("SELECT fail_with($1)", {std::string(broken)}, r) ==
          Pool::RunStatus::kUnavailable);
    CHECK(r.sqlState() == broken);
    CHECK(s.tries() == 2);
    CHECK(pool.lastError().find("simulated") != std::string::npos);
  }
  CHECK(pool.run("SELECT fail_with($1)", {std::string("22012")}, r) == Pool::RunStatus::kFailed);
  CHECK(r.sqlState() == "22012");
  CHECK(s.tries() == 1);
  REQUIRE(pool.run("SELECT $1::int + 1", {std::string("41")}, r) == Pool::RunStatus::kOk);
  CHECK(r.get(0, 0) == "42");
  // A restart between two statements: the second one runs, on a fresh connection.
  s.pg.stop();
  CHECK(pool.run("SELECT 1", {}, r) == Pool::RunStatus::kUnavailable);
  REQUIRE(s.pg.start());
  CHECK(pool.run("SELECT 1", {}, r) == Pool::RunStatus::kOk);
  s.pg.stop();
  REQUIRE(s.pg.start());
  CHECK(pool.run("SELECT 2", {}, r) == Pool::RunStatus::kOk);
  CHECK(r.get(0, 0) == "2");
}

TEST_CASE("pg::Pool: a restart between two writes or two lookups fails neither",
          "[api][postgres]") {
  PgBackend db;
  auto& store = db.store();
  std::string error;
  auto directory = chipmunk::api::openPgDirectory(db.server().conninfo(), error);
  REQUIRE(directory);
  REQUIRE(directory->putUser({"carol", "$pbkdf2-sha256$1000$c2FsdA$aGFzaA"}, true, false, error));
  auto* lookup = directory->lookup();
  REQUIRE(lookup);
  const auto address = [](const char* text) { return *IpAddress::parse(text); };
  CHECK(store.recordIp("w1", address("198.51.100.1"), 1000).outcome == SetOutcome::kSaved);
  CHECK(lookup->users({"carol"}).size() == 1);
  db.server().stop();
  REQUIRE(db.server().start());
  CHECK(store.recordIp("w2", address("198.51.100.2"), 1001).outcome == SetOutcome::kSaved);
  CHECK(lookup->users({"carol"}).size() == 1);  // throws DirectoryUnavailable if it failed
  CHECK(store.get("w1"));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
