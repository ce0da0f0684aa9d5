// SPDX-License-Identifier: MIT
// An outbox event's effects against a real PostgreSQL and the fake Linode API: the hook
// runs once even when the push is retried, the push state is shared through
// chipmunk_push_state, and an address the state already holds is not sent again.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include "api/outbox_effects.hpp"
#include "api/pg_schema.hpp"
#include "config/api_config.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace std::chrono_literals;
using chipmunk::test::waitUntil;

size_t lineCount(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
  }
  return n;
}

TEST_CASE("Outbox: a failed push is retried without running the hook again",
          "[api][outbox][postgres][integration]") {
  test::PostgresServer pg;
  REQUIRE(pg.start());
  std::string error;
  auto conn = api::pg::Connection::open(pg.conninfo(), error);
  REQUIRE(conn);
  REQUIRE(api::pg::migrateSchema(*conn, error));
  test::FakeLinode linode;
  const long long zone = linode.addDomain("example.com");
  linode.addRecord(zone, "home", "A", "192.0.2.1");
  test::TempDir dir;
  const std::string hooks = dir.file("hooks.txt");
  std::ofstream(dir.file("api.ini"))
      << "[Paths]\nclient_update_dir = " << dir.path() << "\n[Users]\nalice = secret\n"
      << "[Hosts]\nhome.example.com = alice\n[Hooks]\non_change = echo "
      << "\"$CHIPMUNK_EVENT_ID $CHIPMUNK_USER $CHIPMUNK_NEW_IP\" >> " << hooks << "\n"
      << "[Push]\nretry_min = 1s\nretry_max = 2s\ntimeout = 5s\n"
      << "[linode]\napi_key = test-token\nendpoint = " << linode.endpoint() << "\n"
      << "[push:home]\nrecord = home.example.com\nprovider = linode\nhost = home\n"
      << "domain = example.com\n";
  config::ApiConfig cfg;
  std::vector<std::string> errors;
  REQUIRE(config::loadApiConfig(dir.file("api.ini"), api::pushProviderDeclarations(), cfg, errors));
  auto effects = api::OutboxEffects::create(cfg, errors);
  REQUIRE(effects);
  auto insert = [&] {
    // As the store writes it: no owner (the dispatcher finds it in [Hosts]).
    REQUIRE(conn->exec("INSERT INTO chipmunk_outbox (kind, name, after) VALUES ('changed',"
                       " 'home.example.com', '{\"name\": \"home.example.com\", \"ipv4\": "
                       "\"203.0.113.7\", \"ip\": \"203.0.113.7\"}')")
                .ok());
  };
  api::OutboxDispatcher::Options options;
  options.poll = 200ms;
  api::OutboxDispatcher dispatcher(pg.conninfo(), effects, options);
  linode.failNext(503, 1);
  insert();
  const auto started = std::chrono::steady_clock::now();
  dispatcher.start();
  REQUIRE(waitUntil([&] { return dispatcher.stats().retried == 1; }, 10s));
  CHECK(pg.psql("SELECT hook_done, attempts FROM chipmunk_outbox") == "t|1");
  REQUIRE(waitUntil([&] { return pg.psql("SELECT count(*) FROM chipmunk_outbox") == "0"; }, 10s));
  // retry_min = 1s is a floor: the retry came no sooner, whatever the wall clock's
  // fraction of a second when the push failed (it was rounded down to the second).
  CHECK(std::chrono::steady_clock::now() - started >= 1s);
  CHECK(linode.target(zone, "home", "A") == "203.0.113.7");
  CHECK(linode.count("PUT") == 1);
  CHECK(lineCount(hooks) == 1);  // the hook ran once, before the failed push
  CHECK(pg.psql("SELECT state->>'ip' FROM chipmunk_push_state WHERE label = 'home'") ==
        "203.0.113.7");
  // Another event with the same address (as after a lost commit): its hook runs, the push
  // is "unchanged" from the shared state and nothing is sent.
  insert();
  REQUIRE(waitUntil([&] { return dispatcher.stats().done == 2; }, 10s));
  dispatcher.stop();
  CHECK(linode.count("PUT") == 1);
  CHECK(lineCount(hooks) == 2);
  std::ifstream in(hooks);
  std::string first;
  std::getline(in, first);
  CHECK(first.find(" alice 203.0.113.7") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
