// SPDX-License-Identifier: MIT
// The per-connection login memo (api/auth_memo.hpp) of the real chipmunk-api binary: a
// keep-alive connection that sends the same Authorization value again is not checked
// again, but a reload, a directory change or a failed login ends that on every connection.
#include <catch2/catch.hpp>

#include <csignal>
#include <string>
#include <vector>

#include "tests/api/integration_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::integration;

const std::string kUsers = "[Users]\nalice = secret\nbob = hunter2\n";
const std::string kNoLimit = "\n[Limits]\nmax_failed_logins = 0\n";

// One request on the kept-alive connection `conn`; `extra`: header lines.
HttpResponse ask(HttpConnection& conn, const std::string& extra,
                 const std::string& path = "/get/ip") {
  conn.sendRaw("GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n");
  return conn.readResponse();
}

// Logs in as alice twice on `conn`: checked, then remembered.
void logInTwice(HttpConnection& conn) {
  REQUIRE(ask(conn, basicAuth("alice", "secret")).status == 200);
  REQUIRE(ask(conn, basicAuth("alice", "secret")).status == 200);
}

// Rewrites the configuration, sends SIGHUP and waits for the reload.
void reloadWith(ApiInstance& api, const std::string& sections) {
  api.rewriteConfig(sections);
  api.process().signal(SIGHUP);
  REQUIRE(api.waitForLog("config reloaded"));
}

// A server with alice and bob and no lockout, started.
struct Server {
  ApiInstance api{kUsers + kNoLimit};
  Server() { REQUIRE(api.start()); }
};

TEST_CASE_METHOD(Server,
                 "Keep-alive login: a password changed by SIGHUP is refused on the same connection",
                 "[api][integration]") {
  HttpConnection conn("127.0.0.1", api.port());
  for (const std::string path : {"/get/ip", "/get/ip", "/set", "/set", "/get/ip"}) {
    INFO(path);
    REQUIRE(ask(conn, basicAuth("alice", "secret"), path).status == 200);
  }
  reloadWith(api, "[Users]\nalice = changed\nbob = hunter2\n" + kNoLimit);
  for (const std::string path : {"/get/ip", "/set"}) {
    INFO(path);
    const auto old = ask(conn, basicAuth("alice", "secret"), path);
    CHECK(old.status == 401);
    CHECK_FALSE(old.closedByServer);
  }
  CHECK(ask(conn, basicAuth("alice", "changed")).status == 200);
  CHECK(ask(conn, basicAuth("alice", "changed")).body == "Your IP:  127.0.0.1");
}

TEST_CASE_METHOD(Server,
                 "Keep-alive login: a user deleted by SIGHUP is refused on the same connection",
                 "[api][integration]") {
  HttpConnection conn("127.0.0.1", api.port());
  logInTwice(conn);
  // The request log names the user of a remembered login too.
  CHECK(
      waitUntil([&] { return countOf(api.log(), " user=alice ") == 2; }, std::chrono::seconds(3)));
  reloadWith(api, "[Users]\nbob = hunter2\n" + kNoLimit);
  CHECK(ask(conn, basicAuth("alice", "secret")).status == 401);
  CHECK(ask(conn, basicAuth("alice", "secret")).status == 401);
  CHECK(ask(conn, basicAuth("bob", "hunter2")).status == 200);
}

TEST_CASE_METHOD(
    Server, "Keep-alive login: another Authorization value on the connection is checked afresh",
    "[api][integration]") {
  HttpConnection conn("127.0.0.1", api.port());
  logInTwice(conn);
  // Same user, other passwords; another user; no credentials; a malformed value.
  for (const std::string& extra :
       {basicAuth("alice", "secreT"), basicAuth("alice", "secret "), basicAuth("bob", "secret"),
        std::string(), std::string("Authorization: Basic !!\r\n")}) {
    INFO(extra);
    CHECK(ask(conn, extra).status == 401);
    // Then the right one works again, checked again.
    CHECK(ask(conn, basicAuth("alice", "secret")).status == 200);
  }
  CHECK(ask(conn, basicAuth("bob", "hunter2")).status == 200);
  CHECK(ask(conn, basicAuth("bob", "hunter2"), "/hosts").status == 200);
  CHECK(ask(conn, basicAuth("alice", "wrong")).status == 401);
  CHECK(ask(conn, basicAuth("bob", "hunter2")).status == 200);
}

TEST_CASE("Keep-alive login: failed logins count and lock out as before on a logged-in connection",
          "[api][integration]") {
  ApiInstance api(kUsers +
                  "\n[Limits]\nmax_failed_logins = 2\nfailed_login_window = 60s\n"
                  "failed_login_lockout = 5m\n");
  REQUIRE(api.start());
  HttpConnection conn("127.0.0.1", api.port());
  REQUIRE(ask(conn, basicAuth("alice", "secret")).status == 200);
  CHECK(ask(conn, basicAuth("alice", "guess1")).status == 401);
  CHECK(ask(conn, basicAuth("alice", "secret")).status == 200);
  CHECK(ask(conn, basicAuth("alice", "guess2")).status == 401);
  // Locked out: the value this connection logged in with is refused too, here and elsewhere.
  CHECK(ask(conn, basicAuth("alice", "secret")).status == 429);
  CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("alice", "secret")).status == 429);
}

TEST_CASE_METHOD(Server, "Keep-alive login: one connection's login never serves another connection",
                 "[api][integration]") {
  HttpConnection first("127.0.0.1", api.port());
  HttpConnection second("127.0.0.1", api.port());
  logInTwice(first);
  CHECK(ask(second, std::string()).status == 401);
  CHECK(ask(second, basicAuth("alice", "wrong")).status == 401);
  CHECK(ask(second, basicAuth("alice", "secret") + "X-Forwarded-For: 10.0.0.1\r\n").status == 200);
  // Each connection follows a reload by itself.
  reloadWith(api, "[Users]\nalice = changed\n" + kNoLimit);
  CHECK(ask(second, basicAuth("alice", "secret")).status == 401);
  CHECK(ask(first, basicAuth("alice", "secret")).status == 401);
  CHECK(ask(first, basicAuth("alice", "changed")).status == 200);
}

TEST_CASE_METHOD(Server,
                 "Keep-alive login: directory passwd and del are refused on the same connection",
                 "[api][integration]") {
  auto admin = [&](std::vector<std::string> args, const std::string& stdinText) {
    args.insert(args.end(), {"--config", api.configPath()});
    return runApi(args, stdinText).status;
  };
  REQUIRE(admin({"user", "add", "carol", "--iterations", "10000"}, "first\n") == 0);
  HttpConnection conn("127.0.0.1", api.port());
  // The server sees the directory within about a second; the first check runs the KDF on
  // the slow pool, later ones are fast.
  REQUIRE(waitUntil([&] { return ask(conn, basicAuth("carol", "first")).status == 200; },
                    std::chrono::seconds(5)));
  REQUIRE(ask(conn, basicAuth("carol", "first")).status == 200);
  REQUIRE(admin({"user", "passwd", "carol", "--iterations", "10000"}, "second\n") == 0);
  CHECK(waitUntil([&] { return ask(conn, basicAuth("carol", "first")).status == 401; },
                  std::chrono::seconds(5)));
  CHECK(waitUntil([&] { return ask(conn, basicAuth("carol", "second")).status == 200; },
                  std::chrono::seconds(5)));
  CHECK(ask(conn, basicAuth("carol", "second")).status == 200);
  REQUIRE(admin({"user", "del", "carol"}, "") == 0);
  CHECK(waitUntil([&] { return ask(conn, basicAuth("carol", "second")).status == 401; },
                  std::chrono::seconds(5)));
  CHECK(ask(conn, basicAuth("carol", "second")).status == 401);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
