// SPDX-License-Identifier: MIT
// chipmunk-api's /metrics (api/metrics.cpp) from the real binary over loopback: the
// exposition promtool accepts, its numbers after a scripted sequence, and who may read it
// ([Metrics] access and users).
#include <catch2/catch.hpp>

#include "tests/api/integration_helpers.hpp"
#include "tests/support/prometheus_text.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::integration;

const std::string kUsers =
    "[Users]\nalice = secret\nprom = scrape-pw\n"
    "[Limits]\nmax_failed_logins = 2\nfailed_login_window = 60s\nfailed_login_lockout = 60s\n";

TEST_CASE("Metrics: counts requests, a wrong password and a lockout, and promtool accepts it",
          "[api][integration]") {
  ApiInstance api(kUsers + "[Server]\npublic_ip_endpoints = yes\n");
  REQUIRE(api.start());
  for (int i = 0; i < 5; ++i) {
    REQUIRE(httpRequest(api.port(), "GET", "/get/ip").status == 200);
  }
  REQUIRE(httpRequest(api.port(), "GET", "/set", basicAuth("alice", "secret")).status == 200);
  REQUIRE(httpRequest(api.port(), "GET", "/no/such/path", basicAuth("alice", "secret")).status ==
          404);
  // From another loopback address: two wrong passwords lock it out, the third try gets 429.
  CHECK(requestFrom("127.0.0.2", api.port(), "GET", "/hosts", basicAuth("alice", "nope")).status ==
        401);
  CHECK(requestFrom("127.0.0.2", api.port(), "GET", "/hosts", basicAuth("alice", "nope")).status ==
        401);
  CHECK(
      requestFrom("127.0.0.2", api.port(), "GET", "/hosts", basicAuth("alice", "secret")).status ==
      429);
  const auto r = httpRequest(api.port(), "GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = r.body;
  INFO(text);
  checkExposition(text);
  CHECK(requireSeries(text, R"(chipmunk_api_requests_total{route="/get/ip",code="200"})") == 5);
  CHECK(requireSeries(text, R"(chipmunk_api_requests_total{route="/set",code="200"})") == 1);
  CHECK(requireSeries(text, R"(chipmunk_api_requests_total{route="unmatched",code="404"})") == 1);
  CHECK(requireSeries(text, R"(chipmunk_api_requests_total{route="/hosts",code="401"})") == 2);
  CHECK(requireSeries(text, R"(chipmunk_api_requests_total{route="/hosts",code="429"})") == 1);
  CHECK(requireSeries(text, "chipmunk_api_auth_failures_total") == 2);
  CHECK(requireSeries(text, R"(chipmunk_api_rate_limited_total{reason="login_lockout"})") == 1);
  CHECK(requireSeries(text, "chipmunk_api_records") == 1);
  CHECK(requireSeries(text, "chipmunk_api_store_write_duration_seconds_count") == 1);
  CHECK(requireSeries(text, R"(chipmunk_api_store_write_duration_seconds_bucket{le="+Inf"})") == 1);
  // The one store write, by what it did: alice's first address, saved.
  CHECK(requireSeries(text, R"(chipmunk_api_store_writes_total{outcome="saved"})") == 1);
  CHECK(requireSeries(text, R"(chipmunk_api_store_writes_total{outcome="unchanged"})") == 0);
  CHECK(requireSeries(text, R"(chipmunk_api_store_writes_total{outcome="failed"})") == 0);
  CHECK(requireSeries(text, R"(chipmunk_api_push_queue_length)") == 0);
  CHECK(text.find("chipmunk_api_build_info{version=\"") != std::string::npos);
  // No label carries a path asked for, a record or a user name.
  CHECK(text.find("no/such") == std::string::npos);
  CHECK(text.find("alice") == std::string::npos);
  // The scrape itself is counted by the next one.
  const auto again = httpRequest(api.port(), "GET", "/metrics").body;
  CHECK(requireSeries(again, R"(chipmunk_api_requests_total{route="/metrics",code="200"})") == 1);
}

TEST_CASE("Metrics: loopback access is open only to direct loopback clients",
          "[api][integration]") {
  ApiInstance api(kUsers + "[Metrics]\nusers = prom\n");
  REQUIRE(api.start());
  CHECK(httpRequest(api.port(), "GET", "/metrics").status == 200);
  CHECK(httpRequest(api.port(), "HEAD", "/metrics").status == 200);
  // Through a proxy on the same host, the request is the internet's: credentials needed.
  for (const std::string header : {"X-Forwarded-For: 203.0.113.9\r\n", "X-Real-IP: 203.0.113.9\r\n",
                                   "Forwarded: for=203.0.113.9\r\n"}) {
    INFO(header);
    const auto r = httpRequest(api.port(), "GET", "/metrics", header);
    CHECK(r.status == 401);
    CHECK(r.body.find("chipmunk_api") == std::string::npos);
  }
  const std::string proxied = "X-Forwarded-For: 203.0.113.9\r\n";
  CHECK(
      httpRequest(api.port(), "GET", "/metrics", proxied + basicAuth("prom", "scrape-pw")).status ==
      200);
  // A user who is not in [Metrics] users may not.
  CHECK(httpRequest(api.port(), "GET", "/metrics", proxied + basicAuth("alice", "secret")).status ==
        403);
}

TEST_CASE("Metrics: access = authenticated, open and off", "[api][integration]") {
  {
    ApiInstance api(kUsers + "[Metrics]\naccess = authenticated\nusers = prom\n");
    REQUIRE(api.start());
    CHECK(httpRequest(api.port(), "GET", "/metrics").status == 401);
    CHECK(httpRequest(api.port(), "GET", "/metrics", basicAuth("prom", "wrong")).status == 401);
    CHECK(httpRequest(api.port(), "GET", "/metrics", basicAuth("alice", "secret")).status == 403);
    CHECK(httpRequest(api.port(), "GET", "/metrics", basicAuth("prom", "scrape-pw")).status == 200);
  }
  {
    ApiInstance api(kUsers + "[Metrics]\naccess = open\n");
    REQUIRE(api.start());
    CHECK(httpRequest(api.port(), "GET", "/metrics", "X-Forwarded-For: 203.0.113.9\r\n").status ==
          200);
  }
  {
    ApiInstance api(kUsers + "[Metrics]\naccess = off\nusers = prom\n");
    REQUIRE(api.start());
    CHECK(httpRequest(api.port(), "GET", "/metrics").status == 401);  // as any unknown path
    CHECK(httpRequest(api.port(), "GET", "/metrics", basicAuth("prom", "scrape-pw")).status == 404);
  }
}

TEST_CASE("Metrics: access = authenticated without users, or an unknown user, is refused",
          "[api][integration]") {
  TempDir dir;
  writeFile(dir.file("a.ini"), kUsers + "[Metrics]\naccess = authenticated\n");
  auto r = runApi({"--config", dir.file("a.ini"), "--check-config"});
  CHECK(r.status == 2);
  CHECK(r.err.find("a.ini:9: [Metrics] access = authenticated needs [Metrics] users") !=
        std::string::npos);
  // A name in no INI section is looked for in the user directory (of a valid file).
  writeFile(dir.file("b.ini"), kUsers + "[Paths]\nclient_update_dir = " + dir.path() +
                                   "\n[Metrics]\nusers = prom, mallory\n");
  r = runApi({"--config", dir.file("b.ini"), "--check-config"});
  CHECK(r.status == 2);
  CHECK(r.err.find("b.ini:11: [Metrics] users: \"mallory\" is not in [Users] nor in the user "
                   "directory") != std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
