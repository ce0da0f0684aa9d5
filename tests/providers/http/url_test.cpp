// SPDX-License-Identifier: MIT
#include "providers/http/url.hpp"

#include <catch2/catch.hpp>

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;

TEST_CASE("HttpClient: redacts credentials and query from URLs", "[providers][unit]") {
  CHECK(redactUrl("https://user:pw@host.example/path?token=x") == "https://host.example/path");
  CHECK(redactUrl("http://127.0.0.1:8/v4/domains") == "http://127.0.0.1:8/v4/domains");
}

TEST_CASE("Unit: urlEncode keeps unreserved characters and escapes the rest", "[providers][unit]") {
  CHECK(urlEncode("aZ09-._~") == "aZ09-._~");
  CHECK(urlEncode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
  CHECK(urlEncode("").empty());
}

TEST_CASE("Unit: parseHttpUrl takes an http URL apart", "[providers][unit]") {
  using chipmunk::providers::http::HttpUrl;
  using chipmunk::providers::http::parseHttpUrl;
  struct Case {
    const char* url;
    HttpUrl expected;
  };
  const Case good[] = {
      {"http://example.net", {"example.net", "80", "/", "example.net"}},
      {"http://[2001:db8::1]:8080?ip=1#frag",
       {"2001:db8::1", "8080", "/?ip=1", "[2001:db8::1]:8080"}},
      {"http://127.0.0.1:1/a/b?c=d", {"127.0.0.1", "1", "/a/b?c=d", "127.0.0.1:1"}},
  };
  HttpUrl url;
  std::string error;
  for (const auto& c : good) {
    INFO(c.url);
    url = HttpUrl{};
    REQUIRE(parseHttpUrl(c.url, url, error));
    CHECK(url.host == c.expected.host);
    CHECK(url.port == c.expected.port);
    CHECK(url.target == c.expected.target);
    CHECK(url.hostHeader == c.expected.hostHeader);
  }

  for (const char* bad :
       {"https://x/", "http://", "http://u:p@x/", "http://[::1/", "http://[::1]x/", "http://x:/",
        "http://x:123456/", "http://x:99999/", "http://:80/", "http://x/a b", "http://x/\x7f"}) {
    INFO(bad);
    url = HttpUrl{};
    error.clear();
    CHECK_FALSE(parseHttpUrl(bad, url, error));
    CHECK_FALSE(error.empty());
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
