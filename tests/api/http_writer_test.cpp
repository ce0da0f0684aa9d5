// SPDX-License-Identifier: MIT
// What chipmunk-api writes back (api/http_writer.cpp): the bytes of a response and the
// request's text for the request log.
#include <catch2/catch.hpp>

#include <string>

#include "api/http_writer.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::api;

TEST_CASE("Unit: every status we send has its reason phrase", "[api][unit]") {
  for (const int code :
       {200, 400, 401, 403, 404, 405, 408, 411, 413, 414, 429, 431, 500, 501, 503}) {
    CHECK(std::string(reasonPhrase(code)) != "Unknown");
  }
  CHECK(std::string(reasonPhrase(405)) == "Method Not Allowed");
  CHECK(std::string(reasonPhrase(299)) == "Unknown");
}

TEST_CASE("Unit: a response is written with our headers, HEAD without its body", "[api][unit]") {
  Response r = textResponse(401, "Unauthorized");
  r.extraHeaders = "WWW-Authenticate: Basic realm=\"chipmunk\"\r\n";
  const std::string out = formatResponse(r, false, true, false);
  CHECK(out.rfind("HTTP/1.1 401 Unauthorized\r\nDate: ", 0) == 0);
  const std::string rest = out.substr(out.find("GMT\r\n") + 5);
  CHECK(rest ==
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n"
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
        "WWW-Authenticate: Basic realm=\"chipmunk\"\r\n\r\nUnauthorized");

  const std::string head = formatResponse(r, true, false, false);
  CHECK(head.find("Content-Length: 12\r\n") != std::string::npos);
  CHECK(head.find("Connection: close\r\n") != std::string::npos);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");  // no body

  Response empty;
  empty.code = 204;
  const std::string kept10 = formatResponse(empty, false, true, true);
  CHECK(kept10.find("\r\nContent-Type:") == std::string::npos);
  CHECK(kept10.find("Content-Length: 0\r\n") != std::string::npos);
  CHECK(kept10.find("Connection: keep-alive\r\n") != std::string::npos);
}

TEST_CASE("Unit: request text is made safe for a log line", "[api][unit]") {
  CHECK(sanitizeForLog("/nic/update") == "/nic/update");
  CHECK(sanitizeForLog("a b\"c\r\nd\xe2\x80\xae") == "a?b?c??d???");
  CHECK(sanitizeForLog(std::string(300, 'x')) == std::string(200, 'x'));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
