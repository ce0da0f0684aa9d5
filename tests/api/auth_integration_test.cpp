// SPDX-License-Identifier: MIT
// Authentication of the real chipmunk-api binary: 401 format, hostile Authorization values,
// public IP endpoints, password hashes from hash-password and the failed-login limit.
#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

#include "common/base64.hpp"
#include "tests/api/integration_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::integration;

const std::string kAlice = basicAuth("alice", "secret");

void checkDenied(const HttpResponse& r) {
  CHECK(r.status == 401);
  CHECK(r.header("www-authenticate") == "Basic realm=\"chipmunk\"");
  CHECK(r.body == "Access denied");
}

TEST_CASE("Integration: requests without valid credentials get 401 with the realm",
          "[api][integration]") {
  ApiInstance api("[Users]\nalice = secret\nbob = other\n\n[Limits]\nmax_failed_logins = 0\n");
  REQUIRE(api.start());
  for (const std::string path : {"/get/ip", "/get/ip.json", "/set", "/", "/hosts", "/nope"}) {
    INFO(path);
    checkDenied(httpRequest(api.port(), "GET", path));
    checkDenied(httpRequest(api.port(), "GET", path, basicAuth("alice", "wrong")));
    checkDenied(httpRequest(api.port(), "GET", path, basicAuth("alice", "secre")));
    checkDenied(httpRequest(api.port(), "GET", path, basicAuth("alice", "secret ")));
    // Another user's password is not alice's.
    checkDenied(httpRequest(api.port(), "GET", path, basicAuth("alice", "other")));
  }
  // Unknown users (and names that differ in case) cost a full password-hash check, so only
  // a few of them here.
  checkDenied(httpRequest(api.port(), "GET", "/set", basicAuth("Alice", "secret")));
  checkDenied(httpRequest(api.port(), "GET", "/set", basicAuth("mallory", "secret")));
  checkDenied(httpRequest(api.port(), "POST", "/set", basicAuth("alice", "wrong")));
  // Nothing was stored for anyone.
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
  CHECK_FALSE(fileExists(api.dataDir() + "/mallory.cm"));
  CHECK_FALSE(fileExists(api.dataDir() + "/updated"));
  CHECK(httpRequest(api.port(), "GET", "/get/ip", kAlice).status == 200);
}

TEST_CASE("Integration: malformed Authorization values get 401 and never a crash",
          "[api][integration]") {
  ApiInstance api(
      "[Users]\nalice = secret\n\n[Limits]\nmax_failed_logins = 0\nmax_request_size = 65536\n");
  REQUIRE(api.start());
  const std::string huge(20000, 'A');
  const std::vector<std::string> values = {
      "Basic",
      "Basic ",
      "Basic !!!",
      "Basic ====",
      "Basic YWxpY2U6c2VjcmV0===",  // alice:secret with extra padding
      "Basic YWxpY2U6c2VjcmV",      // truncated
      "Bearer x",
      "Bearer " + chipmunk::base64Encode("alice:secret"),
      "Digest username=\"alice\"",
      "BasicYWxpY2U6c2VjcmV0",
      "Basic " + chipmunk::base64Encode("alice"),    // no colon
      "Basic " + chipmunk::base64Encode(":secret"),  // empty user
      "Basic " + chipmunk::base64Encode("alice\n:secret"),
      "Basic " + chipmunk::base64Encode("\xff\xfe\x80:\xc3\x28"),  // not UTF-8 inside
      "Basic \xff\xfe\x80\xc3\x28",                                // not UTF-8 outside
      "Basic " + chipmunk::base64Encode("alice:secret" + std::string(3000, 'x')),
      "Basic " + huge,
      huge,
      "",
  };
  for (size_t i = 0; i < values.size(); ++i) {
    INFO("value #" << i << " of " << values[i].size() << " bytes");
    const auto r =
        httpRequest(api.port(), "GET", "/get/ip", "Authorization: " + values[i] + "\r\n");
    checkDenied(r);
  }
  // Two Authorization lines: which one counts would depend on the parser, so neither does
  // (400, never a 500).
  const auto twice =
      httpRequest(api.port(), "GET", "/get/ip", "Authorization: Bearer x\r\n" + kAlice);
  CHECK(twice.status == 400);
  // The scheme is case-insensitive (RFC 7617) and a password may hold a colon.
  CHECK(httpRequest(api.port(), "GET", "/get/ip",
                    "Authorization: basic " + chipmunk::base64Encode("alice:secret") + "\r\n")
            .status == 200);
  // Still serving.
  const auto ok = httpRequest(api.port(), "GET", "/get/ip", kAlice);
  CHECK(ok.status == 200);
  CHECK(ok.body == "Your IP:  127.0.0.1");
  CHECK(api.process().running());
  CHECK_FALSE(contains(api.log(), "Internal Server Error"));
}

TEST_CASE("Integration: public_ip_endpoints opens /get/ip to anonymous clients but not /set",
          "[api][integration]") {
  ApiInstance api("[Server]\npublic_ip_endpoints = yes\n\n[Users]\nalice = secret\n");
  REQUIRE(api.start());
  const auto text = httpRequest(api.port(), "GET", "/get/ip");
  CHECK(text.status == 200);
  CHECK(text.body == "Your IP:  127.0.0.1");
  const auto json = httpRequest(api.port(), "GET", "/get/ip.json");
  CHECK(json.status == 200);
  CHECK(json.body == "{\"Client_IP\": \"127.0.0.1\"}");
  // HTTP/1.0 without credentials, as inadyn's check-IP sends it.
  HttpConnection conn("127.0.0.1", api.port());
  conn.sendRaw("GET /get/ip HTTP/1.0\r\n\r\n");
  CHECK(conn.readResponse().body == "Your IP:  127.0.0.1");

  checkDenied(httpRequest(api.port(), "GET", "/set"));
  checkDenied(httpRequest(api.port(), "POST", "/set"));
  checkDenied(httpRequest(api.port(), "GET", "/set", basicAuth("alice", "wrong")));
  checkDenied(httpRequest(api.port(), "GET", "/hosts"));
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
  CHECK(httpRequest(api.port(), "GET", "/set", kAlice).body ==
        "{\"Client_IP\": \"127.0.0.1\", \"status\": \"saved\"}");

  // Without the option the same requests need credentials.
  ApiInstance closed("[Users]\nalice = secret\n");
  REQUIRE(closed.start());
  checkDenied(httpRequest(closed.port(), "GET", "/get/ip"));
  checkDenied(httpRequest(closed.port(), "GET", "/get/ip.json"));
}

TEST_CASE("Integration: a hash-password hash logs in and plaintext passwords warn",
          "[api][integration]") {
  // The default cost, as users run it; the password has a colon and spaces.
  const std::string password = "correct horse:battery";
  const auto hashed = runApi({"hash-password"}, password + "\n");
  REQUIRE(hashed.status == 0);
  static const std::regex kHash("\\$pbkdf2-sha256\\$600000\\$[A-Za-z0-9+/]+\\$[A-Za-z0-9+/]+\n");
  REQUIRE(std::regex_match(hashed.out, kHash));
  CHECK_FALSE(contains(hashed.out + hashed.err, password));
  // Salted: the same password hashes differently each time.
  const auto cheap = runApi({"hash-password", "--iterations", "10000"}, password + "\n");
  REQUIRE(cheap.status == 0);
  CHECK(cheap.out.rfind("$pbkdf2-sha256$10000$", 0) == 0);

  const std::string hash = hashed.out.substr(0, hashed.out.size() - 1);
  ApiInstance api("[Users]\nbob = " + hash +
                  "\ncarl = " + cheap.out.substr(0, cheap.out.size() - 1) + "\ncarol = plain-pw\n");
  REQUIRE(api.start());
  for (int i = 0; i < 2; ++i) {  // the second time from the verified-password cache
    const auto r = httpRequest(api.port(), "GET", "/get/ip", basicAuth("bob", password));
    CHECK(r.status == 200);
    CHECK(r.body == "Your IP:  127.0.0.1");
  }
  CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("carl", password)).status == 200);
  checkDenied(httpRequest(api.port(), "GET", "/get/ip", basicAuth("bob", "correct horse")));
  checkDenied(httpRequest(api.port(), "GET", "/get/ip", basicAuth("bob", hash)));
  CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("carol", "plain-pw")).status == 200);

  // The plaintext warning names carol (and her config line), never bob or a secret.
  const auto warnings = linesWith(api.log(), "plaintext password");
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0], "user carol"));
  CHECK(contains(warnings[0], api.configPath() + ":11"));
  CHECK(contains(warnings[0], " warning "));
  CHECK_FALSE(contains(api.log(), "plain-pw"));
  CHECK_FALSE(contains(api.log(), password));

  // hash-password refuses empty input and bad options.
  CHECK(runApi({"hash-password"}, "\n").status == 2);
  CHECK(runApi({"hash-password", "--iterations", "5"}, "x\n").status == 2);
  CHECK(runApi({"hash-password", "--bogus"}, "x\n").status == 2);
}

TEST_CASE("Integration: repeated failed logins from one address get 429 and then recover",
          "[api][integration]") {
  ApiInstance api(
      "[Users]\nalice = secret\n\n[Limits]\nmax_failed_logins = 3\nfailed_login_window = "
      "60s\nfailed_login_lockout = 6s\n");  // long enough for a loaded sanitizer run
  REQUIRE(api.start());
  for (int i = 0; i < 3; ++i) {
    checkDenied(
        httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "guess" + std::to_string(i))));
  }
  // Locked out, even with the right password, on every authenticated route.
  for (const std::string path : {"/get/ip", "/get/ip.json", "/set"}) {
    INFO(path);
    const auto r = httpRequest(api.port(), "GET", path, kAlice);
    CHECK(r.status == 429);
    REQUIRE(r.hasHeader("retry-after"));
    const int wait = std::stoi(r.header("retry-after"));
    CHECK(wait >= 1);
    CHECK(wait <= 7);
  }
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
  // Another address is not affected; /healthz is never limited.
  CHECK(requestFrom("127.0.0.2", api.port(), "GET", "/get/ip", kAlice).body ==
        "Your IP:  127.0.0.2");
  CHECK(httpRequest(api.port(), "GET", "/healthz").status == 200);

  // After the lockout the right password works again.
  int last = 0;
  const bool recovered = waitUntil(
      [&] {
        last = httpRequest(api.port(), "GET", "/get/ip", kAlice).status;
        return last == 200;
      },
      std::chrono::seconds(30));
  CHECK(recovered);
  CHECK(last == 200);
  // And the count starts afresh: one more failure is a 401, not a 429.
  checkDenied(httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "again")));
}

TEST_CASE("Integration: a lockout survives SIGHUP and a flood of malformed logins",
          "[api][integration]") {
  const std::string config =
      "[Server]\ntrusted_proxies = 127.0.0.1\nclient_ip_header = x-forwarded-for\n\n"
      "[Users]\nalice = secret\n\n[Limits]\nmax_failed_logins = 3\nfailed_login_window = "
      "60s\nfailed_login_lockout = 5m\n";
  ApiInstance api(config);
  REQUIRE(api.start());
  const std::string guesser = "X-Forwarded-For: 203.0.113.66\r\n";
  for (int i = 0; i < 3; ++i) {
    checkDenied(httpRequest(api.port(), "GET", "/get/ip",
                            basicAuth("alice", "guess" + std::to_string(i)) + guesser));
  }
  REQUIRE(httpRequest(api.port(), "GET", "/get/ip", kAlice + guesser).status == 429);

  // Malformed logins from many distinct addresses (no password check, one keep-alive
  // connection): the guesser's lockout stays.
  {
    HttpConnection conn("127.0.0.1", api.port());
    for (int i = 0; i < 3000; ++i) {
      conn.sendRaw(
          "GET /get/ip HTTP/1.1\r\nHost: x\r\nAuthorization: Basic !!\r\n"
          "X-Forwarded-For: 10." +
          std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1\r\n\r\n");
      REQUIRE(conn.readResponse().status == 401);
    }
  }
  CHECK(httpRequest(api.port(), "GET", "/get/ip", kAlice + guesser).status == 429);

  // A reload (same file, or new limits) is no amnesty either.
  api.process().signal(SIGHUP);
  REQUIRE(api.waitForLog("config reloaded"));
  CHECK(httpRequest(api.port(), "GET", "/get/ip", kAlice + guesser).status == 429);
  // Others are not affected.
  CHECK(httpRequest(api.port(), "GET", "/get/ip", kAlice + "X-Forwarded-For: 203.0.113.67\r\n")
            .status == 200);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
