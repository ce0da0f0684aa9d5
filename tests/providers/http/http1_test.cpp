// SPDX-License-Identifier: MIT
#include "providers/http/http1.hpp"

#include <catch2/catch.hpp>

#include "chipmunk/version.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using namespace chipmunk::providers::http;

TEST_CASE("Unit: requestMessage writes the head the plain transport sends", "[providers][unit]") {
  HttpUrl url;
  url.target = "/x?y=1";
  url.hostHeader = "127.0.0.1:8080";
  HttpRequest request;
  request.method = "PUT";
  request.headers.emplace_back("X-Test", "1");
  request.body = "{}";
  request.basicAuth = std::make_pair("user", "pass");
  std::string out;
  std::string error;
  REQUIRE(requestMessage(request, url, out, error));
  CHECK(out == "PUT /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: chipmunk-updater/" +
                   std::string(chipmunk::kVersion) +
                   "\r\nAccept: */*\r\nConnection: close\r\nAuthorization: Basic "
                   "dXNlcjpwYXNz\r\nX-Test: 1\r\nContent-Length: 2\r\n\r\n{}");

  HttpRequest get;
  REQUIRE(requestMessage(get, url, out, error));
  CHECK(out.find("Content-Length") == std::string::npos);
  HttpRequest post;
  post.method = "POST";
  REQUIRE(requestMessage(post, url, out, error));
  CHECK(out.find("Content-Length: 0\r\n") != std::string::npos);

  for (const auto& [name, value] :
       {std::pair<std::string, std::string>{"X-A", "1\r\nX-B: 2"}, {"X-A\n", "1"}, {"X-A:", "1"}}) {
    HttpRequest forged;
    forged.headers.emplace_back(name, value);
    error.clear();
    CHECK_FALSE(requestMessage(forged, url, out, error));
    CHECK(error == "header with a line break");
  }
}

TEST_CASE("Unit: parseStatusLine reads HTTP/1.x status codes only", "[providers][unit]") {
  CHECK(parseStatusLine("HTTP/1.1 200 OK") == 200);
  CHECK(parseStatusLine("HTTP/1.0 404 Not Found\r\nX: y") == 404);
  CHECK(parseStatusLine("HTTP/1.1 100 Continue") == 100);
  CHECK_FALSE(parseStatusLine("HTTP/2 200 OK"));
  CHECK_FALSE(parseStatusLine("HTTP/1.1 20"));
  CHECK_FALSE(parseStatusLine("HTTP/1.1 abc OK"));
  CHECK_FALSE(parseStatusLine("SSH-2.0-OpenSSH"));
}

TEST_CASE("Unit: parseHeaderFields frames the body and refuses ambiguous lengths",
          "[providers][unit]") {
  auto parse = [](const std::string& head, const std::string& method, int status,
                  BodyFraming& framing, std::string& error) {
    HttpResponse response;
    response.status = status;
    const bool ok = parseHeaderFields(head, method, 1000, response, framing, error);
    return std::make_pair(ok, response);
  };
  BodyFraming framing;
  std::string error;
  auto [ok, response] = parse("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX-Name:  v \r\nX-Name: w",
                              "GET", 200, framing, error);
  REQUIRE(ok);
  CHECK(framing.kind == Framing::kLength);
  CHECK(framing.contentLength == 12);
  CHECK(response.header("x-name") == "w");  // the last one wins

  framing = BodyFraming{};
  CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked", "GET", 200, framing, error)
            .first);
  CHECK(framing.kind == Framing::kChunked);
  framing = BodyFraming{};
  CHECK(parse("HTTP/1.1 200 OK", "GET", 200, framing, error).first);
  CHECK(framing.kind == Framing::kClose);
  framing = BodyFraming{};
  CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 5", "HEAD", 200, framing, error).first);
  CHECK(framing.kind == Framing::kNone);
  framing = BodyFraming{};
  CHECK(parse("HTTP/1.1 304 Not Modified", "GET", 304, framing, error).first);
  CHECK(framing.kind == Framing::kNone);

  for (const char* head : {"HTTP/1.1 200 OK\r\nContent-Length: 1001",
                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3",
                           "HTTP/1.1 200 OK\r\nContent-Length: -1",
                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked",
                           "HTTP/1.1 200 OK\r\nX : y", "HTTP/1.1 200 OK\r\n folded: y",
                           "HTTP/1.1 200 OK\r\n: y", "HTTP/1.1 200 OK\r\nno colon"}) {
    INFO(head);
    error.clear();
    CHECK_FALSE(parse(head, "GET", 200, framing, error).first);
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("Unit: decodeChunked asks for more, finishes or refuses", "[providers][unit]") {
  std::string out;
  bool complete = false;
  REQUIRE(decodeChunked("4\r\nWiki\r\n6;x=y\r\npedia \r\n0\r\n\r\n", out, complete));
  CHECK(complete);
  CHECK(out == "Wikipedia ");
  REQUIRE(decodeChunked("4\r\nWi", out, complete));
  CHECK_FALSE(complete);
  REQUIRE(decodeChunked("4\r\nWiki\r\n", out, complete));
  CHECK_FALSE(complete);
  CHECK(out == "Wiki");
  CHECK_FALSE(decodeChunked("zz\r\nWiki\r\n", out, complete));
  CHECK_FALSE(decodeChunked("123456789\r\n", out, complete));
  CHECK_FALSE(decodeChunked("\r\n", out, complete));
}

TEST_CASE("Unit: splitComma trims the items and drops empty ones", "[providers][unit]") {
  CHECK(splitComma(" a , b,,c ") == std::vector<std::string>{"a", "b", "c"});
  CHECK(splitComma("").empty());
  CHECK(splitComma(" , ").empty());
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
