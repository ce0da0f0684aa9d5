// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <map>

#include "chipmunk/version.hpp"
#include "providers/http/client.hpp"
#include "tests/support/fake_http_server.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using chipmunk::test::FakeHttpServer;
using chipmunk::test::FakeRequest;
using chipmunk::test::FakeResponse;

TEST_CASE("HttpClient: sends the User-Agent, headers and body, reads status and headers",
          "[providers][unit]") {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse r;
    r.status = 429;
    r.body = "{}";
    r.headers.emplace_back("Retry-After", "7");
    return r;
  });
  HttpClient client(HttpOptions{});
  HttpRequest req;
  req.method = "PUT";
  req.url = server.url() + "/x?y=1";
  req.headers.emplace_back("X-Test", "1");
  req.body = "{\"a\":1}";
  req.basicAuth = std::make_pair("user", "pass");
  const auto resp = client.perform(req);
  REQUIRE(resp.transportOk());
  CHECK(resp.status == 429);
  CHECK(resp.retryAfter() == std::chrono::seconds(7));
  CHECK(resp.body == "{}");
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "PUT");
  CHECK(reqs[0].path == "/x");
  CHECK(reqs[0].query == "y=1");
  CHECK(reqs[0].header("user-agent") == std::string("chipmunk-updater/") + chipmunk::kVersion);
  CHECK(reqs[0].header("x-test") == "1");
  CHECK(reqs[0].header("authorization") == "Basic dXNlcjpwYXNz");
  CHECK(reqs[0].body == "{\"a\":1}");
}

TEST_CASE("HttpClient: a server that hangs times out as a transport error", "[providers][unit]") {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse r;
    r.delay = std::chrono::seconds(10);
    return r;
  });
  HttpOptions options;
  options.timeout = std::chrono::milliseconds(300);
  HttpClient client(options);
  const auto start = std::chrono::steady_clock::now();
  const auto resp = client.perform({"GET", server.url() + "/", {}, {}, std::nullopt});
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK_FALSE(resp.transportOk());
  CHECK(resp.timedOut);
  CHECK(resp.status == 0);
  server.stop();
}

TEST_CASE("HttpClient: refuses a reply larger than the limit and a closed port",
          "[providers][unit]") {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse r;
    r.body = std::string(5000, 'x');
    return r;
  });
  HttpOptions options;
  options.maxBodySize = 1000;
  HttpClient client(options);
  auto resp = client.perform({"GET", server.url() + "/", {}, {}, std::nullopt});
  CHECK_FALSE(resp.transportOk());
  CHECK(resp.error.find("larger") != std::string::npos);
  const int port = server.port();
  server.stop();
  resp = client.perform(
      {"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, {}, std::nullopt});
  CHECK_FALSE(resp.transportOk());
}

TEST_CASE("HttpClient: TLS verification is on by default", "[providers][unit]") {
  HttpOptions options;
  CHECK(options.verifyTls);
}

TEST_CASE("HttpClient: plain HTTP reads chunked, close-delimited and interim replies",
          "[providers][unit]") {
  FakeHttpServer server([](const FakeRequest& r) {
    FakeResponse resp;
    if (r.path == "/chunked") {
      resp.raw =
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia "
          "\r\n0\r\n\r\n";
    } else if (r.path == "/close") {
      resp.raw = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n203.0.113.9\n";
    } else if (r.path == "/interim") {
      resp.raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
    } else if (r.path == "/garbage") {
      resp.raw = "SSH-2.0-OpenSSH\r\n\r\n";
    } else if (r.path == "/short") {
      resp.raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this";
    } else {
      resp.status = 204;
    }
    return resp;
  });
  HttpClient client(HttpOptions{});
  auto get = [&](const std::string& path) {
    return client.perform({"GET", server.url() + path, {}, {}, std::nullopt});
  };
  auto r = get("/chunked");
  REQUIRE(r.transportOk());
  CHECK(r.body == "Wikipedia ");
  r = get("/close");
  REQUIRE(r.transportOk());
  CHECK(r.status == 200);
  CHECK(r.body == "203.0.113.9\n");
  r = get("/interim");
  REQUIRE(r.transportOk());
  CHECK(r.status == 201);
  CHECK(r.body == "ok");
  CHECK_FALSE(get("/garbage").transportOk());
  CHECK_FALSE(get("/short").transportOk());
  r = get("/none");
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  const auto reqs = server.requests();
  CHECK(reqs.at(0).header("host") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(reqs.at(0).header("connection") == "close");
}

TEST_CASE("HttpClient: a reply with ambiguous framing is an error, not a guess",
          "[providers][unit]") {
  // RFC 9112 sections 5.1, 5.2 and 6.3: a hostile provider must not choose which of two
  // lengths counts (before: the last Content-Length line won, " :" was read as ":").
  const std::map<std::string, std::string> replies = {
      {"/two-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nokxyz"},
      {"/length-list", "HTTP/1.1 200 OK\r\nContent-Length: 2, 5\r\n\r\nokxyz"},
      {"/length-and-chunked",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
       "2\r\nok\r\n0\r\n\r\n"},
      {"/space-before-colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nokxyz"},
      {"/folded", "HTTP/1.1 200 OK\r\nX-A: 1\r\n Content-Length: 2\r\n\r\nokxyz"},
      {"/bare-cr", "HTTP/1.1 200 OK\r\nX-A: 1\rContent-Length: 2\r\n\r\nokxyz"},
      {"/no-colon", "HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nokxyz"},
      {"/same-twice", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"},
      {"/same-list", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok"},
      {"/gzip-then-chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
      {"/not-chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: notchunked\r\n\r\n2\r\nok"},
  };
  FakeHttpServer server([&](const FakeRequest& r) {
    FakeResponse resp;
    const auto it = replies.find(r.path);
    resp.raw =
        it == replies.end() ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" : it->second;
    return resp;
  });
  HttpClient client(HttpOptions{});
  auto get = [&](const std::string& path) {
    return client.perform({"GET", server.url() + path, {}, {}, std::nullopt});
  };
  for (const std::string path : {"/two-lengths", "/length-list", "/length-and-chunked",
                                 "/space-before-colon", "/folded", "/bare-cr", "/no-colon"}) {
    INFO(path);
    const auto r = get(path);
    CHECK_FALSE(r.transportOk());
    CHECK(r.body.empty());
  }
  // One length given twice (RFC 9110 section 8.6 allows it), and chunked as the last coding.
  for (const std::string path : {"/same-twice", "/same-list", "/gzip-then-chunked"}) {
    INFO(path);
    const auto r = get(path);
    REQUIRE(r.transportOk());
    CHECK(r.body == "ok");
  }
  // A coding other than chunked last: the body runs to the end of the connection.
  const auto r = get("/not-chunked");
  REQUIRE(r.transportOk());
  CHECK(r.body == "2\r\nok");
}

TEST_CASE("HttpClient: bad URLs are errors, not crashes", "[providers][unit]") {
  HttpClient client(HttpOptions{});
  for (const char* url : {"ftp://x/", "http://", "http://user:pw@127.0.0.1:1/", "http://[::1/",
                          "http://127.0.0.1:99999/", "http://127.0.0.1:1/a b", "gopher"}) {
    INFO(url);
    const auto r = client.perform({"GET", url, {}, {}, std::nullopt});
    CHECK_FALSE(r.transportOk());
    CHECK(r.status == 0);
  }
}

TEST_CASE("HttpClient: an IPv6 literal URL reaches the loopback", "[providers][unit]") {
  // Served by nothing: the point is that [::1]:port parses and the connect is attempted.
  HttpClient client(HttpOptions{});
  const auto r = client.perform({"GET", "http://[::1]:1/", {}, {}, std::nullopt});
  CHECK_FALSE(r.transportOk());
  CHECK(r.error.find("URL") == std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
