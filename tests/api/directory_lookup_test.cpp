// SPDX-License-Identifier: MIT
// The PostgreSQL directory looked up, not loaded (DirectoryCache): two replicas (two Apps
// on one real PostgreSQL) see users added, changed and deleted within about a second
// without loading the directory, the cache stays within [Store] user_cache, wrong
// passwords and unknown names get 401 at the same cost, and a database that is away gives
// 503 to a user who is not cached.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "api/app.hpp"
#include "api/directory_cache.hpp"
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

struct Replica {
  App app;
  ~Replica() {
    if (app.directory) {
      app.directory->stop();
    }
    if (app.server) {
      app.server->shutdown();
    }
  }
  Response ask(const std::string& user, const std::string& password, bool allowSlow,
               const std::string& path = "/get/ip") {
    RequestInfo r;
    r.path = path;
    r.peer = *IpAddress::parse("192.0.2.7");
    r.authorization = "Basic " + base64Encode(user + ":" + password);
    return app.server->service().handle(r, allowSlow);
  }
  // The answer with the slow check run where one is needed (as the server does).
  int code(const std::string& user, const std::string& password) {
    const Response fast = ask(user, password, false);
    return fast.needsSlowAuth || fast.needsWriter ? ask(user, password, true).code : fast.code;
  }
  DirectoryCache& cache() { return *app.directory->cache(); }
};

struct Setup {
  test::PostgresServer pg;
  test::TempDir dir;
  std::string ini;
  // `extra`: lines after [Store]'s (more of it, or further sections).
  explicit Setup(const std::string& extra = "") {
    const bool started = pg.start();
    INFO(pg.log());
    REQUIRE(started);
    ini = dir.file("api.ini");
    test::writeFile(ini, "[Paths]\nclient_update_dir = " + dir.path() +
                             "\n[Store]\nbackend = postgresql\npostgresql = " + pg.conninfo() +
                             "\n" + extra + "[Users]\nalice = a-pw\n");
  }
  std::unique_ptr<Replica> replica() {
    auto r = std::make_unique<Replica>();
    r->app.configPath = ini;
    std::vector<std::string> errors;
    REQUIRE(config::loadApiConfig(ini, r->app.providerDecls, r->app.config, errors));
    buildApp(r->app);
    return r;
  }
  void admin(const std::vector<std::string>& args, const std::string& input = "") {
    std::vector<std::string> argv = args;
    argv.insert(argv.end(), {"--config", ini});
    const auto result = runApi(argv, input);
    INFO(result.err);
    REQUIRE(result.status == 0);
  }
};

bool within(std::chrono::milliseconds limit, const std::function<bool()>& check) {
  return test::waitUntil(check, limit);
}

TEST_CASE("DirectoryLookup: users added, changed and deleted reach another replica in a second",
          "[api][postgres][integration]") {
  Setup s;
  auto a = s.replica();
  auto b = s.replica();
  s.admin({"user", "add", "carol", "--iterations", "10000"}, "c-pw\n");
  // Replica b never loads the directory: carol is looked up at her first request. A check
  // made while b's watcher moves to the directory's new version is not cached (it was read
  // in the generation that ended); the next one is.
  CHECK(within(std::chrono::milliseconds(1500),
               [&] { return b->code("carol", "c-pw") == 200 && b->cache().sizes().users == 1; }));
  CHECK(b->app.directory->merged().users.size() == 1);  // only the INI's alice
  CHECK(b->ask("carol", "c-pw", false).code == 200);    // cached: no KDF, no query
  CHECK(a->code("carol", "c-pw") == 200);

  s.admin({"user", "passwd", "carol", "--iterations", "10000"}, "new-pw\n");
  CHECK(within(std::chrono::milliseconds(1500), [&] { return b->code("carol", "c-pw") == 401; }));
  CHECK(b->code("carol", "new-pw") == 200);
  CHECK(a->code("carol", "c-pw") == 401);

  // A change to someone else keeps carol's cached check (re-validated, no KDF).
  s.admin({"user", "add", "dave", "--iterations", "10000"}, "d-pw\n");
  CHECK(within(std::chrono::milliseconds(1500), [&] { return b->code("dave", "d-pw") == 200; }));
  const Response cached = b->ask("carol", "new-pw", false);
  CHECK_FALSE(cached.needsSlowAuth);
  CHECK(cached.code == 200);

  s.admin({"host", "add", "pi.example.org", "carol"});
  CHECK(within(std::chrono::milliseconds(1500),
               [&] { return b->app.directory->merged().ownerOf("pi.example.org") == "carol"; }));
  CHECK(b->app.directory->merged().namesOwnedBy("carol") ==
        std::vector<std::string>{"carol", "pi.example.org"});

  s.admin({"user", "del", "carol"});
  CHECK(within(std::chrono::milliseconds(1500), [&] { return b->code("carol", "new-pw") == 401; }));
  CHECK(b->ask("carol", "new-pw", false).needsSlowAuth);  // the cached check is gone
  CHECK(a->code("carol", "new-pw") == 401);
  CHECK(b->app.directory->merged().ownerOf("pi.example.org").empty());
}

TEST_CASE("DirectoryLookup: more users than the cache holds all log in, the cache stays bounded",
          "[api][postgres][integration]") {
  Setup s("user_cache = 100\n");
  auto r = s.replica();
  const std::string hash = hashPassword("pw", kMinPbkdf2Iterations);
  REQUIRE(s.pg.psql("INSERT INTO chipmunk_users (name, secret) SELECT 'u' || k, '" + hash +
                    "' FROM generate_series(1, 150) k; UPDATE chipmunk_directory_version SET "
                    "version = version + 1; SELECT count(*) FROM chipmunk_users") == "150");
  r->app.directory->poll();  // the change seen: the counts below are the logins' alone
  for (int round = 0; round < 2; ++round) {
    int ok = 0;
    for (int k = 1; k <= 150; ++k) {
      ok += r->code("u" + std::to_string(k), "pw") == 200 ? 1 : 0;
    }
    CHECK(ok == 150);
    CHECK(r->cache().sizes().users == 100);
  }
  CHECK(r->code("alice", "a-pw") == 200);  // the INI's users are still in memory
  ApiService& service = r->app.server->service();
  const std::string metrics = service.metrics().render(service.store());
  CHECK(metrics.find("\nchipmunk_api_directory_cached_users 100\n") != std::string::npos);
  CHECK(metrics.find("\nchipmunk_api_directory_lookups_total 300\n") != std::string::npos);
}

TEST_CASE("DirectoryLookup: a wrong password and an unknown name get 401 at the same cost",
          "[api][postgres][integration]") {
  Setup s("[Limits]\nmax_failed_logins = 0\n");  // the lockout is not what is tested
  auto r = s.replica();
  s.admin({"user", "add", "carol", "--iterations", "10000"}, "c-pw\n");
  REQUIRE(within(std::chrono::milliseconds(1500), [&] { return r->code("carol", "c-pw") == 200; }));
  r->app.directory->poll();  // the watcher has seen the change: no re-validation from here on
  const auto queriesOf = [&](const std::string& user, const std::string& password) {
    const uint64_t before = r->cache().queries();
    CHECK(r->ask(user, password, false).needsSlowAuth);  // a failure is never fast
    CHECK(r->ask(user, password, true).code == 401);
    return r->cache().queries() - before;
  };
  const uint64_t wrong = queriesOf("carol", "not-it");
  const uint64_t unknown = queriesOf("nobody", "not-it");
  CHECK(wrong == unknown);
  CHECK(unknown >= 1);  // looked up, then the same dummy PBKDF2 (Authenticator)
  CHECK(r->code("carol", "c-pw") == 200);
  // A flood of unknown names caches nobody and evicts nobody.
  for (int k = 0; k < 20; ++k) {
    CHECK(r->ask("flood" + std::to_string(k), "x", true).code == 401);
  }
  CHECK(r->cache().sizes().users == 1);
  CHECK_FALSE(r->ask("carol", "c-pw", false).needsSlowAuth);
}

TEST_CASE("DirectoryLookup: with the database stopped an uncached user gets 503, not 401",
          "[api][postgres][integration][serial]") {
  Setup s;
  auto r = s.replica();
  s.admin({"user", "add", "carol", "--iterations", "10000"}, "c-pw\n");
  s.admin({"user", "add", "dave", "--iterations", "10000"}, "d-pw\n");
  REQUIRE(within(std::chrono::milliseconds(1500), [&] { return r->code("carol", "c-pw") == 200; }));
  s.pg.stop();
  const Response uncached = r->ask("dave", "d-pw", true);
  CHECK(uncached.code == 503);
  CHECK(uncached.body.find("d-pw") == std::string::npos);
  CHECK(r->ask("nobody", "x", true).code == 503);  // nobody is told "no such user" either
  CHECK(r->code("carol", "c-pw") == 200);          // a cached check needs no database
  CHECK(r->code("alice", "a-pw") == 200);          // nor does the INI
  REQUIRE(s.pg.start());
  CHECK(within(std::chrono::milliseconds(5000), [&] { return r->code("dave", "d-pw") == 200; }));
  // A restart between two requests: the broken connection is replaced, no 503.
  s.admin({"user", "add", "erin", "--iterations", "10000"}, "e-pw\n");
  s.pg.stop();
  REQUIRE(s.pg.start());
  CHECK(r->code("erin", "e-pw") == 200);
}

TEST_CASE("DirectoryLookup: tokens are looked up by id and revoked on every replica",
          "[api][postgres][integration]") {
  Setup s;
  auto r = s.replica();
  s.admin({"user", "add", "carol", "--iterations", "10000"}, "c-pw\n");
  s.admin({"host", "add", "pi.example.org", "carol"});
  const auto made = runApi({"token", "add", "pi.example.org", "--config", s.ini});
  REQUIRE(made.status == 0);
  const std::string token = made.out.substr(0, made.out.find('\n'));
  const auto tokens = [&] { return r->app.directory->tokens(); };
  CHECK(within(std::chrono::milliseconds(1500),
               [&] { return tokens()->verify("pi.example.org", token).has_value(); }));
  const auto grant = tokens()->verify("pi.example.org", token);
  REQUIRE(grant);
  CHECK(grant->user == "carol");
  CHECK(grant->names == std::vector<std::string>{"pi.example.org"});
  // An unknown id: the same hash and the same one query as a known one.
  const uint64_t hashed = tokens()->secretsHashed();
  std::string unknown = token;
  unknown[4] = unknown[4] == 'a' ? 'b' : 'a';
  CHECK_FALSE(tokens()->verify("pi.example.org", unknown));
  CHECK(tokens()->secretsHashed() == hashed + 1);
  // On the update routes an uncached token goes to a writer thread, not the I/O thread.
  CHECK(r->ask("pi.example.org", unknown, false, "/set").needsWriter);
  s.admin({"token", "revoke", token.substr(4, 12)});
  CHECK(within(std::chrono::milliseconds(1500),
               [&] { return !tokens()->verify("pi.example.org", token).has_value(); }));
}

TEST_CASE("DirectoryLookup: a directory host takes its owner's TTL and counts for its owner",
          "[api][postgres][integration]") {
  Setup s("[TTL]\nalice = 1h\n");
  auto r = s.replica();
  s.admin({"host", "add", "nas.example.org", "alice"});  // an INI user's directory host
  CHECK(within(std::chrono::milliseconds(1500),
               [&] { return r->app.directory->merged().ownerOf("nas.example.org") == "alice"; }));
  const config::ApiConfig merged = r->app.directory->merged();
  CHECK(merged.ttlFor("nas.example.org") == std::chrono::hours(1));
  CHECK(merged.ttlFor("other.example.org") == merged.defaultTtl);
  CHECK(merged.namesOwnedBy("alice") == std::vector<std::string>{"alice", "nas.example.org"});
  CHECK(merged.mayReadRecordsOf("alice", merged.ownerOf("nas.example.org")));
  CHECK_FALSE(merged.mayReadRecordsOf("bob", merged.ownerOf("nas.example.org")));
}

TEST_CASE("DirectoryLookup: an INI user the directory also has takes the directory's password",
          "[api][postgres][integration]") {
  // The polls below fail until the change is seen: no lockout from them (a loaded machine
  // made more than max_failed_logins of them and got 429).
  Setup s("[Limits]\nmax_failed_logins = 0\n");
  auto r = s.replica();
  CHECK(r->code("alice", "a-pw") == 200);
  std::string error;
  auto directory = openDirectory(r->app.config, error);
  REQUIRE(directory);
  REQUIRE(directory->putUser({"alice", hashPassword("dir-pw", kMinPbkdf2Iterations)}, false, false,
                             error));
  CHECK(within(std::chrono::milliseconds(1500), [&] { return r->code("alice", "dir-pw") == 200; }));
  CHECK(r->code("alice", "a-pw") == 401);
  REQUIRE(directory->deleteUser("alice", error));
  CHECK(within(std::chrono::milliseconds(1500), [&] { return r->code("alice", "a-pw") == 200; }));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
