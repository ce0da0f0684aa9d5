// SPDX-License-Identifier: MIT
// The hook runner: events queue per record, records take turns, and a record's pending
// changes coalesce so that its latest state always reaches the hook.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "api/hooks.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::api::HookRunner;
using chipmunk::test::fileExists;
using chipmunk::test::readFile;
using chipmunk::test::TempDir;
using chipmunk::test::waitUntil;
using chipmunk::test::writeFile;

std::vector<std::string> lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(readFile(path));
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

std::map<std::string, std::string> event(const char* kind, const std::string& host,
                                         const std::string& oldIp, const std::string& newIp) {
  return {{"CHIPMUNK_EVENT", kind},
          {"CHIPMUNK_HOST", host},
          {"CHIPMUNK_OLD_IP", oldIp},
          {"CHIPMUNK_NEW_IP", newIp}};
}

TEST_CASE("Unit: hook events coalesce per record and records take turns", "[api][unit]") {
  TempDir dir;
  const std::string gate = dir.file("go");
  const std::string out = dir.file("out.txt");
  // Says it started, waits for the gate (at most 30 s), then logs the event.
  const std::string command = "echo started >> " + dir.file("started") + "; i=0; while [ ! -e " +
                              gate +
                              " ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; echo "
                              "\"$CHIPMUNK_EVENT $CHIPMUNK_HOST $CHIPMUNK_OLD_IP>$CHIPMUNK_NEW_IP\""
                              " >> " +
                              out;
  const auto timeout = std::chrono::seconds(60);
  HookRunner runner;
  // The first event starts at once and holds the runner.
  REQUIRE(runner.run("noisy", command, event("change", "noisy", "", "10.0.0.0"), timeout, true));
  REQUIRE(waitUntil([&] { return fileExists(dir.file("started")); }, std::chrono::seconds(10)));
  // 10,000 changes of one record, another record's single change in the middle, an expiry
  // (never merged) and a change after it.
  for (int i = 1; i <= 10000; ++i) {
    const std::string before =
        "10.0." + std::to_string((i - 1) / 256) + "." + std::to_string((i - 1) % 256);
    const std::string after = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    REQUIRE(runner.run("noisy", command, event("change", "noisy", before, after), timeout, true));
    if (i == 5000) {
      REQUIRE(
          runner.run("quiet", command, event("change", "quiet", "", "192.0.2.1"), timeout, true));
      REQUIRE(
          runner.run("quiet", command, event("expire", "quiet", "192.0.2.1", ""), timeout, false));
      REQUIRE(
          runner.run("quiet", command, event("change", "quiet", "", "192.0.2.2"), timeout, true));
      REQUIRE(runner.run("quiet", command, event("change", "quiet", "192.0.2.2", "192.0.2.3"),
                         timeout, true));
    }
  }
  writeFile(gate, "");
  runner.stop();  // runs what is queued
  CHECK(lines(out) == std::vector<std::string>{
                          "change noisy >10.0.0.0",
                          "change noisy 10.0.0.0>10.0.39.16",  // the net change: 10000 = 39*256+16
                          "change quiet >192.0.2.1",
                          "expire quiet 192.0.2.1>",
                          "change quiet >192.0.2.3",
                      });
}

TEST_CASE("Unit: a stopped hook runner refuses new events", "[api][unit]") {
  HookRunner runner;
  runner.stop();
  CHECK_FALSE(runner.run("a", "true", {}, std::chrono::seconds(1), true));
  CHECK(runner.run("a", "", {}, std::chrono::seconds(1), true));  // no command: nothing to do
}

// Counts what reaches the listener after the hooks.
class CountingListener final : public chipmunk::api::RecordListener {
 public:
  void recordChanged(const std::string&, const chipmunk::api::HostRecord&,
                     const chipmunk::api::HostRecord&) override {
    ++changes;
  }
  void recordExpired(const std::string&, const chipmunk::api::HostRecord&) override { ++expiries; }
  int changes = 0;
  int expiries = 0;
};

TEST_CASE("Unit: the hook listener runs on_change and on_expire, then tells the next listener",
          "[api][unit]") {
  using chipmunk::api::HookListener;
  using chipmunk::api::HostRecord;
  TempDir dir;
  const std::string out = dir.file("out.txt");
  const std::string line =
      "\"$CHIPMUNK_EVENT $CHIPMUNK_USER $CHIPMUNK_HOST $CHIPMUNK_OLD_IP>$CHIPMUNK_NEW_IP "
      "$CHIPMUNK_NEW_IPV4 $CHIPMUNK_TTL\" >> " +
      out;
  chipmunk::config::ApiConfig config;
  config.onChange = "echo " + line;
  config.onExpire = "echo " + line;
  HookListener listener(config);
  auto next = std::make_shared<CountingListener>();
  listener.setNext(next);

  HostRecord before;
  before.name = "home";
  before.ip = chipmunk::IpAddress::parse("192.0.2.1");
  before.ipv4 = before.ip;
  before.ttl = 60;
  HostRecord after = before;
  after.ip = chipmunk::IpAddress::parse("192.0.2.2");
  after.ipv4 = after.ip;
  listener.recordChanged("alice", before, after);
  after.expired = true;
  listener.recordExpired("alice", after);
  listener.stop();  // runs what is queued

  CHECK(lines(out) == std::vector<std::string>{"change alice home 192.0.2.1>192.0.2.2 192.0.2.2 60",
                                               "expire alice home >  60"});
  CHECK(next->changes == 1);
  CHECK(next->expiries == 1);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
