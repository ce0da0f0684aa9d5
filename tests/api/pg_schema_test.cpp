// SPDX-License-Identifier: MIT
// The PostgreSQL plumbing against a real PostgreSQL: connections, the pool's reconnect
// after a server restart, and the schema migrations (applied once, refused when newer).
#include <catch2/catch.hpp>

#include "api/pg_connection.hpp"
#include "api/pg_schema.hpp"
#include "tests/support/postgres_server.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using chipmunk::test::PostgresServer;

TEST_CASE("Postgres: migrations apply once and a newer schema is refused",
          "[api][postgres][integration]") {
  PostgresServer server;
  const bool started = server.start();
  INFO(server.log());
  REQUIRE(started);
  std::string error;
  auto conn = api::pg::Connection::open(server.conninfo(), error);
  REQUIRE(conn);
  CHECK(api::pg::databaseSchemaVersion(*conn) == 0);
  REQUIRE(api::pg::migrateSchema(*conn, error));
  CHECK(api::pg::databaseSchemaVersion(*conn) == api::pg::schemaVersion());
  // A second start (another replica) changes nothing.
  REQUIRE(api::pg::migrateSchema(*conn, error));
  CHECK(server.psql("SELECT count(*) FROM chipmunk_schema") ==
        std::to_string(api::pg::schemaVersion()));
  CHECK(server.psql("SELECT count(*) FROM chipmunk_records") == "0");
  // A newer chipmunk-api migrated this database: this one must not write into it.
  server.psql("INSERT INTO chipmunk_schema (version) VALUES (999)");
  CHECK_FALSE(api::pg::migrateSchema(*conn, error));
  CHECK(error.find("999") != std::string::npos);
  CHECK(error.find("upgrade chipmunk-api") != std::string::npos);
}

TEST_CASE("Postgres: the pool reconnects after the server restarts and waits bounded",
          "[api][postgres][integration]") {
  PostgresServer server;
  const bool started = server.start();
  INFO(server.log());
  REQUIRE(started);
  api::pg::Pool pool(server.conninfo(), 1, std::chrono::milliseconds(200));
  {
    auto lease = pool.acquire();
    REQUIRE(lease);
    CHECK(lease->exec("SELECT 1").get(0, 0) == "1");
    // The only connection is taken: a second acquire waits 200 ms, then gives up.
    const auto before = std::chrono::steady_clock::now();
    CHECK_FALSE(pool.acquire());
    CHECK(std::chrono::steady_clock::now() - before >= std::chrono::milliseconds(150));
    CHECK(pool.lastError() == "no free database connection");
  }
  server.stop();
  {
    auto lease = pool.acquire();  // the idle connection looks fine until used
    if (lease) {
      CHECK_FALSE(lease->exec("SELECT 1").ok());
    }
  }
  CHECK_FALSE(pool.acquire());  // the server is down: no connection, an error to log
  CHECK_FALSE(pool.lastError().empty());
  REQUIRE(server.start());
  auto lease = pool.acquire();
  REQUIRE(lease);
  CHECK(lease->exec("SELECT 2").get(0, 0) == "2");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
