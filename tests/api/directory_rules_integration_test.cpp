// SPDX-License-Identifier: MIT
// Directory users and hosts (`chipmunk-api user|host add`) in the address book's rules:
// [Access] read_all, [Mesh:NAME] members, [TTL] and [push:LABEL], with the file directory and
// with a real PostgreSQL, over real HTTP to the real chipmunk-api. A name nobody has at start
// is a file:line error; a deleted user loses what the rule gave as soon as the server sees
// the change; the same name added again gets it back (docs/USERS.md, "Limits").
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/api/address_book_helpers.hpp"
#include "tests/api/integration_helpers.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::addressbook;
using chipmunk::test::integration::CommandResult;
using chipmunk::test::integration::contains;
using chipmunk::test::integration::runApi;
using Names = std::set<std::string>;

// The [Store] section of a backend: the file store (none), or PostgreSQL started here.
struct Backend {
  std::unique_ptr<PostgresServer> pg;
  std::string store;
};

Backend fileBackend() {
  return {};
}

Backend postgresBackend() {
  Backend b;
  b.pg = std::make_unique<PostgresServer>();
  const bool started = b.pg->start();
  INFO(b.pg->log());
  REQUIRE(started);
  b.store = "[Store]\nbackend = postgresql\npostgresql = " + b.pg->conninfo() + "\n";
  return b;
}

CommandResult admin(const ApiInstance& api, std::vector<std::string> args,
                    const std::string& stdinText = {}) {
  args.push_back("--config");
  args.push_back(api.configPath());
  return runApi(args, stdinText);
}

void addUser(const ApiInstance& api, const std::string& name) {
  const auto r = admin(api, {"user", "add", name, "--iterations", "10000"}, "pw\n");
  INFO(r.err);
  REQUIRE(r.status == 0);
}

bool becomes(const std::function<bool()>& check) {
  return waitUntil(check, std::chrono::seconds(4));  // the server polls once a second
}

// read_all, a mesh and [TTL] naming only directory users and hosts: carol (read_all), dave
// (in a mesh with alice) and dave's pi.example.org (2 s TTL).
void rulesScenario(const Backend& backend) {
  ApiInstance api(backend.store +
                  "[Users]\nalice = secret\n[Access]\nread_all = carol\n"
                  "[Mesh:lab]\nmembers = alice, dave\n[TTL]\npi.example.org = 2s\n"
                  "[Limits]\nmax_failed_logins = 0\n");
  addUser(api, "carol");
  addUser(api, "dave");
  REQUIRE(admin(api, {"host", "add", "pi.example.org", "dave"}).status == 0);
  REQUIRE(api.start());
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  REQUIRE(get(api, "/set", "dave", "pw").status == 200);
  REQUIRE(get(api, "/set?hostname=pi.example.org", "dave", "pw").status == 200);
  const Names all{"alice", "dave", "pi.example.org"};
  CHECK(names(get(api, "/hosts", "carol", "pw").body) == all);      // read_all
  CHECK(names(get(api, "/hosts", "alice", "secret").body) == all);  // the mesh, both ways
  CHECK(names(get(api, "/hosts", "dave", "pw").body) == all);
  CHECK(get(api, "/hosts/pi.example.org", "alice", "secret").status == 200);
  // [TTL] of a directory host: it expires; its owner's own record has no TTL.
  CHECK(contains(get(api, "/hosts/pi.example.org", "dave", "pw").body, "\"ttl\":2,"));
  CHECK(becomes([&] {
    return contains(get(api, "/hosts/pi.example.org", "dave", "pw").body, "\"expired\":true");
  }));
  CHECK(contains(get(api, "/hosts/dave", "dave", "pw").body, "\"ttl\":0,"));

  // dave deleted: the mesh shows alice nothing of his, at once, and read_all neither.
  REQUIRE(admin(api, {"user", "del", "dave"}).status == 0);
  CHECK(becomes([&] { return get(api, "/hosts/dave", "alice", "secret").status == 404; }));
  CHECK(names(get(api, "/hosts", "alice", "secret").body) == Names{"alice"});
  CHECK(names(get(api, "/hosts", "carol", "pw").body) == Names{"alice"});
  CHECK(get(api, "/hosts/pi.example.org", "carol", "pw").status == 404);
  // carol deleted: the rule names nobody (a warning), and carol is nobody.
  REQUIRE(admin(api, {"user", "del", "carol"}).status == 0);
  CHECK(becomes([&] { return get(api, "/hosts", "carol", "pw").status == 401; }));
  CHECK(contains(api.log(),
                 "[Access] read_all: \"carol\" is not in [Users] nor in the user "
                 "directory; the rule gives nothing until the name exists"));
  // The same name again is the same member: dave's record, kept by the store, is shown again.
  addUser(api, "dave");
  CHECK(becomes([&] { return get(api, "/hosts/dave", "alice", "secret").status == 200; }));
}

// [push:pi] for dave's directory host: dave's router changes it, the fake Linode gets it.
void pushScenario(const Backend& backend) {
  FakeLinode linode;
  const long long zone = linode.addDomain("example.com");
  linode.addRecord(zone, "pi", "A", "192.0.2.1");
  ApiInstance api(backend.store +
                  "[Users]\nalice = secret\n[Push]\nretry_min = 1s\nretry_max = 2s\n"
                  "timeout = 5s\n[linode]\napi_key = test-token\nendpoint = " +
                  linode.endpoint() +
                  "\n[push:pi]\nrecord = pi.example.org\nprovider = linode\nhost = pi\n"
                  "domain = example.com\n");
  addUser(api, "dave");
  REQUIRE(admin(api, {"host", "add", "pi.example.org", "dave"}).status == 0);
  REQUIRE(api.start());
  const auto r =
      httpRequest(api.port(), "GET", "/nic/update?hostname=pi.example.org&myip=203.0.113.7",
                  basicAuth("dave", "pw") + kAgent);
  CHECK(r.body == "good 203.0.113.7\n");
  const bool pushed = waitUntil([&] { return linode.target(zone, "pi", "A") == "203.0.113.7"; },
                                std::chrono::seconds(10));
  INFO(api.log());
  CHECK(pushed);
}

// A name in no INI section and not in the directory: the start fails with its file:line,
// as --check-config does; once the directory has it, the same file starts.
void unknownNameScenario(const Backend& backend) {
  ApiInstance api(backend.store + "[Users]\nalice = secret\n[Access]\nread_all = nobody\n");
  const int line = backend.store.empty() ? 11 : 14;
  const std::string message = api.configPath() + ":" + std::to_string(line) +
                              ": [Access] read_all: \"nobody\" is not in [Users] nor in the user "
                              "directory";
  const auto check = runApi({"--config", api.configPath(), "--check-config"});
  CHECK(check.status == 2);
  CHECK(contains(check.err, message));
  CHECK_FALSE(api.start());
  CHECK(contains(api.log(), message));
  addUser(api, "nobody");
  CHECK(runApi({"--config", api.configPath(), "--check-config"}).status == 0);
  CHECK(api.start());
}

TEST_CASE("Directory rules: directory users in read_all and meshes, a directory host's TTL",
          "[api][integration][directory]") {
  rulesScenario(fileBackend());
}

TEST_CASE("Directory rules: the same over PostgreSQL", "[api][postgres][integration][directory]") {
  rulesScenario(postgresBackend());
}

TEST_CASE("Directory rules: a push section for a directory host pushes",
          "[api][push][integration][directory]") {
  pushScenario(fileBackend());
}

TEST_CASE("Directory rules: a push section for a directory host pushes over PostgreSQL",
          "[api][postgres][push][integration][directory]") {
  pushScenario(postgresBackend());
}

TEST_CASE("Directory rules: a name nobody has is a file:line error at start",
          "[api][integration][directory]") {
  unknownNameScenario(fileBackend());
}

TEST_CASE("Directory rules: a name nobody has is a file:line error at start over PostgreSQL",
          "[api][postgres][integration][directory]") {
  unknownNameScenario(postgresBackend());
}

TEST_CASE("Directory rules: --check-config over PostgreSQL looks the names up, loads nothing",
          "[api][postgres][integration][directory]") {
  const Backend backend = postgresBackend();
  ApiInstance api(backend.store +
                  "[Users]\nalice = secret\n[Hosts]\nnas.example.org = alice\n"
                  "box.example.org = alice\n[Access]\nread_all = carol\n"
                  "[TTL]\npi.example.org = 1h\n");
  addUser(api, "carol");
  REQUIRE(admin(api, {"host", "add", "pi.example.org", "carol"}).status == 0);
  REQUIRE(admin(api, {"token", "add", "carol"}).status == 0);
  // Every statement of the sessions opened from here on goes to the server's log.
  REQUIRE(backend.pg->psql("ALTER DATABASE postgres SET log_statement = 'all'; SELECT 1") == "1");
  const std::string serverLog = backend.pg->socketDir() + "/server.log";
  const size_t before = readFile(serverLog).size();
  const auto check = runApi({"--config", api.configPath(), "--check-config"});
  INFO(check.err);
  CHECK(check.status == 0);
  const std::string statements = readFile(serverLog).substr(before);
  INFO(statements);
  // The names, by key: the rules' and the INI hosts' in one query.
  size_t queries = 0;
  for (size_t at = statements.find("FROM unnest($1::text[])"); at != std::string::npos;
       at = statements.find("FROM unnest($1::text[])", at + 1)) {
    ++queries;
  }
  CHECK(queries == 1);
  CHECK_FALSE(contains(statements, "FROM chipmunk_tokens"));  // load() reads every table
  CHECK_FALSE(contains(statements, "SELECT name, owner FROM chipmunk_hosts"));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
