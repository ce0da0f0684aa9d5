// SPDX-License-Identifier: MIT
// Record writes run off Pistache's I/O threads: a store that is slow to write (here: one
// that blocks until told) delays neither /get/ip nor any other request on the same I/O
// thread. Asserted structurally: /get/ip is answered while the /set is still inside the
// store, on a server with a single I/O thread.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "api/server.hpp"
#include "config/api_config.hpp"
#include "tests/support/gate.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;

// A store whose update() waits until the gate opens: a write stuck on a slow disk.
class BlockingStore final : public Store {
 public:
  test::Gate gate;

  // Store
  UpdateResult update(const std::string& name, const RecordUpdate& update, int64_t now) override {
    gate.pass();
    UpdateResult r;
    r.outcome = SetOutcome::kSaved;
    r.after.name = name;
    r.after.ip = update.primary;
    r.after.lastSeen = now;
    return r;
  }
  std::optional<HostRecord> get(const std::string&) override { return std::nullopt; }
  std::vector<HostRecord> list() override { return {}; }
  bool put(const HostRecord&) override { return true; }
  std::vector<HostRecord> expireDue(int64_t) override { return {}; }
  void flush() override {}
};

TEST_CASE("Integration: a /set waiting for the store does not delay /get/ip on the same thread",
          "[api][integration]") {
  test::TempDir dir;
  test::writeFile(dir.file("api.ini"),
                  "[Paths]\nclient_update_dir = " + dir.path() +
                      "\n[Server]\nlisten = 127.0.0.1:0\nthreads = 1\ntrusted_proxies = "
                      "127.0.0.1\n[Users]\nalice = alice-pw\nbob = bob-pw\n");
  config::ApiConfig cfg;
  std::vector<std::string> errors;
  REQUIRE(config::loadApiConfig(dir.file("api.ini"), cfg, errors));
  auto store = std::make_shared<BlockingStore>();
  ApiServer server(cfg, store);
  server.start();
  const int port = server.port();
  const std::string alice = test::basicAuth("alice", "alice-pw");
  // Two writers from different clients, both parked inside the store.
  auto first = std::async(std::launch::async, [&] {
    return test::httpRequest(port, "GET", "/set", alice + "X-Forwarded-For: 198.51.100.1\r\n");
  });
  auto second = std::async(std::launch::async, [&] {
    return test::httpRequest(
        port, "GET", "/set",
        test::basicAuth("bob", "bob-pw") + "X-Forwarded-For: 198.51.100.2\r\n");
  });
  REQUIRE(store->gate.waitEntered(2));
  // The only I/O thread is free: reads are answered while both writes wait.
  for (int i = 0; i < 3; ++i) {
    const auto r = test::httpRequest(port, "GET", "/get/ip", alice);
    CHECK(r.status == 200);
  }
  CHECK(store->gate.entered() == 2);
  store->gate.open();
  CHECK(first.get().status == 200);
  CHECK(second.get().status == 200);
  server.shutdown();
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
