// SPDX-License-Identifier: MIT
// The ownership index (config/ownership.cpp): who owns a name, the names a user owns, who
// reads everything; and that loadApiConfig builds it from [Users], [Hosts] and [Access].
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/api_config.hpp"
#include "config/ownership.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::config::OwnershipIndex;

// The configuration of an api.ini in `dir` with `sections` after [Paths].
chipmunk::config::ApiConfig loadedFrom(const chipmunk::test::TempDir& dir,
                                       const std::string& sections) {
  const std::string path = dir.file("api.ini");
  std::ofstream(path) << "[Paths]\nclient_update_dir = " << dir.path() << "\n" << sections;
  chipmunk::config::ApiConfig config;
  std::vector<std::string> errors;
  const bool loaded = chipmunk::config::loadApiConfig(path, config, errors);
  INFO((errors.empty() ? std::string() : errors.front()));
  REQUIRE(loaded);
  return config;
}

TEST_CASE("Ownership index: owners, owned names and read_all", "[config][unit]") {
  OwnershipIndex index;
  const auto users = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"alice", "bob", "admin"});
  const std::map<std::string, std::string> hosts{{"z.example.org", "alice"},
                                                 {"a.example.org", "alice"},
                                                 {"b.example.org", "bob"},
                                                 {"orphan.example.org", "nobody"},
                                                 {"bob", "alice"}};
  index.build(users, hosts, {"admin"});
  CHECK(index.namesOwnedBy("alice") ==
        std::vector<std::string>{"alice", "a.example.org", "z.example.org"});
  CHECK(index.namesOwnedBy("bob") == std::vector<std::string>{"bob", "b.example.org"});
  CHECK(index.namesOwnedBy("admin") == std::vector<std::string>{"admin"});
  CHECK(index.ownerOf("alice") == "alice");
  CHECK(index.ownerOf("z.example.org") == "alice");
  CHECK(index.ownerOf("bob") == "bob");                // a user name is its user's
  CHECK(index.ownerOf("orphan.example.org").empty());  // an owner not in the users
  CHECK(index.ownerOf("unknown.example.org").empty());
  CHECK(index.ownerOf("Alice").empty());  // user names are exact
  CHECK(index.mayReadAll("admin"));
  CHECK_FALSE(index.mayReadAll("alice"));
  CHECK(index.isUser("bob"));
  CHECK_FALSE(index.isUser("a.example.org"));

  // Built again (a reload), nothing of the old one remains.
  index.build(std::make_shared<const std::vector<std::string>>(1, "carol"),
              std::map<std::string, std::string>{}, {});
  CHECK(index.ownerOf("alice").empty());
  CHECK(index.namesOwnedBy("alice") == std::vector<std::string>{"alice"});
  CHECK_FALSE(index.mayReadAll("admin"));
}

TEST_CASE("Ownership index: loadApiConfig builds it from the file", "[config][unit]") {
  chipmunk::test::TempDir dir;
  const auto config = loadedFrom(dir,
                                 "[Users]\nalice = pw-a\nbob = pw-b\n"
                                 "[Hosts]\nNAS.example.org = alice\nbox.example.org = bob\n"
                                 "[Access]\nread_all = bob\n");
  REQUIRE(config.ownership);
  CHECK(config.namesOwnedBy("alice") == std::vector<std::string>{"alice", "nas.example.org"});
  CHECK(config.ownerOf("box.example.org") == "bob");
  CHECK(config.mayReadAll("bob"));
  CHECK_FALSE(config.mayReadAll("alice"));
}

TEST_CASE("Ownership index: mesh members read each other and nobody else gains",
          "[config][unit][mesh]") {
  chipmunk::test::TempDir dir;
  const std::string path = dir.file("api.ini");
  std::ofstream(path) << "[Paths]\nclient_update_dir = " << dir.path()
                      << "\n[Users]\nalice = pw-a\nbob = pw-b\ncarol = pw-c\ndave = pw-d\n"
                         "[Hosts]\nnas.example.org = alice\n"
                         "[Mesh:home]\nmembers = alice, bob\n"
                         "[Mesh:office]\nmembers = bob, carol\n";
  chipmunk::config::ApiConfig config;
  std::vector<std::string> errors;
  REQUIRE(chipmunk::config::loadApiConfig(path, config, errors));
  REQUIRE(config.meshes.size() == 2);
  CHECK(config.mayReadRecordsOf("bob", "alice"));
  CHECK(config.mayReadRecordsOf("alice", "bob"));
  CHECK(config.mayReadRecordsOf("carol", "bob"));
  CHECK_FALSE(config.mayReadRecordsOf("carol", "alice"));  // no mesh in common
  CHECK_FALSE(config.mayReadRecordsOf("dave", "alice"));
  CHECK_FALSE(config.mayReadRecordsOf("alice", ""));  // a name nobody owns
  CHECK(config.namesReadableBy("alice") ==
        std::vector<std::string>{"alice", "bob", "nas.example.org"});
  CHECK(config.namesReadableBy("bob") ==
        std::vector<std::string>{"alice", "bob", "carol", "nas.example.org"});
  CHECK(config.namesReadableBy("dave") == std::vector<std::string>{"dave"});
}

TEST_CASE("Ownership index: a mesh member in no INI section is left to the directory",
          "[config][unit][mesh]") {
  chipmunk::test::TempDir dir;
  const std::string path = dir.file("api.ini");
  std::ofstream(path) << "[Paths]\nclient_update_dir = " << dir.path()
                      << "\n[Users]\nalice = pw-a\n"
                         "[Mesh:home]\nmembers = alice, mallory\n";
  chipmunk::config::ApiConfig config;
  std::vector<std::string> errors;
  REQUIRE(chipmunk::config::loadApiConfig(path, config, errors));
  // Nobody has that name (no directory merged in): a file:line error for the server's start.
  CHECK(chipmunk::config::unknownRuleNames(config) ==
        std::vector<std::string>{path +
                                 ":6: [Mesh:home] members: \"mallory\" is not in [Users] nor in "
                                 "the user directory"});
  CHECK_FALSE(config.mayReadRecordsOf("alice", "mallory"));
  CHECK(config.namesReadableBy("alice") == std::vector<std::string>{"alice"});
  // A name that can be no user's is the loader's error.
  std::ofstream(path) << "[Paths]\nclient_update_dir = " << dir.path()
                      << "\n[Users]\nalice = pw-a\n"
                         "[Mesh:home]\nmembers = alice, -mallory\n";
  errors.clear();
  CHECK_FALSE(chipmunk::config::loadApiConfig(path, config, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == path + ":6: [Mesh:home] members: \"-mallory\" is not a valid user name");
}

TEST_CASE("Ownership index: a mesh's members line may pass inih's 200 characters",
          "[config][unit][mesh]") {
  chipmunk::test::TempDir dir;
  const std::string path = dir.file("api.ini");
  std::string members;
  for (int i = 0; i < 60; ++i) {
    members += (i == 0 ? "" : ", ") + std::string("member-") + std::to_string(100 + i);
  }
  REQUIRE(members.size() > 600);
  const std::string head = "[Paths]\nclient_update_dir = " + dir.path() + "\n[Users]\n";
  std::ofstream(path) << head << "member-100 = pw\n[Mesh:big]\nmembers = " << members << "\n";
  chipmunk::config::ApiConfig config;
  std::vector<std::string> errors;
  REQUIRE(chipmunk::config::loadApiConfig(path, config, errors));
  REQUIRE(config.meshes.size() == 1);
  CHECK(config.meshes[0].members.size() == 60);
  CHECK(config.meshes[0].members.back() == "member-159");
  // Past the longest setting line: refused with its file and line, not cut.
  std::ofstream(path) << head << "[Mesh:big]\nmembers = " << std::string(17000, 'a') << "\n";
  errors.clear();
  CHECK_FALSE(chipmunk::config::loadApiConfig(path, config, errors));
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0] == path + ":5: line longer than 16384 characters");
}

// A directory that is not loaded (as the PostgreSQL one): each name answered from a map.
class MapSource : public chipmunk::config::OwnershipSource {
 public:
  explicit MapSource(std::map<std::string, chipmunk::config::DirectoryName> names)
      : names_(std::move(names)) {}
  chipmunk::config::DirectoryName lookup(const std::string& name) const override {
    ++lookups;
    const auto it = names_.find(name);
    return it == names_.end() ? chipmunk::config::DirectoryName{} : it->second;
  }
  std::vector<std::string> hostsOf(const std::string&) const override { return {}; }
  void prefetch(const std::vector<std::string>&) const override {}
  mutable int lookups = 0;

 private:
  std::map<std::string, chipmunk::config::DirectoryName> names_;
};

TEST_CASE("Ownership index: a host the INI and the directory both own has one owner, TTL too",
          "[config][unit]") {
  chipmunk::test::TempDir dir;
  auto config = loadedFrom(dir,
                           "[Users]\nalice = pw-a\nbob = pw-b\n"
                           "[Hosts]\nnas.example.org = alice\nbox.example.org = alice\n"
                           "[TTL]\nalice = 1h\nbob = 2h\n");
  CHECK(config.ttlFor("nas.example.org") == std::chrono::hours(1));
  // The directory gives nas.example.org to bob: bob updates it and its TTL is bob's.
  chipmunk::config::DirectoryName bobs;
  bobs.hostOwner = "bob";
  config.indexOwnership(std::make_shared<MapSource>(
      std::map<std::string, chipmunk::config::DirectoryName>{{"nas.example.org", bobs}}));
  CHECK(config.ownerOf("nas.example.org") == "bob");
  CHECK(config.ttlFor("nas.example.org") == std::chrono::hours(2));
  CHECK(config.mayReadRecordsOf("bob", config.ownerOf("nas.example.org")));
  CHECK_FALSE(config.mayReadRecordsOf("alice", config.ownerOf("nas.example.org")));
  // A host only the INI names keeps its INI owner's, and a user its own.
  CHECK(config.ttlFor("box.example.org") == std::chrono::hours(1));
  CHECK(config.ttlFor("bob") == std::chrono::hours(2));
  CHECK(config.ttlFor("other.example.org") == config.defaultTtl);
}

TEST_CASE("Ownership index: the read rule asks the directory once for one's own, never unrelated",
          "[config][unit]") {
  chipmunk::test::TempDir dir;
  auto config = loadedFrom(dir, "[Users]\nalice = pw-a\n[Mesh:lab]\nmembers = alice, carol\n");
  chipmunk::config::DirectoryName user;
  user.isUser = true;
  const auto directory = std::make_shared<MapSource>(
      std::map<std::string, chipmunk::config::DirectoryName>{{"carol", user}, {"dave", user}});
  config.indexOwnership(directory);
  const auto asked = [&](const char* reader, const char* owner, bool may) {
    directory->lookups = 0;
    CHECK(config.mayReadRecordsOf(reader, owner) == may);
    return directory->lookups;
  };
  CHECK(asked("carol", "carol", true) == 1);  // a directory user: asked once, not twice
  CHECK(asked("carol", "alice", true) == 1);  // mesh peers: carol is asked about
  CHECK(asked("dave", "alice", false) == 0);  // no rule relates them: nobody is asked
  CHECK(asked("alice", "dave", false) == 0);
  CHECK(asked("alice", "carol", true) == 1);
  CHECK(asked("nobody", "nobody", false) == 1);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
