// SPDX-License-Identifier: MIT
// The directory inside the program: cached password checks across SIGHUP and directory
// changes (reloadConfig, DirectoryWatcher), and the PostgreSQL backend driven by the real
// chipmunk-api admin commands, seen by two watchers as two replicas would.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>

#include "api/app.hpp"
#include "common/base64.hpp"
#include "common/password_hash.hpp"
#include "tests/api/integration_helpers.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;
using chipmunk::test::integration::runApi;

Response ask(App& app, const std::string& user, const std::string& password, bool allowSlow) {
  RequestInfo r;
  r.path = "/get/ip";
  r.peer = *IpAddress::parse("192.0.2.7");
  r.authorization = "Basic " + base64Encode(user + ":" + password);
  return app.server->service().handle(r, allowSlow);
}

// True when alice's password is answered without a KDF (no slow check needed).
bool aliceIsCached(App& app) {
  const Response r = ask(app, "alice", "a-pw", false);
  return !r.needsSlowAuth && r.code == 200;
}

TEST_CASE("Directory: SIGHUP and directory changes keep cached password checks", "[api][unit]") {
  test::TempDir dir;
  App app;
  app.configPath = dir.file("chipmunk-api.ini");
  const std::string head = "[Paths]\nclient_update_dir = " + dir.path() + "\n[Users]\nalice = ";
  const std::string aliceHash = hashPassword("a-pw", kMinPbkdf2Iterations);
  test::writeFile(app.configPath, head + aliceHash + "\n");
  std::vector<std::string> errors;
  REQUIRE(config::loadApiConfig(app.configPath, app.providerDecls, app.config, errors));
  buildApp(app);
  CHECK(ask(app, "alice", "a-pw", false).needsSlowAuth);  // the first check runs the KDF
  CHECK(ask(app, "alice", "a-pw", true).code == 200);
  CHECK(aliceIsCached(app));

  test::writeFile(app.configPath, head + aliceHash + "\nbob = bobs\n");
  REQUIRE(reloadConfig(app));
  CHECK(aliceIsCached(app));  // SIGHUP: alice's hash did not change
  CHECK(ask(app, "bob", "bobs", false).code == 200);

  std::string error;
  auto directory = openFileDirectory(dir.path(), error);
  REQUIRE(directory);
  REQUIRE(directory->putUser({"carol", hashPassword("c-pw", kMinPbkdf2Iterations)}, true, false,
                             error));
  REQUIRE(app.directory->poll());
  CHECK(aliceIsCached(app));  // a directory change keeps it too
  CHECK(ask(app, "carol", "c-pw", false).needsSlowAuth);
  CHECK(ask(app, "carol", "c-pw", true).code == 200);

  // A new hash (even of the same password) is checked again.
  test::writeFile(app.configPath,
                  head + hashPassword("a-pw", kMinPbkdf2Iterations) + "\nbob = bobs\n");
  REQUIRE(reloadConfig(app));
  CHECK_FALSE(aliceIsCached(app));
  CHECK(ask(app, "carol", "c-pw", false).code == 200);  // the directory survives a SIGHUP
  app.directory->stop();
  app.server->shutdown();
  app.push->stop();
}

TEST_CASE("Directory: the PostgreSQL backend, changed by the admin commands, reaches replicas",
          "[api][postgres][integration]") {
  test::PostgresServer server;
  const bool started = server.start();
  INFO(server.log());
  REQUIRE(started);
  test::TempDir dir;
  const std::string ini = dir.file("api.ini");
  test::writeFile(ini, "[Paths]\nclient_update_dir = " + dir.path() +
                           "\n[Store]\nbackend = postgresql\npostgresql = " + server.conninfo() +
                           "\n[Users]\nalice = secret\n");
  config::ApiConfig base;
  std::vector<std::string> errors;
  REQUIRE(config::loadApiConfig(ini, base, errors));
  // Two replicas' watchers, each on its own connection.
  std::vector<std::unique_ptr<DirectoryWatcher>> replicas;
  std::atomic<int> applied{0};
  for (int i = 0; i < 2; ++i) {
    std::string error;
    auto directory = openDirectory(base, error);
    INFO(error);
    REQUIRE(directory);
    replicas.push_back(std::make_unique<DirectoryWatcher>(std::move(directory)));
    replicas.back()->setBase(base);
    replicas.back()->start(
        [&](const config::ApiConfig&, std::shared_ptr<const TokenTable>) { ++applied; });
  }
  auto both = [&](auto check) {
    return test::waitUntil([&] { return check(*replicas[0]) && check(*replicas[1]); },
                           std::chrono::seconds(3));
  };
  const auto add =
      runApi({"user", "add", "carol", "--iterations", "10000", "--config", ini}, "pw\n");
  INFO(add.err);
  REQUIRE(add.status == 0);
  CHECK(server.psql("SELECT count(*) FROM chipmunk_users WHERE secret LIKE '$pbkdf2-sha256$%'") ==
        "1");
  // The directory is looked up, not loaded: carol is a user without being in the list.
  CHECK(both([](const DirectoryWatcher& w) { return w.merged().ownerOf("carol") == "carol"; }));
  CHECK(replicas[0]->merged().users.size() == 1);
  REQUIRE(runApi({"host", "add", "pi.example.org", "carol", "--config", ini}).status == 0);
  const auto made = runApi({"token", "add", "pi.example.org", "--config", ini});
  REQUIRE(made.status == 0);
  const std::string token = made.out.substr(0, made.out.find('\n'));
  CHECK(both([&](const DirectoryWatcher& w) {
    return w.tokens()->verify("pi.example.org", token).has_value();
  }));
  CHECK(runApi({"token", "list", "--config", ini}).out.find(token.substr(17)) == std::string::npos);
  REQUIRE(runApi({"token", "revoke", token.substr(4, 12), "--config", ini}).status == 0);
  CHECK(both([&](const DirectoryWatcher& w) {
    return !w.tokens()->verify("pi.example.org", token).has_value();
  }));
  CHECK(both(
      [](const DirectoryWatcher& w) { return w.merged().ownerOf("pi.example.org") == "carol"; }));
  REQUIRE(runApi({"user", "del", "carol", "--config", ini}).status == 0);
  CHECK(both([](const DirectoryWatcher& w) {
    return w.merged().ownerOf("carol").empty() && w.merged().ownerOf("pi.example.org").empty();
  }));
  CHECK(server.psql("SELECT count(*) FROM chipmunk_hosts") == "0");
  CHECK(applied.load() >= 2);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
