// SPDX-License-Identifier: MIT
// The cross-site guard (crossSiteRefused in api/access.cpp) against the real chipmunk-api
// binary: what a browser may do from another site.
#include <catch2/catch.hpp>

#include "tests/api/address_book_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::addressbook;

TEST_CASE("Address book: cross-site browser requests cannot change records",
          "[api][addressbook][csrf]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  REQUIRE(httpRequest(api.port(), "GET", "/nic/update?hostname=nas.example.org&myip=192.0.2.1",
                      basicAuth("alice", "secret") + kAgent)
              .body == "good 192.0.2.1\n");
  REQUIRE(get(api, "/set?note=kept", "alice", "secret").status == 200);

  // Every browser signal that the request comes from another site, or from a site that
  // cannot be verified: Fetch Metadata, an Origin that is not the server's own (the test
  // client sends "Host: test"), the opaque origin "null", and a navigation of a browser
  // that sends no Fetch Metadata (Upgrade-Insecure-Requests; plain-HTTP origins).
  const std::vector<std::string> forged = {
      "Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\n",
      "Sec-Fetch-Site: same-site\r\nSec-Fetch-Mode: navigate\r\n",
      "Sec-Fetch-Site: CROSS-SITE\r\n",
      "Sec-Fetch-Site: something-new\r\n",
      "Sec-Fetch-Site: cross-site\r\nOrigin: http://test\r\n",
      "Origin: http://evil.example\r\n",
      "Origin: http://test.evil.example\r\n",
      "Origin: http://test:8081\r\n",
      "Origin: null\r\n",
      "Upgrade-Insecure-Requests: 1\r\n",
  };
  for (const auto& headers : forged) {
    for (const std::string path :
         {"/set?note=forged", "/nic/update?hostname=nas.example.org&myip=6.6.6.6",
          "/v3/update?hostname=nas.example.org&myip=6.6.6.6"}) {
      INFO(headers << path);
      const auto r = browser(api, "GET", path, headers);
      CHECK(r.status == 403);
      CHECK(r.body == "Forbidden: cross-site request\n");
      CHECK_FALSE(r.hasHeader("access-control-allow-origin"));
    }
    INFO(headers << "POST /set");
    const auto post = browser(api, "POST", "/set", headers, "note=forged");
    CHECK(post.status == 403);
    CHECK(post.body == "Forbidden: cross-site request\n");
  }
  // Refused before the password check: a wrong password is not even looked at.
  const auto wrong = httpRequest(api.port(), "GET", "/set?note=forged",
                                 basicAuth("alice", "nope") + "Sec-Fetch-Site: cross-site\r\n");
  CHECK(wrong.status == 403);
  CHECK(note(api) == "kept");
  CHECK(get(api, "/hosts/nas.example.org", "alice", "secret").body.find("6.6.6.6") ==
        std::string::npos);

  // The same origin, and what the user opens himself (address bar, bookmark), still work;
  // so do clients that send none of these headers (curl, routers, ddclient, inadyn).
  CHECK(browser(api, "GET", "/set?note=own1", "Sec-Fetch-Site: same-origin\r\n").status == 200);
  CHECK(note(api) == "own1");
  CHECK(browser(api, "GET", "/set?note=own2",
                "Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\n"
                "Upgrade-Insecure-Requests: 1\r\n")
            .status == 200);
  CHECK(note(api) == "own2");
  CHECK(browser(api, "POST", "/set", "Origin: http://test\r\n", "note=own3").status == 200);
  CHECK(note(api) == "own3");
  CHECK(browser(api, "POST", "/set", "Origin: https://TEST:443\r\n", "note=own4").status == 200);
  CHECK(note(api) == "own4");
  CHECK(browser(api, "GET", "/nic/update?hostname=nas.example.org&myip=192.0.2.2",
                "Sec-Fetch-Site: same-origin\r\n")
            .body == "good 192.0.2.2\n");
  CHECK(browser(api, "GET", "/nic/update?hostname=nas.example.org&myip=192.0.2.3", "").body ==
        "good 192.0.2.3\n");
}

TEST_CASE("Address book: other sites may link to the page but not load it or the records",
          "[api][addressbook][csrf]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  // A link followed from another site opens the page (a top-level navigation)...
  const auto link = browser(api, "GET", "/",
                            "Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\n"
                            "Sec-Fetch-Dest: document\r\n");
  CHECK(link.status == 200);
  // ... which no other site may frame (clickjacking), nor load as a resource.
  CHECK(link.header("x-frame-options") == "DENY");
  CHECK(link.header("content-security-policy").find("frame-ancestors 'none'") != std::string::npos);
  for (const std::string path : {"/", "/hosts", "/hosts/alice", "/get/ip", "/get/ip.json"}) {
    for (const std::string headers :
         {"Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: iframe\r\n",
          "Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\nSec-Fetch-Dest: script\r\n",
          "Sec-Fetch-Site: same-site\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Dest: empty\r\n"}) {
      INFO(path << " " << headers);
      const auto r = browser(api, "GET", path, headers);
      CHECK(r.status == 403);
      CHECK(r.body == "Forbidden: cross-site request\n");
    }
  }
  // The page's own refresh of /hosts (a same-origin fetch) is answered, without CORS
  // headers, and the records are not to be embedded elsewhere.
  const auto own = browser(api, "GET", "/hosts",
                           "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors\r\n"
                           "Sec-Fetch-Dest: empty\r\nOrigin: http://test\r\n");
  CHECK(own.status == 200);
  CHECK_FALSE(own.hasHeader("access-control-allow-origin"));
  CHECK(own.header("cross-origin-resource-policy") == "same-origin");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
