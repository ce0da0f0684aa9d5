// SPDX-License-Identifier: MIT
// Health for monitors (updater/health.cpp): the status file and the Prometheus textfile
// after a scripted sequence against the fake Linode (2 updates, 1 failure, 1 stop, 1 failed
// discovery), validated with promtool and read back number by number.
#include <signal.h>
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>

#include "common/json.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/process.hpp"
#include "tests/support/prometheus_text.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/health.hpp"
#include "updater/updater.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::updater;
using chipmunk::test::checkExposition;
using chipmunk::test::FakeLinode;
using chipmunk::test::readFile;
using chipmunk::test::requireSeries;
using chipmunk::test::seriesValue;
using chipmunk::test::TempDir;
using chipmunk::test::writeFile;

// `home` on a good Linode account, `office` on one whose token the fake refuses.
struct HealthFixture {
  TempDir dir;
  FakeLinode linode;
  long long domainId = linode.addDomain("example.com");

  HealthFixture() {
    linode.addRecord(domainId, "home", "A", "192.0.2.1");
    linode.addRecord(domainId, "office", "A", "192.0.2.1");
    setIp("203.0.113.10");
  }
  void setIp(const std::string& ip) const { writeFile(dir.file("ip.txt"), ip + "\n"); }
  std::string status() const { return dir.file("status.json"); }
  std::string metrics() const { return dir.file("chipmunk.prom"); }
  std::string config() const {
    const std::string path = dir.file("u.ini");
    writeFile(path, "[Global]\nallow_private = yes\nstate_dir = " + dir.file("state") +
                        "\ntimeout = 2s\nstatus_file = " + status() + "\nmetrics_file = " +
                        metrics() + "\n[Daemon]\ninterval = 1s\nretry_min = 1s\nretry_max = 2s\n" +
                        "[source:file]\ntype = command\ncommand = cat " + dir.file("ip.txt") +
                        "\n[linode]\napi_key = test-token\nendpoint = " + linode.endpoint() +
                        "\n[linode:bad]\napi_key = wrong\nendpoint = " + linode.endpoint() +
                        "\n[record:home]\nprovider = linode\nhost = home\ndomain = example.com\n"
                        "[record:office]\nprovider = linode:bad\nhost = office\n"
                        "domain = example.com\n");
    return path;
  }
};

TEST_CASE("Health: the textfile counts 2 updates, 1 failure, 1 stop and a failed discovery",
          "[updater][unit]") {
  HealthFixture f;
  config::UpdaterConfig c;
  std::vector<std::string> errors;
  REQUIRE(loadConfig(f.config(), providers::ProviderRegistry::builtin(), c, errors));
  auto u = Updater::create(c, providers::ProviderRegistry::builtin(), errors);
  REQUIRE(u);
  Health health;
  health.configure(c.statusFile, c.metricsFile);
  const long long now = static_cast<long long>(std::time(nullptr));
  const auto cycle = [&](bool force) {
    const auto report = u->runCycle(force);  // first: the status is the cycle's (as app.cpp)
    health.afterCycle(u->recordStatus(), report, now);
  };
  cycle(false);  // home updated; office refused (401): stopped
  f.setIp("203.0.113.11");
  f.linode.failNext(503, 1);
  cycle(false);  // home fails (503)
  CHECK(requireSeries(readFile(f.metrics()),
                      R"(chipmunk_updater_record_consecutive_failures{record="home"})") == 1);
  cycle(true);  // home updated (forced past its backoff); office stays stopped
  f.setIp("not an address");
  cycle(false);  // discovery fails
  const std::string text = readFile(f.metrics());
  INFO(text);
  checkExposition(text);
  CHECK(requireSeries(text, R"(chipmunk_updater_updates_total{record="home"})") == 2);
  CHECK(requireSeries(text, R"(chipmunk_updater_update_failures_total{record="home"})") == 1);
  CHECK(requireSeries(text, R"(chipmunk_updater_updates_total{record="office"})") == 0);
  CHECK(requireSeries(text, R"(chipmunk_updater_update_failures_total{record="office"})") == 1);
  CHECK(requireSeries(text, R"(chipmunk_updater_record_stopped{record="office"})") == 1);
  CHECK(requireSeries(text, R"(chipmunk_updater_record_stopped{record="home"})") == 0);
  CHECK(requireSeries(text, R"(chipmunk_updater_record_consecutive_failures{record="home"})") == 0);
  CHECK(requireSeries(text,
                      R"(chipmunk_updater_record_last_success_timestamp_seconds{record="home"})") >=
        now);
  CHECK(requireSeries(
            text, R"(chipmunk_updater_record_last_success_timestamp_seconds{record="office"})") ==
        0);
  CHECK(requireSeries(
            text, R"(chipmunk_updater_record_last_attempt_timestamp_seconds{record="office"})") >=
        now);
  CHECK(requireSeries(text, "chipmunk_updater_discovery_failures_total") == 1);
  CHECK(requireSeries(text, "chipmunk_updater_cycles_total") == 4);
  CHECK(requireSeries(text,
                      R"(chipmunk_updater_record_info{record="office",host="office.example.com",)"
                      R"(type="A",provider="linode:bad"})") == 1);
  CHECK(text.find("chipmunk_updater_build_info{version=\"") != std::string::npos);
  CHECK(text.find("test-token") == std::string::npos);
  // The status file is --status --json's report of the same states.
  const std::string status = readFile(f.status());
  CHECK(status == formatStatus(u->recordStatus(), now, true));
  std::string error;
  rapidjson::Document doc;
  REQUIRE(json::parse(doc, status, error));
  CHECK(doc["records"].Size() == 2);
  CHECK(status.find(R"("record":"office","host":"office.example.com")") != std::string::npos);
  CHECK(status.find(R"("stopped":"auth-failed")") != std::string::npos);
  CHECK(status.find(R"("address":"203.0.113.11")") != std::string::npos);
  CHECK(status.find("wrong") == std::string::npos);
}

TEST_CASE("Health: files are replaced by rename, mode 0644, no temporary left", "[updater][unit]") {
  TempDir dir;
  const std::string path = dir.file("chipmunk.prom");
  std::string error;
  const mode_t umask = ::umask(027);  // the daemon's (--daemon): still readable by all
  const bool written = writeFileAtomically(path, "first 1\n", error);
  ::umask(umask);
  REQUIRE(written);
  struct stat before {};
  REQUIRE(::stat(path.c_str(), &before) == 0);
  CHECK((before.st_mode & 0777) == 0644);
  // A reader that opened the old file keeps reading all of it: the new one is another inode
  // renamed over the name, never the old one rewritten in place.
  FILE* reader = std::fopen(path.c_str(), "r");
  REQUIRE(reader != nullptr);
  REQUIRE(writeFileAtomically(path, "second 2\n", error));
  char line[32] = {};
  CHECK(std::fgets(line, sizeof line, reader) == std::string("first 1\n"));
  std::fclose(reader);
  struct stat after {};
  REQUIRE(::stat(path.c_str(), &after) == 0);
  CHECK(after.st_ino != before.st_ino);
  CHECK(readFile(path) == "second 2\n");
  CHECK_FALSE(chipmunk::test::fileExists(dir.file(".chipmunk.prom.tmp")));
  CHECK_FALSE(writeFileAtomically(dir.file("missing/x.prom"), "x", error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("chipmunk-updater daemon: writes status_file and metrics_file after every cycle",
          "[updater][integration]") {
  HealthFixture f;
  const std::string config = f.config();
  chipmunk::test::ChildProcess process({CHIPMUNK_UPDATER_BIN, "--config", config},
                                       f.dir.file("out"), f.dir.file("err"));
  const auto cycles = [&] {
    return seriesValue(readFile(f.metrics()), "chipmunk_updater_cycles_total").value_or(0);
  };
  REQUIRE(chipmunk::test::waitUntil([&] { return cycles() >= 2; }, std::chrono::seconds(15)));
  const std::string text = readFile(f.metrics());
  checkExposition(text);
  CHECK(requireSeries(text, R"(chipmunk_updater_updates_total{record="home"})") == 1);
  CHECK(requireSeries(text, R"(chipmunk_updater_record_stopped{record="office"})") == 1);
  CHECK(readFile(f.status()).find(R"("record":"home")") != std::string::npos);
  process.signal(SIGTERM);
  CHECK(process.wait(std::chrono::seconds(10)) == 0);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
