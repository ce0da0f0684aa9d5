// SPDX-License-Identifier: MIT
// chipmunk-updater --status (updater/status.cpp): each record's address, last success, last
// error and next attempt, read from prepared state files, with no daemon and no network.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <sstream>

#include "tests/support/temp_dir.hpp"
#include "updater/command_line.hpp"
#include "updater/status.hpp"
#include "updater/updater.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::updater;
using chipmunk::test::TempDir;
using chipmunk::test::writeFile;

constexpr long long kNow = 1700003600;  // 2023-11-14 23:13:20 UTC

// Two records; `home` has a state file, `office` none. The provider's endpoint is a closed
// port: reading the status must not need it.
config::UpdaterConfig prepared(TempDir& dir, const std::string& homeState) {
  writeFile(dir.file("u.ini"),
            "[Global]\nstate_dir = " + dir.file("state") +
                "\n[source:web]\ntype = web\nurl = http://127.0.0.1:1/\n"
                "[linode]\napi_key = secret-token\nendpoint = http://127.0.0.1:1/v4\n"
                "[record:home]\nprovider = linode\nhost = home\ndomain = example.com\n"
                "[record:office]\nprovider = linode\nhost = office\ndomain = example.com\n");
  REQUIRE(::mkdir(dir.file("state").c_str(), 0700) == 0);
  writeFile(dir.file("state/home.state"), homeState);
  config::UpdaterConfig c;
  std::vector<std::string> errors;
  REQUIRE(loadConfig(dir.file("u.ini"), providers::ProviderRegistry::builtin(), c, errors));
  return c;
}

const char* kHomeState =
    R"({"format":2,"record":"home","key":"linode home.example.com A","ip":"203.0.113.7",)"
    R"("pushed_at":1700000000,"attempted_at":1700003000,"last_result":"retry-later",)"
    R"("detail":"update record: HTTP 503","failures":2,"stopped":"",)"
    R"("last_error":"update record: HTTP 503\u001b[31m","error_at":1700003000,)"
    R"("verified_at":1700001000,"next_at":1700003720})";

TEST_CASE("Status: prints address, last success, last error and next attempt per record",
          "[updater][unit]") {
  TempDir dir;
  const auto status = readStatus(prepared(dir, kHomeState));
  REQUIRE(status.size() == 2);
  CHECK(status[0].hasState);
  CHECK_FALSE(status[1].hasState);
  const std::string text = formatStatus(status, kNow, false);
  CHECK(text ==
        "home: home.example.com A at linode\n"
        "  address:      203.0.113.7\n"
        "  last success: 2023-11-14 22:13:20 UTC (60m ago)\n"
        "  last result:  retry-later (2 failures)\n"
        "  last error:   2023-11-14 23:03:20 UTC (10m ago): update record: HTTP 503\\x1b[31m\n"
        "  verified:     2023-11-14 22:30:00 UTC (43m ago)\n"
        "  next attempt: 2023-11-14 23:15:20 UTC (in 2m)\n"
        "office: office.example.com A at linode\n"
        "  no state yet (never attempted)\n");
}

TEST_CASE("Status: --json gives the same facts, times as Unix seconds or null", "[updater][unit]") {
  TempDir dir;
  const std::string json = formatStatus(readStatus(prepared(dir, kHomeState)), kNow, true);
  CHECK(json.find(R"("record":"home","host":"home.example.com","type":"A","provider":"linode",)"
                  R"("address":"203.0.113.7","last_success":1700000000,)") != std::string::npos);
  CHECK(json.find(R"("last_error_at":1700003000,"verified_at":1700001000,)"
                  R"("next_attempt":1700003720,"failures":2,"stopped":"")") != std::string::npos);
  CHECK(json.find(R"("record":"office","host":"office.example.com","type":"A",)"
                  R"("provider":"linode","address":"","last_success":null,)") != std::string::npos);
  CHECK(json.find("secret-token") == std::string::npos);
}

TEST_CASE("Status: a state file of another record or a damaged one counts as none",
          "[updater][unit]") {
  TempDir dir;
  std::string other = kHomeState;
  other.replace(other.find("linode home"), 11, "linode:work home");
  CHECK_FALSE(readStatus(prepared(dir, other))[0].hasState);
  TempDir dir2;
  CHECK_FALSE(readStatus(prepared(dir2, "{not json"))[0].hasState);
}

TEST_CASE("Status: a stopped record says so instead of a next attempt", "[updater][unit]") {
  TempDir dir;
  std::string stopped = kHomeState;
  stopped.replace(stopped.find(R"("stopped":"")"), 12, R"("stopped":"auth-failed")");
  const std::string text = formatStatus(readStatus(prepared(dir, stopped)), kNow, false);
  CHECK(text.find("next attempt: stopped (auth-failed) until the configuration is reloaded") !=
        std::string::npos);
}

TEST_CASE("Status: --status and --dry-run parse, and --json needs --status", "[updater][unit]") {
  std::ostringstream out;
  std::ostringstream err;
  Options options;
  const char* status[] = {"chipmunk-updater", "--status", "--json"};
  CHECK_FALSE(parseCommandLine(3, status, options, out, err));
  CHECK(options.status);
  CHECK(options.json);
  Options dry;
  const char* dryRun[] = {"chipmunk-updater", "--dry-run"};
  CHECK_FALSE(parseCommandLine(2, dryRun, dry, out, err));
  CHECK(dry.dryRun);
  CHECK(dry.once);
  Options bad;
  const char* json[] = {"chipmunk-updater", "--json"};
  CHECK(parseCommandLine(2, json, bad, out, err) == kExitConfig);
  const char* daemon[] = {"chipmunk-updater", "--dry-run", "--daemon"};
  CHECK(parseCommandLine(3, daemon, bad, out, err) == kExitConfig);
}

TEST_CASE("Status: the state's status fields round-trip, and are left out when unset",
          "[updater][unit]") {
  providers::SyncState s;
  s.key = "linode home.example.com A";
  s.ip = "203.0.113.7";
  const std::string plain = providers::formatSyncState("home", s);
  CHECK(plain.find("last_error") == std::string::npos);  // gateway push's file is unchanged
  CHECK(plain.find("next_at") == std::string::npos);
  s.lastError = "HTTP 503";
  s.errorAt = 1700003000;
  s.verifiedAt = 1700001000;
  s.nextAt = 1700003720;
  const auto back = providers::parseSyncState(providers::formatSyncState("home", s));
  REQUIRE(back);
  CHECK(back->lastError == "HTTP 503");
  CHECK(back->errorAt == 1700003000);
  CHECK(back->verifiedAt == 1700001000);
  CHECK(back->nextAt == 1700003720);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
