// SPDX-License-Identifier: MIT
// ApiService::handle without sockets: each route family, and the 404, 405 and 401 answers
// the table and the guards give.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "api/file_store.hpp"
#include "api/http_wire.hpp"
#include "api/service.hpp"
#include "common/base64.hpp"
#include "tests/support/service_request.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;

config::ApiConfig makeConfig(const std::string& dataDir) {
  config::ApiConfig c;
  c.dataDir = dataDir;
  c.users = {{"alice", "alice-pw", false, "test:1"}, {"bob", "bob-pw", false, "test:2"}};
  c.hostOwners = {{"home.example.org", "alice"}};
  return c;
}

// A service over a store in a temporary directory.
struct Fixture {
  test::TempDir dir;
  std::shared_ptr<FileStore> store = std::make_shared<FileStore>(dir.path());
  ApiService service{makeConfig(dir.path()), store};

  Response get(const std::string& path, const std::string& user = "alice",
               Method method = Method::kGet) {
    return service.handle(test::serviceRequest(path, user, method), true);
  }
};

// "<status> <body>", for one comparison per answer.
std::string shown(const Response& r) {
  return std::to_string(r.code) + " " + r.body;
}

TEST_CASE("Unit: ApiService answers /healthz without credentials", "[api][unit]") {
  Fixture f;
  CHECK(shown(f.get("/healthz", "")) == "200 ok\n");
}

TEST_CASE("Unit: ApiService answers /get/ip and /get/ip.json with the caller's address",
          "[api][unit]") {
  Fixture f;
  const auto text = f.get("/get/ip");
  CHECK(shown(text) == "200 Your IP:  192.0.2.7");
  CHECK((text.client + " " + text.user) == "192.0.2.7 alice");  // for the request log
  const auto json = f.get("/get/ip.json");
  CHECK(shown(json) == "200 {\"Client_IP\": \"192.0.2.7\"}");
  CHECK(json.contentType == "application/json");
}

TEST_CASE("Unit: ApiService stores the caller's address on /set and lists it on /hosts",
          "[api][unit]") {
  Fixture f;
  CHECK(shown(f.get("/set?note=hi")) ==
        "200 {\"Client_IP\": \"192.0.2.7\", \"status\": \"saved\"}");
  CHECK(shown(f.get("/set?note=hi")) ==
        "200 {\"Client_IP\": \"192.0.2.7\", \"status\": \"unchanged\"}");

  const auto hosts = f.get("/hosts");
  CHECK(hosts.code == 200);
  CHECK(hosts.body.find("\"name\":\"alice\"") != std::string::npos);
  CHECK(hosts.body.find("\"ip\":\"192.0.2.7\"") != std::string::npos);
  CHECK(hosts.extraHeaders.find("Cross-Origin-Resource-Policy") != std::string::npos);
  CHECK(f.get("/hosts/alice").code == 200);
  // bob reads only his own records.
  CHECK(f.get("/hosts/alice", "bob").code == 404);
  const auto bobs = f.get("/hosts", "bob");
  CHECK(bobs.body.rfind("{\"hosts\":[],\"next\":null,\"version\":\"", 0) == 0);
  CHECK(bobs.extraHeaders.find("ETag: \"") != std::string::npos);

  const auto page = f.get("/");
  CHECK(page.code == 200);
  CHECK(page.contentType == "text/html; charset=utf-8");
  CHECK(page.extraHeaders.find("Content-Security-Policy") != std::string::npos);
}

TEST_CASE("Unit: ApiService answers /nic/update and /v3/update in dyndns2 words", "[api][unit]") {
  Fixture f;
  for (const std::string path : {"/nic/update", "/v3/update"}) {
    INFO(path);
    const auto r = f.get(path + "?hostname=home.example.org,nobody.example.org&myip=192.0.2.9");
    CHECK(r.code == 200);
    CHECK(r.body ==
          (path == "/nic/update" ? "good 192.0.2.9\nnohost\n" : "nochg 192.0.2.9\nnohost\n"));
    const auto refused = f.get(path + "?hostname=home.example.org", "");
    CHECK(refused.code == 401);
    CHECK(refused.body == "badauth\n");
    const auto post = f.get(path + "?hostname=home.example.org", "alice", Method::kPost);
    CHECK(post.code == 405);
    CHECK(post.body == "badagent\n");
    CHECK(post.extraHeaders == "Allow: GET\r\n");
  }
}

TEST_CASE("Unit: ApiService answers 401 without credentials, then 404 and 405 by the table",
          "[api][unit]") {
  Fixture f;
  for (const std::string path : {"/get/ip", "/set", "/hosts", "/", "/no/such/route"}) {
    INFO(path);
    const auto r = f.get(path, "");
    CHECK(r.code == 401);
    CHECK(r.body == "Access denied");
    CHECK(r.extraHeaders == "WWW-Authenticate: Basic realm=\"chipmunk\"\r\n");
  }
  CHECK(f.get("/get/ip", "mallory").code == 401);

  const auto missing = f.get("/no/such/route");
  CHECK(missing.code == 404);
  CHECK(missing.body == "Not Found");
  CHECK(f.get("/hostsx").code == 404);

  const auto head = f.get("/set", "alice", Method::kHead);
  CHECK(head.code == 405);
  CHECK(head.extraHeaders == "Allow: GET, POST\r\n");
  const auto post = f.get("/get/ip", "alice", Method::kPost);
  CHECK(post.code == 405);
  CHECK(post.extraHeaders == "Allow: GET, HEAD\r\n");
  CHECK_FALSE(f.store->get("alice"));  // a refused method stores nothing
}

TEST_CASE("Unit: ApiService refuses a cross-site write before the password check", "[api][unit]") {
  Fixture f;
  RequestInfo r;
  r.path = "/set";
  r.peer = *IpAddress::parse("192.0.2.7");
  r.secFetchSite = "cross-site";
  const auto refused = f.service.handle(r, false);  // no credentials asked for
  CHECK(refused.code == 403);
  CHECK_FALSE(refused.needsSlowAuth);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
