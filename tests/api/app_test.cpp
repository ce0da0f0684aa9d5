// SPDX-License-Identifier: MIT
// chipmunk-api's SIGHUP reload (reloadConfig in api/app.cpp) without sockets or signals: the
// server is built but not started, and requests go straight to its ApiService.
#include <catch2/catch.hpp>

#include <string>

#include "api/app.hpp"
#include "common/base64.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;

int statusOf(App& app, const std::string& user, const std::string& password) {
  RequestInfo r;
  r.path = "/get/ip";
  r.peer = *IpAddress::parse("192.0.2.7");
  r.authorization = "Basic " + base64Encode(user + ":" + password);
  return app.server->service().handle(r, true).code;
}

TEST_CASE("Unit: reloadConfig applies a good file and keeps the running one on errors",
          "[api][unit]") {
  test::TempDir dir;
  const std::string paths = "[Paths]\nclient_update_dir = " + dir.path() + "\n";
  App app;
  app.configPath = dir.file("chipmunk-api.ini");
  test::writeFile(app.configPath, paths + "[Users]\nalice = secret\n");
  std::vector<std::string> errors;
  REQUIRE(config::loadApiConfig(app.configPath, app.providerDecls, app.config, errors));
  buildApp(app);
  CHECK(statusOf(app, "alice", "secret") == 200);
  CHECK(statusOf(app, "carol", "carols") == 401);

  test::writeFile(app.configPath, paths + "[Users]\nalice = new-secret\ncarol = carols\n");
  CHECK(reloadConfig(app));
  CHECK(statusOf(app, "carol", "carols") == 200);
  CHECK(statusOf(app, "alice", "secret") == 401);
  CHECK(statusOf(app, "alice", "new-secret") == 200);
  CHECK(app.config.users.size() == 2);

  // A broken file changes nothing.
  test::writeFile(app.configPath, paths + "[Sever]\nx = 1\n[Users]\ndave = daves\n");
  CHECK_FALSE(reloadConfig(app));
  CHECK(statusOf(app, "carol", "carols") == 200);
  CHECK(statusOf(app, "dave", "daves") == 401);
  app.server->shutdown();
  app.push->stop();
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
