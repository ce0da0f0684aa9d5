// SPDX-License-Identifier: MIT
// The real chipmunk-api with [Store] backend = postgresql on a real PostgreSQL: the routes
// work on the database, an outage answers 503 and the service comes back with the server,
// and a database it cannot use stops the start with a clear error.
#include <catch2/catch.hpp>

#include "tests/api/integration_helpers.hpp"
#include "tests/support/postgres_server.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::integration;

const std::string kAlice = basicAuth("alice", "secret");

std::string pgConfig(const PostgresServer& server) {
  return "[Users]\nalice = secret\n\n[Store]\nbackend = postgresql\npostgresql = " +
         server.conninfo() + "\npool_size = 2\n";
}

TEST_CASE("Integration: chipmunk-api serves from PostgreSQL and answers 503 while it is down",
          "[api][integration][postgres]") {
  PostgresServer server;
  REQUIRE(server.start());
  ApiInstance api(pgConfig(server));
  REQUIRE(api.start());
  auto set = httpRequest(api.port(), "GET", "/set", kAlice);
  CHECK(set.status == 200);
  CHECK(set.body == "{\"Client_IP\": \"127.0.0.1\", \"status\": \"saved\"}");
  CHECK(server.psql("SELECT ip FROM chipmunk_records WHERE name = 'alice'") == "127.0.0.1");
  // No hook and no push target would read its outbox row: none was written.
  CHECK(server.psql("SELECT count(*) FROM chipmunk_outbox") == "0");
  // Nothing of the file store in the data directory.
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
  CHECK(httpRequest(api.port(), "GET", "/get/ip", kAlice).body.find("127.0.0.1") !=
        std::string::npos);
  const auto hosts = httpRequest(api.port(), "GET", "/hosts", kAlice);
  CHECK(hosts.status == 200);
  CHECK(hosts.body.find("127.0.0.1") != std::string::npos);
  CHECK(httpRequest(api.port(), "GET", "/set", kAlice).body ==
        "{\"Client_IP\": \"127.0.0.1\", \"status\": \"unchanged\"}");

  server.stop();
  set = httpRequest(api.port(), "GET", "/set", kAlice);
  CHECK(set.status == 503);
  CHECK(set.header("retry-after") == "5");
  CHECK(set.body == "Failed to persist information.");
  CHECK(api.process().running());
  REQUIRE(server.start());
  set = httpRequest(api.port(), "GET", "/set", kAlice);
  CHECK(set.status == 200);
  CHECK(set.body == "{\"Client_IP\": \"127.0.0.1\", \"status\": \"unchanged\"}");
  // The conninfo is a secret: never in the log.
  api.stop();
  CHECK(api.log().find(server.conninfo()) == std::string::npos);
  CHECK(api.log().find("backend=postgresql") != std::string::npos);
}

TEST_CASE("Integration: chipmunk-api refuses to start on a newer schema or no database",
          "[api][integration][postgres]") {
  PostgresServer server;
  REQUIRE(server.start());
  {
    ApiInstance api(pgConfig(server));
    REQUIRE(api.start());  // migrates
    api.stop();
  }
  server.psql("INSERT INTO chipmunk_schema (version) VALUES (999)");
  ApiInstance newer(pgConfig(server));
  CHECK_FALSE(newer.start());
  CHECK(newer.process().wait(std::chrono::seconds(5)) == 1);
  CHECK(newer.log().find("upgrade chipmunk-api") != std::string::npos);

  // A database that does not exist is no database still booting: exit at once.
  ApiInstance missing("[Users]\nalice = secret\n\n[Store]\nbackend = postgresql\npostgresql = " +
                      server.conninfo("nosuchdb") + "\n");
  CHECK_FALSE(missing.start());
  CHECK(missing.process().wait(std::chrono::seconds(5)) == 1);
  CHECK(missing.log().find("cannot connect to PostgreSQL") != std::string::npos);
  CHECK(missing.log().find("nosuchdb") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
