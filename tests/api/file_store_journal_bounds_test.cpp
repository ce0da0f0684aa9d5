// SPDX-License-Identifier: MIT
// The journal's bounds over real HTTP (docs/STORE.md, "Durability: the journal and group
// commit"): a journal the checkpoint cannot empty makes writers wait, then answers 503,
// while reads go on; a group whose fdatasync fails is refused to every writer in it, leaves
// no trace in the record files nor in the journal a restart replays, and the store takes
// writes again once the disk does. The failing disk is Journal::Limits::dataSync.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/file_store.hpp"
#include "api/server.hpp"
#include "config/api_config.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;

constexpr int kUsers = 8;

std::string userName(int i) {
  return "u" + std::to_string(i);
}

config::ApiConfig serverConfig(test::TempDir& dir) {
  std::string ini = "[Paths]\nclient_update_dir = " + dir.path() +
                    "\n[Server]\nlisten = 127.0.0.1:0\ntrusted_proxies = 127.0.0.1\n[Users]\n";
  for (int i = 0; i < kUsers; ++i) {
    ini += userName(i) + " = pw\n";
  }
  test::writeFile(dir.file("api.ini"), ini);
  config::ApiConfig cfg;
  std::vector<std::string> errors;
  REQUIRE(config::loadApiConfig(dir.file("api.ini"), cfg, errors));
  return cfg;
}

// GET /set for `user` from `address` (a trusted proxy's X-Forwarded-For).
int setAddress(int port, const std::string& user, const std::string& address) {
  return test::httpRequest(port, "GET", "/set",
                           test::basicAuth(user, "pw") + "X-Forwarded-For: " + address + "\r\n")
      .status;
}

std::string storedAddress(Store& store, const std::string& name) {
  const auto record = store.get(name);
  return record && record->ip ? record->ip->toString() : std::string();
}

// What a fresh store on `dir` (a replay of its journal first) holds for each name.
std::map<std::string, std::string> reopened(const std::string& dir) {
  FileStore store(dir);
  std::map<std::string, std::string> out;
  for (int i = 0; i < kUsers; ++i) {
    out[userName(i)] = storedAddress(store, userName(i));
  }
  return out;
}

TEST_CASE(
    "Integration: a full journal makes writers wait then 503, reads go on, nothing acked is lost",
    "[api][integration][journal]") {
  test::TempDir dir;
  const auto cfg = serverConfig(dir);
  Journal::Limits limits;
  limits.checkpointBytes = size_t{1} << 30;  // no checkpoint but the test's: it falls behind
  limits.checkpointEntries = size_t{1} << 30;
  limits.maxBytes = 4096;
  limits.maxWait = std::chrono::milliseconds(300);
  auto store = std::make_shared<FileStore>(dir.path(), limits);
  auto server = std::make_unique<ApiServer>(cfg, store);
  server->start();
  const int port = server->port();
  std::map<std::string, std::string> acked;
  std::string refusedUser;
  std::chrono::steady_clock::duration refusedAfter{};
  for (int i = 0; i < 200 && refusedUser.empty(); ++i) {
    const std::string user = userName(i % kUsers);
    const std::string address = "198.51.100." + std::to_string(i + 1);
    const auto start = std::chrono::steady_clock::now();
    const int status = setAddress(port, user, address);
    if (status == 200) {
      acked[user] = address;
    } else {
      CHECK(status == 503);
      refusedUser = user;
      refusedAfter = std::chrono::steady_clock::now() - start;
    }
  }
  REQUIRE_FALSE(refusedUser.empty());
  CHECK(refusedAfter >= std::chrono::milliseconds(250));  // it waited for a checkpoint first
  CHECK(store->journalBytes() >= limits.maxBytes);
  // Reads do not wait for the journal.
  CHECK(test::httpRequest(port, "GET", "/get/ip", test::basicAuth("u0", "pw")).status == 200);
  // The refused write changed nothing, in memory or in the record file.
  CHECK(storedAddress(*store, refusedUser) == acked[refusedUser]);
  if (!acked[refusedUser].empty()) {
    CHECK(test::readFile(dir.file(refusedUser + ".cm")) == acked[refusedUser] + "\n");
  }
  // A checkpoint empties the journal: writes are taken again.
  REQUIRE(store->checkpoint());
  CHECK(setAddress(port, "u1", "203.0.113.7") == 200);
  acked["u1"] = "203.0.113.7";
  server->shutdown();
  server.reset();
  store.reset();
  const auto after = reopened(dir.path());
  for (const auto& [user, address] : acked) {
    CHECK(after.at(user) == address);
  }
}

TEST_CASE(
    "Integration: a failed journal fdatasync fails its writers, leaves no trace, then recovers",
    "[api][integration][journal]") {
  test::TempDir dir;
  const auto cfg = serverConfig(dir);
  auto failing = std::make_shared<std::atomic<bool>>(false);
  Journal::Limits limits;
  limits.dataSync = [failing](int fd) {
    if (failing->load()) {
      errno = EIO;  // what a disk's write error gives
      return -1;
    }
    return ::fdatasync(fd);
  };
  auto store = std::make_shared<FileStore>(dir.path(), limits);
  auto server = std::make_unique<ApiServer>(cfg, store);
  server->start();
  const int port = server->port();
  REQUIRE(setAddress(port, "u0", "198.51.100.1") == 200);
  failing->store(true);
  // Concurrent writers (groups of one or more): not one is told its write is stored.
  std::vector<std::future<int>> writers;
  for (int i = 0; i < kUsers; ++i) {
    writers.push_back(std::async(std::launch::async, [port, i] {
      return setAddress(port, userName(i), "203.0.113." + std::to_string(i + 1));
    }));
  }
  for (auto& w : writers) {
    CHECK(w.get() == 503);
  }
  CHECK(storedAddress(*store, "u0") == "198.51.100.1");
  CHECK(test::readFile(dir.file("u0.cm")) == "198.51.100.1\n");
  CHECK_FALSE(std::filesystem::exists(dir.file("u1.cm")));  // a new record is removed again
  CHECK(test::httpRequest(port, "GET", "/get/ip", test::basicAuth("u0", "pw")).status == 200);
  // A crash now: the directory as it is, its journal replayed by a new store.
  test::TempDir crashed;
  std::filesystem::copy(
      dir.path(), crashed.path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  const auto replayed = reopened(crashed.path());
  CHECK(replayed.at("u0") == "198.51.100.1");
  for (int i = 1; i < kUsers; ++i) {
    CHECK(replayed.at(userName(i)).empty());  // the refused groups are not replayed
  }
  // The disk works again: so does the store.
  failing->store(false);
  CHECK(setAddress(port, "u0", "198.51.100.2") == 200);
  CHECK(setAddress(port, "u1", "198.51.100.3") == 200);
  server->shutdown();
  server.reset();
  store.reset();
  const auto after = reopened(dir.path());
  CHECK(after.at("u0") == "198.51.100.2");
  CHECK(after.at("u1") == "198.51.100.3");
  CHECK(after.at("u2").empty());
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
