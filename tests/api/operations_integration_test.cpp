// SPDX-License-Identifier: MIT
// Running the real chipmunk-api binary: the request log, signals (SIGUSR1, SIGHUP, SIGTERM,
// SIGINT) and the request limits that protect it.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>

#include "common/base64.hpp"
#include "tests/api/integration_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::integration;

const std::string kUsers = "[Users]\nalice = secret\n";
const std::string kAlice = basicAuth("alice", "secret");

// Waits until the log holds at least `n` request lines and returns them.
std::vector<std::string> requestLines(const ApiInstance& api, size_t n) {
  waitUntil([&] { return linesWith(api.log(), "request method=").size() >= n; },
            std::chrono::seconds(10));
  return linesWith(api.log(), "request method=");
}

struct OversizedCase {
  const char* what;
  std::string request;
  int status;
};

// Requests that outgrow max_request_size = 2048 (`big` is longer), each with the status it
// must get.
std::vector<OversizedCase> oversizedRequests(const std::string& big) {
  // RFC 9110 sections 15.5.15 and 15.5.14, RFC 6585 section 5: by where the request
  // outgrew max_request_size.
  return {
      {"body",
       "POST /set HTTP/1.1\r\nHost: test\r\n" + kAlice +
           "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
           std::to_string(big.size()) + "\r\n\r\nnote=" + big.substr(5),
       413},
      {"one long header",
       "GET /get/ip HTTP/1.1\r\nHost: test\r\n" + kAlice + "X-Long: " + big + "\r\n\r\n", 431},
      {"many headers",
       [&] {
         std::string r = "GET /get/ip HTTP/1.1\r\nHost: test\r\n" + kAlice;
         for (int i = 0; i < 200; ++i) {
           r += "X-H" + std::to_string(i) + ": v\r\n";
         }
         return r + "\r\n";
       }(),
       431},
      {"long URL", "GET /get/ip?" + big + " HTTP/1.1\r\nHost: test\r\n" + kAlice + "\r\n", 414},
      {"10 KB request target",
       "GET /nic/update?hostname=" + std::string(10240, 'a') + " HTTP/1.1\r\nHost: test\r\n" +
           kAlice + "\r\n",
       414},
      {"long URL sent in pieces", "GET /get/ip?" + big, 414},
      // Refused from the header alone: Pistache 0.0.5 would first reserve this much memory.
      {"huge Content-Length",
       "POST /set HTTP/1.1\r\nHost: test\r\n" + kAlice + "Content-Length: 99999999999\r\n\r\nabc",
       413},
      {"Content-Length over the limit",
       "POST /set HTTP/1.1\r\nHost: test\r\n" + kAlice + "Content-Length: 3000\r\n\r\nabc", 413},
  };
}

TEST_CASE("Integration: one log line per request and never a credential", "[api][integration]") {
  const std::string password = "Pa55-word-Xq7";
  const std::string wrong = "Wr0ng-guess-Zk9";
  ApiInstance api("[Users]\nalice = " + password + "\n");
  REQUIRE(api.start());
  const std::string good = basicAuth("alice", password);
  CHECK(httpRequest(api.port(), "GET", "/get/ip", good).status == 200);
  CHECK(httpRequest(api.port(), "POST", "/set", good).status == 200);
  CHECK(httpRequest(api.port(), "GET", "/get/ip.json", basicAuth("alice", wrong)).status == 401);
  CHECK(httpRequest(api.port(), "GET", "/healthz").status == 200);
  CHECK(httpRequest(api.port(), "HEAD", "/nope", good).status == 404);
  CHECK(httpRequest(api.port(), "GET", "/get/ip", "Authorization: Basic !!!" + password + "\r\n")
            .status == 401);

  const auto lines = requestLines(api, 6);
  REQUIRE(lines.size() == 6);
  for (const auto& line : lines) {
    CHECK(contains(line, " info api: request "));
    CHECK(contains(line, " client=127.0.0.1 "));
    CHECK(contains(line, " duration_us="));
  }
  CHECK(contains(lines[0], "method=GET path=\"/get/ip\" status=200 client=127.0.0.1 user=alice "));
  CHECK(contains(lines[1], "method=POST path=\"/set\" status=200 "));
  CHECK(contains(lines[2], "path=\"/get/ip.json\" status=401 "));
  CHECK(contains(lines[3], "path=\"/healthz\" status=200 client=127.0.0.1 user=- "));
  CHECK(contains(lines[4], "method=HEAD path=\"/nope\" status=404 "));
  CHECK(contains(lines[5], "status=401 "));

  // No secret, in any form, anywhere in the log.
  api.stop();
  const std::string log = api.log();
  for (const std::string& secret :
       {password, wrong, chipmunk::base64Encode("alice:" + password),
        chipmunk::base64Encode("alice:" + wrong), std::string("Authorization")}) {
    INFO(secret);
    CHECK_FALSE(contains(log, secret));
  }
}

TEST_CASE("Integration: SIGUSR1 reopens the log file after it was moved", "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  CHECK(httpRequest(api.port(), "GET", "/get/ip", kAlice).status == 200);
  REQUIRE(requestLines(api, 1).size() == 1);
  const std::string rotated = api.logPath() + ".1";
  REQUIRE(std::rename(api.logPath().c_str(), rotated.c_str()) == 0);

  // Until the signal, lines still go to the moved file.
  CHECK(httpRequest(api.port(), "GET", "/get/ip.json", kAlice).status == 200);
  api.process().signal(SIGUSR1);
  REQUIRE(api.waitForLog("log file reopened"));
  CHECK(httpRequest(api.port(), "GET", "/set", kAlice).status == 200);
  REQUIRE(waitUntil([&] { return contains(readFile(api.logPath()), "path=\"/set\""); },
                    std::chrono::seconds(10)));

  const std::string before = readFile(rotated);
  const std::string after = readFile(api.logPath());
  CHECK(contains(before, "path=\"/get/ip\""));
  CHECK(contains(before, "path=\"/get/ip.json\""));
  CHECK_FALSE(contains(before, "path=\"/set\""));
  CHECK_FALSE(contains(after, "path=\"/get/ip\""));
  CHECK(countOf(after, "request method=") == 1);
  CHECK(api.process().running());
}

TEST_CASE("Integration: SIGHUP applies a good configuration and keeps the old one on errors",
          "[api][integration]") {
  ApiInstance api("[Users]\nalice = secret\nbob = bobs-secret\n");
  REQUIRE(api.start());
  CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("bob", "bobs-secret")).status == 200);
  CHECK(httpRequest(api.port(), "GET", "/get/ip", basicAuth("carol", "carols")).status == 401);

  // A good file: carol added, bob removed, alice's password changed, anonymous /get/ip on.
  api.rewriteConfig(
      "[Server]\npublic_ip_endpoints = yes\n\n[Users]\nalice = new-secret\ncarol = carols\n");
  api.process().signal(SIGHUP);
  REQUIRE(api.waitForLog("config reloaded users=2"));
  CHECK(httpRequest(api.port(), "GET", "/set", basicAuth("carol", "carols")).status == 200);
  CHECK(httpRequest(api.port(), "GET", "/set", basicAuth("bob", "bobs-secret")).status == 401);
  CHECK(httpRequest(api.port(), "GET", "/set", kAlice).status == 401);
  CHECK(httpRequest(api.port(), "GET", "/set", basicAuth("alice", "new-secret")).status == 200);
  CHECK(httpRequest(api.port(), "GET", "/get/ip").status == 200);
  // The listener is the same one.
  CHECK(countOf(api.log(), "listening address=") == 1);

  // A broken file: rejected with its errors logged; the previous configuration serves on.
  api.rewriteConfig("[Server]\nthreads = many\n\n[Sever]\nx = 1\n\n[Users]\ndave = daves\n");
  api.process().signal(SIGHUP);
  REQUIRE(api.waitForLog("config reload rejected errors="));
  const std::string log = api.log();
  CHECK(contains(log, "config reload rejected: " + api.configPath() + ":9: "));
  CHECK(contains(log, "config reload rejected: " + api.configPath() + ":11: "));
  CHECK(contains(log, "still serving the previous configuration"));
  CHECK(httpRequest(api.port(), "GET", "/set", basicAuth("carol", "carols")).status == 200);
  CHECK(httpRequest(api.port(), "GET", "/set", basicAuth("dave", "daves")).status == 401);
  CHECK(httpRequest(api.port(), "GET", "/get/ip").status == 200);
  CHECK(api.process().running());

  // A file that cannot be read at all is rejected the same way.
  REQUIRE(std::rename(api.configPath().c_str(), (api.configPath() + ".away").c_str()) == 0);
  api.process().signal(SIGHUP);
  REQUIRE(waitUntil([&] { return countOf(api.log(), "config reload rejected errors=") == 2; },
                    std::chrono::seconds(10)));
  CHECK(httpRequest(api.port(), "GET", "/set", basicAuth("carol", "carols")).status == 200);
}

TEST_CASE("Integration: SIGTERM and SIGINT shut down gracefully with exit status 0",
          "[api][integration]") {
  for (const int sig : {SIGTERM, SIGINT}) {
    INFO(sig);
    ApiInstance api(kUsers);
    REQUIRE(api.start());
    // An idle keep-alive connection does not hold the shutdown up.
    HttpConnection idle("127.0.0.1", api.port());
    idle.sendRaw("GET /get/ip HTTP/1.1\r\nHost: test\r\n" + kAlice + "\r\n");
    CHECK(idle.readResponse().status == 200);
    const int port = api.port();
    api.process().signal(sig);
    CHECK(api.process().wait(std::chrono::seconds(10)) == 0);
    const std::string log = api.log();
    CHECK(contains(log, sig == SIGTERM ? "shutting down signal=TERM" : "shutting down signal=INT"));
    CHECK(contains(log, "stopped"));
    // Nobody listens any more.
    bool refused = false;
    try {
      HttpConnection gone("127.0.0.1", port);
    } catch (const std::runtime_error&) {
      refused = true;
    }
    CHECK(refused);
  }
}

TEST_CASE("Integration: oversized requests get 414, 431 or 413 and the server keeps serving",
          "[api][integration]") {
  ApiInstance api("[Users]\nalice = secret\n\n[Limits]\nmax_request_size = 2048\n");
  REQUIRE(api.start());
  const std::string big(4000, 'x');
  const auto cases = oversizedRequests(big);
  for (const auto& c : cases) {
    INFO(c.what);
    HttpConnection conn("127.0.0.1", api.port());
    try {
      if (std::string(c.what) == "long URL sent in pieces") {
        for (size_t i = 0; i < c.request.size(); i += 500) {
          conn.sendRaw(c.request.substr(i, 500));
        }
      } else {
        conn.sendRaw(c.request);
      }
    } catch (const std::runtime_error&) {
      // The server may close while we still send; the answer has been written by then.
    }
    HttpResponse r;
    bool answered = false;
    try {
      r = conn.readResponse();
      answered = true;
    } catch (const std::runtime_error& e) {
      INFO(e.what());
    }
    CHECK(answered);
    CHECK(r.status == c.status);
    CHECK(r.header("connection") == "close");
    CHECK(api.process().running());
    const auto ok = httpRequest(api.port(), "GET", "/get/ip", kAlice);
    CHECK(ok.status == 200);
    CHECK(ok.body == "Your IP:  127.0.0.1");
  }
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));

  // A long header within the limit is fine.
  ApiInstance roomy("[Users]\nalice = secret\n\n[Limits]\nmax_request_size = 65536\n");
  REQUIRE(roomy.start());
  const auto longHeader = httpRequest(roomy.port(), "GET", "/get/ip",
                                      kAlice + "X-Long: " + std::string(30000, 'y') + "\r\n");
  CHECK(longHeader.status == 200);
  CHECK(longHeader.body == "Your IP:  127.0.0.1");
}

TEST_CASE("Integration: a client that stalls inside the headers is disconnected",
          "[api][integration]") {
  ApiInstance api("[Users]\nalice = secret\n\n[Limits]\nheader_timeout = 1s\n");
  REQUIRE(api.start());
  HttpConnection slow("127.0.0.1", api.port());
  slow.sendRaw("GET /get/ip HTTP/1.1\r\nHost: test\r\n");
  // Pistache answers 408 and closes; what matters is that the connection does not stay.
  CHECK(slow.waitForClose(std::chrono::seconds(10)));
  CHECK(httpRequest(api.port(), "GET", "/get/ip", kAlice).status == 200);
}

TEST_CASE("Integration: malformed requests get 400 without internals and the server goes on",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  // Each of these made Pistache 0.0.5 answer 500 with an exception's text as the body.
  const std::vector<std::string> heads = {
      "GET /get/ip HTTP/1.1\r\nHost: test:abc\r\n",
      "GET /get/ip HTTP/1.1\r\nHost: [::1\r\n",
      "GET /get/ip HTTP/1.1\r\nHost: test:99999999999\r\n",
      "GET /get/ip HTTP/1.1\r\nHost: test\r\nDate: yesterday\r\n",
      "POST /set HTTP/1.1\r\nHost: test\r\nContent-Length: -1\r\n",
      "POST /set HTTP/1.1\r\nHost: test\r\nContent-Length: 18446744073709551617\r\n",
      "POST /set HTTP/1.1\r\nHost: test\r\nContent-Length: 3, 3\r\n",
      "POST /set HTTP/1.1\r\nHost: test\r\nContent-Length: 1e3\r\n",
      "GET /get/ip HTTP/2.0\r\nHost: test\r\n",
  };
  for (const auto& head : heads) {
    INFO(head);
    HttpConnection conn("127.0.0.1", api.port());
    conn.sendRaw(head + kAlice + "\r\nzz\r\nabc");
    const auto r = conn.readResponse();
    CHECK(r.status == 400);
    CHECK(r.body == "Bad Request");
    CHECK(api.process().running());
  }
  // Chunked request bodies are refused (Pistache would reserve each chunk's claimed size).
  for (const std::string chunk : {"7fffffffffff\r\nabc", "3\r\nabc\r\n0\r\n\r\n"}) {
    HttpConnection conn("127.0.0.1", api.port());
    conn.sendRaw("POST /set HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n" + kAlice +
                 "\r\n" + chunk);
    const auto r = conn.readResponse();
    CHECK(r.status == 411);
    CHECK(r.body == "Length Required");
    CHECK(api.process().running());
  }
  const auto ok = httpRequest(api.port(), "GET", "/get/ip", kAlice);
  CHECK(ok.status == 200);
  CHECK(ok.body == "Your IP:  127.0.0.1");
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
}

TEST_CASE("Integration: a /nic/update log line carries the dyndns2 answer codes",
          "[api][integration]") {
  // dyndns2 answers nohost, badauth or abuse with a 200 or 401: the status alone does not
  // say what happened, the codes do (and never the addresses or the credentials).
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  const std::string agent = "User-Agent: test/1\r\n";
  const std::string path = "/nic/update?hostname=alice,nobody.example.com&myip=192.0.2.1";
  CHECK(httpRequest(api.port(), "GET", path, kAlice + agent).status == 200);
  CHECK(httpRequest(api.port(), "GET", path, kAlice + agent).status == 200);
  CHECK(httpRequest(api.port(), "GET", "/get/ip", kAlice).status == 200);
  httpRequest(api.port(), "GET", "/nic/update?hostname=alice&myip=192.0.2.1",
              basicAuth("alice", "Wr0ng-guess-Zk9") + agent);

  const auto lines = requestLines(api, 4);
  REQUIRE(lines.size() == 4);
  CHECK(contains(lines[0], "path=\"/nic/update\" status=200 dyndns=good,nohost client="));
  CHECK(contains(lines[1], "path=\"/nic/update\" status=200 dyndns=nochg,nohost client="));
  CHECK(contains(lines[2], "path=\"/get/ip\" status=200 client="));
  CHECK_FALSE(contains(lines[2], "dyndns="));
  CHECK(contains(lines[3], " dyndns=badauth client="));
  // Not a dyndns2 answer (the cross-site refusal is human-readable text): no field rather
  // than a wrong one.
  CHECK(httpRequest(api.port(), "GET", path, agent + "Sec-Fetch-Site: cross-site\r\n").status ==
        403);
  const auto more = requestLines(api, 5);
  REQUIRE(more.size() == 5);
  INFO(more[4]);
  CHECK(contains(more[4], "path=\"/nic/update\" status=403 client="));
  for (const auto& line : lines) {
    INFO(line);
    CHECK_FALSE(contains(line, "192.0.2.1"));
    CHECK_FALSE(contains(line, "Wr0ng-guess-Zk9"));
    CHECK_FALSE(contains(line, "secret"));
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
