// SPDX-License-Identifier: MIT
// The outbox's hooks name the owner of a record the directory holds (`chipmunk-api host
// add`), not only of the INI's [Hosts]: the store writes its events without an owner, and
// the dispatcher looks it up as the running server sees it.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "api/app.hpp"
#include "api/directory.hpp"
#include "api/outbox.hpp"
#include "common/password_hash.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;
using chipmunk::test::waitUntil;

std::string firstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST_CASE("Outbox: a directory host's hook names its owner",
          "[api][outbox][postgres][integration]") {
  test::TempDir dir;
  App app;
  app.configPath = dir.file("api.ini");
  const std::string hooks = dir.file("hooks.txt");
  test::PostgresServer pg;
  REQUIRE(pg.start());
  test::writeFile(app.configPath,
                  "[Paths]\nclient_update_dir = " + dir.path() +
                      "\n[Store]\nbackend = postgresql\npostgresql = " + pg.conninfo() +
                      "\n[Users]\nalice = secret\n[Hosts]\nnas.example.org = alice\n"
                      "[Hooks]\non_change = echo \"$CHIPMUNK_HOST=$CHIPMUNK_USER\" >> " +
                      hooks + "\n");
  std::vector<std::string> errors;
  REQUIRE(config::loadApiConfig(app.configPath, app.providerDecls, app.config, errors));
  buildApp(app);
  std::string error;
  auto directory = openPgDirectory(pg.conninfo(), error);
  INFO(error);
  REQUIRE(directory);
  REQUIRE(directory->putUser({"carol", hashPassword("c-pw", kMinPbkdf2Iterations)}, true, false,
                             error));
  REQUIRE(directory->putHost({"pi.example.org", "carol"}, error));
  REQUIRE(
      waitUntil([&] { return app.server->service().ownerLookup()("pi.example.org") == "carol"; },
                std::chrono::seconds(5)));

  // As a /set writes it: the record and its outbox row (no owner) in one transaction.
  const auto written =
      app.store->recordIp("pi.example.org", *IpAddress::parse("203.0.113.9"), 1700000000);
  REQUIRE(written.outcome == SetOutcome::kSaved);
  app.outbox->start();
  REQUIRE(waitUntil([&] { return !firstLine(hooks).empty(); }, std::chrono::seconds(10)));
  app.outbox->stop();
  app.directory->stop();
  CHECK(firstLine(hooks) == "pi.example.org=carol");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
