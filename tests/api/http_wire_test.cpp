// SPDX-License-Identifier: MIT
// The HTTP wire (api/http_wire.cpp): the raw request-head checks that run before Pistache
// parses a request (RFC 9112 sections 2.2, 3, 5.1, 5.2 and 6.3), the query decoder and the
// reading of received headers.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "api/http_wire.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::api;

int check(const std::string& head) {
  RequestHead out;
  return checkRequestHead(head, out);
}

const std::string kLine = "POST /set HTTP/1.1\r\nHost: test\r\n";

TEST_CASE("Framing: well-formed heads pass and report their length and target", "[api][unit]") {
  RequestHead out;  // views into the head
  const std::string head = kLine + "Content-Length: 12\r\nX-Empty:\r\n\r\n";
  REQUIRE(checkRequestHead(head, out) == 0);
  CHECK(out.method == "POST");
  CHECK(out.target == "/set");
  REQUIRE(out.contentLength);
  CHECK(*out.contentLength == 12);
  REQUIRE(checkRequestHead("GET /nic/update?hostname=a&myip=1.2.3.4 HTTP/1.0\r\n\r\n", out) == 0);
  CHECK(out.target == "/nic/update?hostname=a&myip=1.2.3.4");
  CHECK_FALSE(out.contentLength);
  // Optional whitespace around a value, obs-text in a value, lower-case names.
  CHECK(check(kLine + "content-length:\t 3 \t\r\nUser-Agent: caf\xc3\xa9\r\n\r\n") == 0);
  CHECK(check("GET / HTTP/1.1\r\nhost: a\r\nX-Forwarded-For: 1.1.1.1\r\n"
              "X-Forwarded-For: 2.2.2.2\r\n\r\n") == 0);  // a list field may repeat
}

TEST_CASE("Framing: ambiguous Content-Length and Transfer-Encoding are refused", "[api][unit]") {
  // RFC 9112 section 6.3: two lengths, or a list of them, even of equal values.
  CHECK(check(kLine + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n") == 400);
  CHECK(check(kLine + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n") == 400);
  CHECK(check(kLine + "Content-Length: 5, 6\r\n\r\n") == 400);
  CHECK(check(kLine + "Content-Length: 5,5\r\n\r\n") == 400);
  for (const std::string bad : {"", "-1", "+5", "0x10", "1e3", "5 5", "99999999999999999999"}) {
    INFO(bad);
    CHECK(check(kLine + "Content-Length: " + bad + "\r\n\r\n") == 400);
  }
  CHECK(check(kLine + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(check(kLine + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n") == 400);
  // A lone Transfer-Encoding: chunked bodies are not accepted (411, as before).
  CHECK(check(kLine + "Transfer-Encoding: chunked\r\n\r\n") == 411);
}

TEST_CASE("Framing: malformed field lines are refused", "[api][unit]") {
  // Whitespace between the name and the colon (RFC 9112 section 5.1).
  CHECK(check(kLine + "Content-Length : 5\r\n\r\n") == 400);
  CHECK(check(kLine + "Content-Length\t: 5\r\n\r\n") == 400);
  // obs-fold (section 5.2) and a line that starts with whitespace.
  CHECK(check(kLine + "X-A: 1\r\n Content-Length: 5\r\n\r\n") == 400);
  CHECK(check(kLine + "X-A: 1\r\n\tmore\r\n\r\n") == 400);
  // Names that are not tokens, a line without a colon, an empty name.
  for (const std::string name : {"X@Y", "X Y", "X\"Y", "X(Y)", "X/Y", "X\x01Y", "\xc3\xa9"}) {
    INFO(name);
    CHECK(check(kLine + name + ": 1\r\n\r\n") == 400);
  }
  CHECK(check(kLine + "NoColon\r\n\r\n") == 400);
  CHECK(check(kLine + ": empty-name\r\n\r\n") == 400);
  // NUL, other controls and DEL in a value; CR or LF alone inside a line.
  for (const std::string& value :
       {std::string("a\0b", 3), std::string("a\x01"), std::string("\x7f"),
        std::string("a\rContent-Length: 5"), std::string("a\nb")}) {
    INFO(value.size());
    CHECK(check(kLine + "X-A: " + value + "\r\n\r\n") == 400);
  }
  // One Host in HTTP/1.1 (section 3.2), one Authorization, one Content-Type.
  CHECK(check("GET / HTTP/1.1\r\n\r\n") == 400);
  CHECK(check("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
  CHECK(check("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n") == 400);
  CHECK(check(kLine + "Authorization: Basic YTpi\r\nAuthorization: Basic Yzpk\r\n\r\n") == 400);
  CHECK(check(kLine + "Content-Type: a/b\r\nContent-Type: c/d\r\n\r\n") == 400);
}

TEST_CASE("Framing: malformed request lines are refused", "[api][unit]") {
  for (const std::string& line : std::vector<std::string>{
           "GET  / HTTP/1.1", "GET /  HTTP/1.1", " GET / HTTP/1.1", "GET / HTTP/1.1 ",
           "GET\t/ HTTP/1.1", "GET / HTTP/1.1 extra", "GET /", "GET / HTTP/2.0", "GET / http/1.1",
           "GET / HTTP/1.10", "G@T / HTTP/1.1", "GET /a b HTTP/1.1", "GET /a#frag HTTP/1.1",
           "GET /\x7f HTTP/1.1", "GET /caf\xc3\xa9 HTTP/1.1", std::string("GET /a\0b HTTP/1.1", 17),
           "", "GET"}) {
    INFO(line);
    CHECK(check(line + "\r\nHost: a\r\n\r\n") == 400);
  }
  // Not a complete head.
  CHECK(check("GET / HTTP/1.1\r\nHost: a\r\n") == 400);
  CHECK(check("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody") == 400);
}

TEST_CASE("Framing: the scanner finds the end of the head across reads", "[api][unit]") {
  const std::string request = "GET /x HTTP/1.1\r\nHost: a\r\n\r\nBODY\r\n\r\n";
  for (size_t chunk = 1; chunk <= request.size(); ++chunk) {
    INFO(chunk);
    HeadScanner s;
    for (size_t i = 0; i < request.size(); i += chunk) {
      s.scan(request.data() + i, std::min(chunk, request.size() - i));
    }
    CHECK_FALSE(s.bad());
    CHECK(s.lineEnd() == 17);
    CHECK(s.headEnd() == 28);
    CHECK(s.scanned() == 28);  // the body is not looked at
  }
  for (const std::string bad :
       {"GET / HTTP/1.1\n", "GET / HTTP/1.1\r\nX: a\rb\r\n", "GET / HTTP/1.1\r\nX: a\nb\r\n\r\n"}) {
    HeadScanner s;
    s.scan(bad.data(), bad.size());
    CHECK(s.bad());
    CHECK(s.headEnd() == HeadScanner::npos);
  }
  HeadScanner s;
  s.scan("GET / HTTP/1.1\r", 15);
  CHECK(s.lineEnd() == HeadScanner::npos);
  s.scan("\n", 1);
  CHECK(s.lineEnd() == 16);
  s.reset();
  CHECK(s.scanned() == 0);
  CHECK(s.lineEnd() == HeadScanner::npos);
}

TEST_CASE("Framing: an oversized request is 414, 431 or 413 by where it outgrew the limit",
          "[api][unit]") {
  auto status = [](const std::string& bytes, size_t limit) {
    HeadScanner s;
    s.scan(bytes.data(), bytes.size());
    return oversizeStatus(s, limit);
  };
  const std::string longTarget = "GET /get/ip?" + std::string(10240, 'x') + " HTTP/1.1\r\n";
  CHECK(status(longTarget.substr(0, 8000), 8192) == 414);  // no end of line yet
  CHECK(status(longTarget + "Host: a\r\n\r\n", 8192) == 414);
  const std::string longHeader = "GET / HTTP/1.1\r\nX-Long: " + std::string(10240, 'y');
  CHECK(status(longHeader, 8192) == 431);
  CHECK(status(longHeader + "\r\n\r\n", 8192) == 431);
  CHECK(status("POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n" + std::string(9000, 'z'), 8192) ==
        413);
}

TEST_CASE("Framing: query fields are decoded in order with repeats kept", "[api][unit]") {
  std::vector<std::pair<std::string, std::string>> fields;
  REQUIRE(parseQuery("/nic/update?hostname=a&hostname=b&myip=1.2.3.4%2C5.6.7.8&flag&&x=", fields));
  REQUIRE(fields.size() == 5);
  CHECK(fields[0] == std::make_pair(std::string("hostname"), std::string("a")));
  CHECK(fields[1] == std::make_pair(std::string("hostname"), std::string("b")));
  CHECK(fields[2].second == "1.2.3.4,5.6.7.8");
  CHECK(fields[3] == std::make_pair(std::string("flag"), std::string()));
  CHECK(fields[4] == std::make_pair(std::string("x"), std::string()));
  REQUIRE(parseQuery("/set?note=a%00b", fields));
  CHECK(fields[0].second == std::string("a\0b", 3));  // decoded faithfully; routes refuse it
  REQUIRE(parseQuery("/get/ip", fields));
  CHECK(fields.empty());
  CHECK_FALSE(parseQuery("/set?note=%zz", fields));
  CHECK_FALSE(parseQuery("/set?note=%4", fields));
  CHECK_FALSE(parseQuery("/set?%=1", fields));
}

TEST_CASE("Unit: received headers fill the request and Connection decides keep-alive",
          "[api][unit]") {
  RequestInfo info;
  std::optional<std::string> connection;
  takeHeader("authorization", "Basic eA==", info, connection);
  takeHeader("X-FORWARDED-FOR", "192.0.2.1, 192.0.2.2", info, connection);
  takeHeader("Sec-Fetch-Site", "same-origin", info, connection);
  takeHeader("Upgrade-Insecure-Requests", "1", info, connection);
  takeHeader("Connection", "close", info, connection);
  takeHeader("X-Other", "ignored", info, connection);
  takeHeader("Hostname", "not the Host header", info, connection);
  takeHeader("X-Forwarded-For", "192.0.2.3", info, connection);  // a list: joined
  takeHeader("connection", "Upgrade", info, connection);
  takeHeader("User-Agent", "first", info, connection);
  takeHeader("User-Agent", "second", info, connection);  // not a list: the first counts
  CHECK(info.authorization == std::string("Basic eA=="));
  CHECK(info.xForwardedFor == std::string("192.0.2.1, 192.0.2.2, 192.0.2.3"));
  CHECK(info.userAgent == std::string("first"));
  CHECK(info.secFetchSite == std::string("same-origin"));
  CHECK(info.upgradeInsecureRequests);
  CHECK_FALSE(info.host);
  CHECK(connection == std::string("close, Upgrade"));

  CHECK(keepsAlive(std::nullopt, false));  // HTTP/1.1 persists by default
  CHECK_FALSE(keepsAlive(std::nullopt, true));
  CHECK_FALSE(keepsAlive(std::string("Upgrade, CLOSE"), false));
  CHECK(keepsAlive(std::string("\tKeep-Alive ,x"), true));
  CHECK_FALSE(keepsAlive(std::string("keep-alive, close"), true));
  CHECK_FALSE(keepsAlive(std::string("keep-alive2"), true));
  CHECK(keepsAlive(std::string(""), false));

  CHECK(methodOf("GET") == Method::kGet);
  CHECK(methodOf("HEAD") == Method::kHead);
  CHECK(methodOf("POST") == Method::kPost);
  CHECK(methodOf("get") == Method::kOther);
  CHECK(methodOf("DELETE") == Method::kOther);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
