// SPDX-License-Identifier: MIT
// `chipmunk-api user|host|token` end to end: the real binary's admin commands change the
// directory (files in the data directory) while the real server runs, and the server
// follows within about a second, without SIGHUP.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/password_hash.hpp"
#include "tests/api/address_book_helpers.hpp"
#include "tests/api/integration_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::addressbook;
using chipmunk::test::integration::CommandResult;
using chipmunk::test::integration::contains;
using chipmunk::test::integration::runApi;

// addressbook's users, with one hash of the lowest count (so that a failed login, which
// costs what the largest hash costs, is quick) and no lockout (the tests poll for 401s).
std::string sections() {
  return "[Users]\nalice = secret\nbob = hunter2\nadmin = root-pw\nquick = " +
         chipmunk::hashPassword("x", chipmunk::kMinPbkdf2Iterations) +
         "\n[Hosts]\nnas.example.org = alice\n[Access]\nread_all = admin\n"
         "[Limits]\nmax_failed_logins = 0\n";
}

CommandResult admin(const ApiInstance& api, std::vector<std::string> args,
                    const std::string& stdinText = {}) {
  args.push_back("--config");
  args.push_back(api.configPath());
  return runApi(args, stdinText);
}

// Waits up to 3 s (the server checks once a second) for `path` to answer `status`.
bool answers(const ApiInstance& api, const std::string& path, const std::string& user,
             const std::string& password, int status) {
  return waitUntil([&] { return get(api, path, user, password).status == status; },
                   std::chrono::seconds(3));
}

HttpResponse nicUpdate(const ApiInstance& api, const std::string& host, const std::string& user,
                       const std::string& password) {
  return httpRequest(api.port(), "GET", "/nic/update?hostname=" + host,
                     basicAuth(user, password) + kAgent);
}

TEST_CASE("Directory: users added, changed and deleted while the server runs",
          "[api][integration]") {
  ApiInstance api(sections());
  REQUIRE(api.start());
  CHECK(get(api, "/set", "carol", "first").status == 401);
  const auto add = admin(api, {"user", "add", "carol", "--iterations", "10000"}, "first\n");
  INFO(add.err);
  REQUIRE(add.status == 0);
  CHECK(answers(api, "/set", "carol", "first", 200));
  // Only the hash is stored.
  const std::string users = readFile(api.dataDir() + "/.users");
  CHECK(contains(users, "carol $pbkdf2-sha256$10000$"));
  CHECK_FALSE(contains(users, "first"));
  CHECK(admin(api, {"user", "add", "carol"}, "again\n").status == 1);

  REQUIRE(admin(api, {"user", "passwd", "carol", "--iterations", "10000"}, "second\n").status == 0);
  CHECK(answers(api, "/set", "carol", "second", 200));
  CHECK(get(api, "/set", "carol", "first").status == 401);

  const auto list = admin(api, {"user", "list"});
  CHECK(contains(list.out, "carol directory\n"));
  CHECK(contains(list.out, "alice " + api.configPath() + ":"));
  CHECK_FALSE(contains(list.out, "pbkdf2"));

  REQUIRE(admin(api, {"user", "del", "carol"}).status == 0);
  CHECK(answers(api, "/set", "carol", "second", 401));
  // INI users are the INI's to remove; a bad name or an empty password is refused.
  const auto iniDel = admin(api, {"user", "del", "alice"});
  CHECK(iniDel.status == 2);
  CHECK(contains(iniDel.err, "remove it there"));
  CHECK(admin(api, {"user", "add", "-bad"}, "pw\n").status == 2);
  CHECK(admin(api, {"user", "add", "dave"}, "\n").status == 2);
}

TEST_CASE("Directory: hosts added for an owner, refused after deletion", "[api][integration]") {
  ApiInstance api(sections());
  REQUIRE(api.start());
  CHECK(get(api, "/set?hostname=pi.example.org", "bob", "hunter2").status == 403);
  CHECK(admin(api, {"host", "add", "pi.example.org", "nobody"}).status == 2);
  CHECK(admin(api, {"host", "add", "alice", "bob"}).status == 2);
  REQUIRE(admin(api, {"host", "add", "Pi.Example.org", "bob"}).status == 0);
  CHECK(answers(api, "/set?hostname=pi.example.org", "bob", "hunter2", 200));
  CHECK(get(api, "/set?hostname=pi.example.org", "alice", "secret").status == 403);
  CHECK(contains(admin(api, {"host", "list"}).out, "pi.example.org bob directory\n"));
  REQUIRE(admin(api, {"host", "del", "pi.example.org"}).status == 0);
  CHECK(answers(api, "/set?hostname=pi.example.org", "bob", "hunter2", 403));
}

TEST_CASE("Directory: update tokens are scoped, revocable and shown once", "[api][integration]") {
  ApiInstance api(sections());
  REQUIRE(api.start());
  REQUIRE(admin(api, {"host", "add", "pi.example.org", "alice"}).status == 0);
  const auto made = admin(api, {"token", "add", "nas.example.org"});
  INFO(made.err);
  REQUIRE(made.status == 0);
  const std::string token = made.out.substr(0, made.out.find('\n'));
  REQUIRE(token.size() == 57);
  const std::string id = token.substr(4, 12);
  REQUIRE(waitUntil([&] { return contains(api.log(), "tokens=1"); }, std::chrono::seconds(3)));

  // The host token updates its host, as that host or as its owner, and nothing else.
  CHECK(nicUpdate(api, "nas.example.org", "nas.example.org", token).body.rfind("good", 0) == 0);
  CHECK(get(api, "/set?hostname=alice", "alice", token).status == 403);  // out of scope
  CHECK(get(api, "/set?hostname=nas.example.org", "alice", token).status == 200);
  CHECK(nicUpdate(api, "pi.example.org", "nas.example.org", token).body == "nohost\n");
  // Only the update routes take a token: elsewhere it is a wrong password.
  CHECK(get(api, "/hosts", "alice", token).status == 401);
  CHECK(get(api, "/", "alice", token).status == 401);
  CHECK(get(api, "/get/ip", "alice", token).status == 401);

  // A wrong token is answered like a wrong password.
  const std::string wrong = token.substr(0, 20) + (token[20] == 'a' ? "b" : "a") + token.substr(21);
  const auto byToken = get(api, "/set", "alice", wrong);
  const auto byPassword = get(api, "/set", "alice", "not-the-password");
  CHECK(byToken.status == 401);
  CHECK(byToken.body == byPassword.body);
  CHECK(byToken.header("www-authenticate") == byPassword.header("www-authenticate"));
  CHECK(nicUpdate(api, "nas.example.org", "nas.example.org", wrong).body ==
        nicUpdate(api, "nas.example.org", "nas.example.org", "wrong-password").body);

  // Listed without the secret or its digest.
  const auto list = admin(api, {"token", "list"});
  CHECK(contains(list.out, id + " nas.example.org hosts=* created="));
  CHECK_FALSE(contains(list.out, token.substr(17)));
  CHECK_FALSE(contains(readFile(api.dataDir() + "/.tokens"), token.substr(17)));

  REQUIRE(admin(api, {"token", "revoke", id}).status == 0);
  CHECK(waitUntil(
      [&] { return get(api, "/set?hostname=nas.example.org", "alice", token).status == 401; },
      std::chrono::seconds(3)));
  CHECK(admin(api, {"token", "revoke", id}).status == 1);
  CHECK_FALSE(contains(api.log(), token.substr(17)));
}

TEST_CASE("Directory: a user token is limited to the hosts it names", "[api][integration]") {
  ApiInstance api(sections());
  REQUIRE(api.start());
  CHECK(admin(api, {"token", "add", "bob", "--host", "nas.example.org"}).status == 2);
  const auto made = admin(api, {"token", "add", "alice", "--host", "nas.example.org"});
  REQUIRE(made.status == 0);
  const std::string token = made.out.substr(0, made.out.find('\n'));
  REQUIRE(answers(api, "/set?hostname=nas.example.org", "alice", token, 200));
  CHECK(get(api, "/set?hostname=alice", "alice", token).status == 403);
  CHECK(get(api, "/set?hostname=nas.example.org", "bob", token).status == 401);
}

TEST_CASE("Directory: a corrupt directory file is logged and the last good one kept",
          "[api][integration]") {
  ApiInstance api(sections());
  REQUIRE(api.start());
  REQUIRE(admin(api, {"user", "add", "carol", "--iterations", "10000"}, "pw\n").status == 0);
  REQUIRE(answers(api, "/set", "carol", "pw", 200));
  writeFile(api.dataDir() + "/.users", readFile(api.dataDir() + "/.users") + "dave\n");
  CHECK(api.waitForLog("/.users:3: expected 2 fields", std::chrono::seconds(3)));
  CHECK(contains(api.log(), "directory rejected error="));
  CHECK(get(api, "/set", "carol", "pw").status == 200);
  // The admin commands refuse to build on a corrupt file too.
  const auto refused = admin(api, {"host", "add", "x.example.org", "carol"});
  CHECK(refused.status == 1);
  CHECK(contains(refused.err, ".users:3:"));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
