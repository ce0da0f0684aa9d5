// SPDX-License-Identifier: MIT
// The directory (api/directory*.cpp), update tokens (api/token_table.cpp) and the
// Authenticator's cache across rebuilds, without sockets.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>

#include "api/authenticator.hpp"
#include "api/directory.hpp"
#include "api/token_table.hpp"
#include "common/password_hash.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;

config::ApiConfig baseConfig() {
  config::ApiConfig c;
  c.users.push_back({"alice", "secret", false, "t.ini:3"});
  c.users.push_back({"bob", "bobs", false, "t.ini:4"});
  c.hostOwners["home.example.org"] = "alice";
  return c;
}

DirectoryToken tokenFor(const NewToken& t, const std::string& owner,
                        std::vector<std::string> hosts = {}) {
  return {t.id, owner, tokenDigestHex(t.secret), std::move(hosts), 1};
}

TEST_CASE("Directory: tokens are 160 random bits in a fixed format", "[api][unit]") {
  const NewToken a = generateToken();
  const NewToken b = generateToken();
  CHECK(a.text.size() == 57);
  CHECK(a.text.rfind("cmt_" + a.id + "_", 0) == 0);
  CHECK(a.secret.size() == 40);
  CHECK(a.text != b.text);
  REQUIRE(parseToken(a.text));
  CHECK(parseToken(a.text)->secret == a.secret);
  for (const std::string& bad : {std::string("secret"), a.text.substr(1), a.text + "0",
                                 "cmt_" + a.id + "-" + a.secret, "CMT_" + a.text.substr(4)}) {
    CHECK_FALSE(parseToken(bad));
  }
  CHECK(tokenDigestHex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Directory: a corrupt file is refused with its file and line", "[api][unit]") {
  std::vector<DirectoryUser> users;
  std::string error;
  const std::string hash = hashPassword("pw", kMinPbkdf2Iterations);
  CHECK(parseUsers("# comment\ncarol " + hash + "\n", "d/.users", users, error));
  CHECK(users.size() == 1);
  users.clear();
  CHECK_FALSE(parseUsers("carol " + hash + "\ndave plaintext\n", "d/.users", users, error));
  CHECK(error.rfind("d/.users:2: user dave", 0) == 0);
  CHECK_FALSE(parseUsers("carol " + hash + "\ncarol " + hash + "\n", "d/.users", users, error));
  CHECK(error == "d/.users:2: user carol is listed more than once");
  std::vector<DirectoryHost> hosts;
  CHECK_FALSE(parseHosts("nas.example.org\n", "d/.hosts", hosts, error));
  CHECK(error.rfind("d/.hosts:1: expected 2", 0) == 0);
  std::vector<DirectoryToken> tokens;
  CHECK_FALSE(parseTokens("zz alice 00 1 *\n", "d/.tokens", tokens, error));
  CHECK(error == "d/.tokens:1: malformed token id or digest");
}

TEST_CASE("Directory: merged over the INI, the directory wins and warns", "[api][unit]") {
  DirectoryData d;
  const std::string hash = hashPassword("new", kMinPbkdf2Iterations);
  d.users = {{"alice", hash}, {"carol", hash}};
  d.hosts = {{"home.example.org", "bob"}, {"nas.example.org", "nobody"}, {"carol", "bob"}};
  config::ApiConfig merged;
  std::vector<std::string> warnings;
  mergeDirectory(baseConfig(), d, merged, warnings);
  REQUIRE(merged.users.size() == 3);
  CHECK(merged.users[0].secret == hash);  // alice: the directory's hash
  CHECK(merged.users[0].hashed);
  CHECK(merged.users[2].name == "carol");
  CHECK(merged.hostOwners.at("home.example.org") == "bob");
  CHECK(merged.hostOwners.count("nas.example.org") == 0);  // owner unknown
  CHECK(merged.hostOwners.count("carol") == 0);            // a user's name
  CHECK(warnings.size() == 4);
  CHECK(warnings[0].rfind("t.ini:3: user alice is also in the directory", 0) == 0);
}

TEST_CASE("Directory: token scope, owner and unknown ids", "[api][unit]") {
  const NewToken user = generateToken();
  const NewToken host = generateToken();
  const NewToken limited = generateToken();
  const NewToken orphan = generateToken();
  const TokenTable table(
      {tokenFor(user, "alice"), tokenFor(host, "home.example.org"),
       tokenFor(limited, "alice", {"home.example.org"}), tokenFor(orphan, "nobody")},
      baseConfig());
  CHECK(table.size() == 3);
  const auto u = table.verify("alice", user.text);
  REQUIRE(u);
  CHECK(u->user == "alice");
  CHECK(u->names.empty());  // every name alice owns
  const auto h = table.verify("home.example.org", host.text);
  REQUIRE(h);
  CHECK(h->user == "alice");
  CHECK(h->names == std::vector<std::string>{"home.example.org"});
  CHECK(table.verify("alice", host.text));  // the host's owner may use it, as that host
  CHECK(table.verify("alice", limited.text)->names == std::vector<std::string>{"home.example.org"});
  CHECK_FALSE(table.verify("bob", user.text));  // another user's name
  CHECK_FALSE(table.verify("alice", "cmt_" + user.id + "_" + host.secret));
  CHECK_FALSE(table.verify("nobody", orphan.text));
  CHECK_FALSE(table.verify("alice", "secret"));
}

TEST_CASE("Directory: an unknown token id costs the same work as a known one", "[api][unit]") {
  const NewToken known = generateToken();
  const TokenTable table({tokenFor(known, "alice")}, baseConfig());
  const std::string wrongSecret = "cmt_" + known.id + "_" + generateToken().secret;
  const std::string unknownId = generateToken().text;
  const auto before = table.secretsHashed();
  CHECK_FALSE(table.verify("alice", wrongSecret));
  CHECK(table.secretsHashed() == before + 1);
  CHECK_FALSE(table.verify("alice", unknownId));
  CHECK(table.secretsHashed() == before + 2);  // hashed and compared, like a known id
  CHECK(table.verify("alice", known.text));
  CHECK(table.secretsHashed() == before + 3);
  CHECK_FALSE(table.verify("alice", "not-a-token"));  // the public format: no work
  CHECK(table.secretsHashed() == before + 3);
}

TEST_CASE("Directory: a rebuilt Authenticator keeps checks whose hash did not change",
          "[api][unit]") {
  const std::string aliceHash = hashPassword("a-pw", kMinPbkdf2Iterations);
  const std::string bobHash = hashPassword("b-pw", kMinPbkdf2Iterations);
  std::vector<config::ApiUser> users = {{"alice", aliceHash, true, ""}, {"bob", bobHash, true, ""}};
  Authenticator first(users);
  CHECK_FALSE(first.verifyFast("alice", "a-pw"));  // needs the KDF once
  CHECK(first.verifySlow("alice", "a-pw"));
  CHECK(first.verifySlow("bob", "b-pw"));
  CHECK(first.verifyFast("alice", "a-pw") == true);
  users[1].secret = hashPassword("b-pw", kMinPbkdf2Iterations);  // same password, new hash
  Authenticator second(users, &first);
  CHECK(second.verifyFast("alice", "a-pw") == true);  // kept: no KDF after the reload
  CHECK_FALSE(second.verifyFast("alice", "wrong"));
  CHECK_FALSE(second.verifyFast("bob", "b-pw"));  // its hash changed: checked again
}

TEST_CASE("Directory: the file backend edits durably and notices changes", "[api][unit]") {
  test::TempDir dir;
  std::string error;
  auto d = openFileDirectory(dir.path(), error);
  REQUIRE(d);
  DirectoryData data;
  REQUIRE(d->load(data, error));
  CHECK(data.users.empty());
  CHECK_FALSE(d->changed());
  const std::string hash = hashPassword("pw", kMinPbkdf2Iterations);
  REQUIRE(d->putUser({"carol", hash}, true, false, error));
  CHECK_FALSE(d->putUser({"carol", hash}, true, false, error));
  CHECK(error == "user carol already exists");
  CHECK_FALSE(d->putUser({"dave", hash}, false, true, error));
  REQUIRE(d->putHost({"nas.example.org", "carol"}, error));
  const NewToken t = generateToken();
  REQUIRE(d->addToken(tokenFor(t, "nas.example.org"), error));
  CHECK(d->changed());
  REQUIRE(d->load(data, error));
  CHECK_FALSE(d->changed());
  CHECK(data.users.size() == 1);
  CHECK(data.hosts.size() == 1);
  CHECK(data.tokens.size() == 1);
  CHECK(test::readFile(dir.file(".tokens")).find(t.secret) == std::string::npos);
  REQUIRE(d->deleteUser("carol", error));  // its host and the host's token go too
  REQUIRE(d->load(data, error));
  CHECK(data.users.empty());
  CHECK(data.hosts.empty());
  CHECK(data.tokens.empty());
  CHECK_FALSE(d->revokeToken(t.id, error));
  // A corrupt file: refused with file:line, and noticed only once.
  test::writeFile(dir.file(".hosts"), "nas.example.org carol\nbroken\n");
  CHECK(d->changed());
  CHECK_FALSE(d->load(data, error));
  CHECK(error == dir.file(".hosts") + ":2: expected 2 fields separated by spaces");
  CHECK_FALSE(d->changed());
}

TEST_CASE("Directory: a file over its size bound is refused, never read", "[api][unit]") {
  test::TempDir dir;
  std::string error;
  auto d = openFileDirectory(dir.path(), error);
  REQUIRE(d);
  // A valid line, then a hole up to one byte past 256 MiB (sparse: costs no disk).
  test::writeFile(dir.file(".hosts"), "nas.example.org carol\n");
  REQUIRE(::truncate(dir.file(".hosts").c_str(), 256LL * 1024 * 1024 + 1) == 0);
  DirectoryData data;
  CHECK_FALSE(d->load(data, error));
  INFO(error);
  CHECK(error.find("larger than 268435456 bytes") != std::string::npos);
  CHECK(data.hosts.empty());
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
