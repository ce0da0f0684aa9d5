// SPDX-License-Identifier: MIT
// Request smuggling against the real chipmunk-api binary with no proxy in front (the
// direct and native-TLS deployments): a head whose framing two parsers could read
// differently is refused with 400 and the connection closed, and what the client sends
// after it on that connection -- here a /set that would store a record -- is never served.
// RFC 9112 sections 2.2, 3, 5.1, 5.2 and 6.3.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/api/integration_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::integration;

const std::string kUsers = "[Users]\nalice = secret\nbob = hunter2\n";
const std::string kAlice = basicAuth("alice", "secret");
// Stores alice's record (and a note) if it is ever served.
const std::string kSmuggled =
    "GET /set?note=smuggled HTTP/1.1\r\nHost: test\r\n" + basicAuth("alice", "secret") + "\r\n";

struct Outcome {
  HttpResponse first;
  bool closed = false;  // the server ended the connection after its first answer
};

// `first` in one write, its answer read, then the smuggled request in a second write (a
// parser that took `first` for complete would read it as the next request).
Outcome sendThenSmuggle(int port, const std::string& first, bool oneWrite = false) {
  HttpConnection conn("127.0.0.1", port, std::chrono::seconds(5));
  conn.sendRaw(oneWrite ? first + kSmuggled : first);
  Outcome o;
  o.first = conn.readResponse();
  if (!oneWrite) {
    try {
      conn.sendRaw(kSmuggled);
    } catch (const std::runtime_error&) {
      // Already closed: nothing was served.
    }
  }
  // An answer to the smuggled request would keep the connection open (no Connection:
  // close in it), so EOF within the wait means it was not answered.
  o.closed = conn.waitForClose(std::chrono::seconds(3));
  return o;
}

struct Case {
  const char* what;
  std::string request;
  int status;
};

std::vector<Case> ambiguousRequests() {
  const std::string get = "GET /get/ip HTTP/1.1\r\nHost: test\r\n" + kAlice;
  return {
      {"two different Content-Length lines", get + "Content-Length: 0\r\nContent-Length: 5\r\n\r\n",
       400},
      {"two equal Content-Length lines", get + "Content-Length: 0\r\nContent-Length: 0\r\n\r\n",
       400},
      {"a Content-Length list", get + "Content-Length: 0, 5\r\n\r\n", 400},
      {"Content-Length with Transfer-Encoding",
       get + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"Transfer-Encoding alone", get + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411},
      {"whitespace before the colon", get + "Content-Length : 5\r\n\r\n", 400},
      {"a tab before the colon", get + "Content-Length\t: 5\r\n\r\n", 400},
      {"an obs-fold line", get + "X-Note: a\r\n Content-Length: 5\r\n\r\n", 400},
      {"a field name that is not a token", get + "X@Note: 1\r\n\r\n", 400},
      {"a bare CR", get + "X-Note: a\rContent-Length: 5\r\n\r\n", 400},
      {"a bare LF", get + "X-Note: a\nContent-Length: 5\r\n\r\n", 400},
      {"a NUL in a value", get + std::string("User-Agent: a\0b\r\n\r\n", 19), 400},
      {"a control character in a value",
       get + "User-Agent: a\x01"
             "b\r\n\r\n",
       400},
      {"two Host lines", get + "Host: other\r\n\r\n", 400},
      {"no Host in HTTP/1.1", "GET /get/ip HTTP/1.1\r\n" + kAlice + "\r\n", 400},
      {"two Authorization lines", get + basicAuth("bob", "hunter2") + "\r\n", 400},
      {"two spaces in the request line",
       "GET  /get/ip HTTP/1.1\r\nHost: test\r\n" + kAlice + "\r\n", 400},
      {"a space after the version", "GET /get/ip HTTP/1.1 \r\nHost: test\r\n" + kAlice + "\r\n",
       400},
      {"a tab in the request line", "GET\t/get/ip HTTP/1.1\r\nHost: test\r\n" + kAlice + "\r\n",
       400},
  };
}

TEST_CASE("Framing integration: ambiguous heads get 400 and nothing after them is served",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  for (const bool oneWrite : {false, true}) {
    for (const auto& c : ambiguousRequests()) {
      INFO(c.what << (oneWrite ? " (one write)" : " (two writes)"));
      const Outcome o = sendThenSmuggle(api.port(), c.request, oneWrite);
      CHECK(o.first.status == c.status);
      CHECK(o.first.header("connection") == "close");
      CHECK(o.first.body.find("Your IP") == std::string::npos);
      CHECK(o.closed);
      // The smuggled /set was never served.
      CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
    }
  }
  CHECK(api.process().running());
  CHECK(linesWith(api.log(), "path=\"/set\"").empty());
  CHECK(api.waitForLog("request refused status=400 client=127.0.0.1"));
  // A well-formed request on a new connection is served as before.
  const auto ok = httpRequest(api.port(), "GET", "/get/ip", kAlice);
  CHECK(ok.status == 200);
  CHECK(ok.body == "Your IP:  127.0.0.1");
}

TEST_CASE("Framing integration: after a response that closes, the connection is not read",
          "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  struct Closing {
    const char* what;
    std::string request;
    int status;
  };
  for (const Closing& c : std::vector<Closing>{
           {"Connection: close",
            "GET /get/ip HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + kAlice + "\r\n", 200},
           {"HTTP/1.0", "GET /get/ip HTTP/1.0\r\n" + kAlice + "\r\n", 200},
           {"a malformed Host", "GET /get/ip HTTP/1.1\r\nHost: test:abc\r\n" + kAlice + "\r\n",
            400},
           {"an unknown method", "FETCH /get/ip HTTP/1.1\r\nHost: test\r\n" + kAlice + "\r\n",
            501}}) {
    INFO(c.what);
    const Outcome o = sendThenSmuggle(api.port(), c.request);
    CHECK(o.first.status == c.status);
    CHECK(o.first.header("connection") == "close");
    CHECK(o.closed);
    CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
  }
  // A request that keeps the connection open still lets the next one be served.
  HttpConnection conn("127.0.0.1", api.port());
  conn.sendRaw("GET /get/ip HTTP/1.1\r\nHost: test\r\n" + kAlice + "\r\n");
  CHECK(conn.readResponse().status == 200);
  conn.sendRaw(kSmuggled);
  CHECK(conn.readResponse().status == 200);
  CHECK(fileExists(api.dataDir() + "/alice.cm"));
}

TEST_CASE("Framing integration: pipelined requests are answered in order", "[api][integration]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  // /set is answered by a writer thread, /get/ip at once on the I/O thread: the answers
  // must still leave in the order the requests came (RFC 9112 section 9.3.2).
  const std::string set = "GET /set?note=n HTTP/1.1\r\nHost: test\r\n" + kAlice + "\r\n";
  const std::string get = "GET /get/ip HTTP/1.1\r\nHost: test\r\n" + kAlice + "\r\n";
  HttpConnection conn("127.0.0.1", api.port(), std::chrono::seconds(5));
  conn.sendRaw(set + get + set + get + "HEAD /get/ip HTTP/1.1\r\nHost: test\r\n" + kAlice +
               "Connection: close\r\n\r\n");
  for (int i = 0; i < 2; ++i) {
    const auto stored = conn.readResponse();
    CHECK(stored.status == 200);
    CHECK(stored.body.find("\"status\"") != std::string::npos);
    const auto ip = conn.readResponse();
    CHECK(ip.status == 200);
    CHECK(ip.body == "Your IP:  127.0.0.1");
  }
  const auto head = conn.readResponse(true);
  CHECK(head.status == 200);
  CHECK(head.header("connection") == "close");
  CHECK(conn.waitForClose(std::chrono::seconds(3)));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
