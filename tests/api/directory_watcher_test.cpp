// SPDX-License-Identifier: MIT
// DirectoryWatcher keeps one copy of the directory's users (in the merged configuration): a
// new INI (SIGHUP) is merged with them again, also while the directory's files are corrupt,
// and a directory user who overrides an INI user keeps the directory's hash.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "api/directory.hpp"
#include "api/directory_watcher.hpp"
#include "api/memory_trim.hpp"
#include "common/password_hash.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;

config::ApiConfig iniWith(const std::vector<std::string>& plainUsers) {
  config::ApiConfig c;
  for (const auto& name : plainUsers) {
    c.users.push_back({name, name + "-pw", false, "t.ini:1"});
  }
  return c;
}

const config::ApiUser* userOf(const config::ApiConfig& c, const std::string& name) {
  for (const auto& u : c.users) {
    if (u.name == name) {
      return &u;
    }
  }
  return nullptr;
}

TEST_CASE("Directory: a new INI is merged with the directory's users it already read",
          "[api][unit]") {
  test::TempDir dir;
  std::string error;
  auto directory = openFileDirectory(dir.path(), error);
  REQUIRE(directory);
  const std::string hash = hashPassword("pw", kMinPbkdf2Iterations);
  REQUIRE(directory->putUser({"carol", hash}, true, false, error));
  REQUIRE(directory->putUser({"alice", hash}, true, false, error));  // overrides the INI's
  REQUIRE(directory->putHost({"nas.example.org", "carol"}, error));
  DirectoryWatcher watcher(std::move(directory));
  watcher.setBase(iniWith({"alice"}));
  REQUIRE(watcher.merged().users.size() == 2);

  // The files go bad: the last good directory stays, merged over each new INI.
  test::writeFile(dir.file(".users"), "dave\n");
  for (const auto& ini : {iniWith({"alice", "bob"}), iniWith({"bob", "alice", "erin"})}) {
    watcher.setBase(ini);
    const config::ApiConfig merged = watcher.merged();
    CHECK(merged.users.size() == ini.users.size() + 1);
    REQUIRE(userOf(merged, "carol") != nullptr);
    CHECK(userOf(merged, "carol")->secret == hash);
    REQUIRE(userOf(merged, "alice") != nullptr);
    CHECK(userOf(merged, "alice")->secret == hash);  // the directory's, not "alice-pw"
    CHECK(userOf(merged, "bob")->secret == "bob-pw");
    CHECK(merged.ownerOf("nas.example.org") == "carol");
  }
  // Repaired: read again, and a user deleted meanwhile is gone.
  test::writeFile(dir.file(".users"), "alice " + hash + "\n");
  REQUIRE(watcher.poll());
  const config::ApiConfig merged = watcher.merged();
  CHECK(userOf(merged, "carol") == nullptr);
  CHECK(userOf(merged, "alice")->secret == hash);
  CHECK(merged.ownerOf("nas.example.org").empty());  // its owner is no user now
}

TEST_CASE("Memory trim: asked for, run by the maintenance thread at most once per interval",
          "[api][unit]") {
  // Hours ahead of any trim the process ran so far (the clock is steady).
  const auto t = std::chrono::steady_clock::now() + std::chrono::hours(1);
  chipmunk::api::requestMemoryTrim();
  CHECK(chipmunk::api::trimMemoryIfRequested(t));
  CHECK_FALSE(chipmunk::api::trimMemoryIfRequested(t + std::chrono::seconds(1)));  // done
  chipmunk::api::requestMemoryTrim();
  CHECK_FALSE(chipmunk::api::trimMemoryIfRequested(t + std::chrono::seconds(1)));  // too soon
  CHECK(chipmunk::api::trimMemoryIfRequested(t + chipmunk::api::kMinTrimInterval));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
