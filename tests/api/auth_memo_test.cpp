// SPDX-License-Identifier: MIT
// AuthMemo through ApiService::handle: what a connection's memo remembers and forgets.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "api/auth_memo.hpp"
#include "api/file_store.hpp"
#include "api/service.hpp"
#include "common/base64.hpp"
#include "tests/support/service_request.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;

config::ApiConfig usersWith(const std::string& dataDir, const std::string& alicePassword) {
  config::ApiConfig c;
  c.dataDir = dataDir;
  c.users = {{"alice", alicePassword, false, "test:1"}};
  return c;
}

uint64_t now() {
  return credentialsGeneration.load();
}

TEST_CASE("Unit: a login memo remembers a fast success and forgets on failure or reload",
          "[api][unit]") {
  test::TempDir dir;
  ApiService service(usersWith(dir.path(), "alice-pw"), std::make_shared<FileStore>(dir.path()));
  AuthMemo memo;
  auto request = test::serviceRequest("/get/ip", "alice");
  const std::string value = *request.authorization;
  REQUIRE(service.handle(request, false, &memo).code == 200);
  const std::string* user = memo.find(value, now(), false);
  REQUIRE(user != nullptr);
  CHECK(*user == "alice");
  // Remembered on a reading route: a writing route checks the update tokens first.
  CHECK(memo.find(value, now(), true) == nullptr);
  CHECK(memo.find(value + " ", now(), false) == nullptr);
  CHECK(memo.find(value, now() + 1, false) == nullptr);

  // Another value forgets it, before it is known to fail (a failure takes the slow pool).
  auto wrong = request;
  wrong.authorization = "Basic " + base64Encode("alice:nope");
  CHECK(service.handle(wrong, false, &memo).needsSlowAuth);
  CHECK(memo.find(value, now(), false) == nullptr);
  CHECK(service.handle(wrong, true).code == 401);

  // A reload changes the generation: the old value is checked again, and refused.
  REQUIRE(service.handle(request, false, &memo).code == 200);
  REQUIRE(memo.find(value, now(), false) != nullptr);
  service.reload(usersWith(dir.path(), "changed"));
  CHECK(memo.find(value, now(), false) == nullptr);
  CHECK(service.handle(request, false, &memo).needsSlowAuth);
  CHECK(service.handle(request, true).code == 401);
}

TEST_CASE("Unit: a login memo holds no value longer than its cap", "[api][unit]") {
  test::TempDir dir;
  const std::string longPassword(AuthMemo::kMaxValue, 'p');
  ApiService service(usersWith(dir.path(), longPassword), std::make_shared<FileStore>(dir.path()));
  AuthMemo memo;
  auto request = test::serviceRequest("/get/ip", "alice");
  request.authorization = "Basic " + base64Encode("alice:" + longPassword);
  REQUIRE(request.authorization->size() > AuthMemo::kMaxValue);
  CHECK(service.handle(request, false, &memo).code == 200);
  CHECK(memo.find(*request.authorization, now(), false) == nullptr);
  CHECK(service.handle(request, false, &memo).code == 200);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
