// SPDX-License-Identifier: MIT
// The watch of GET /hosts (?wait=N&since=V, api/watch_hub.cpp) and the [Mesh:NAME] read rule
// against the real chipmunk-api binary over loopback: who is woken by which change, the 304
// after the wait, the caps, expiry, a restart.
#include <catch2/catch.hpp>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "tests/api/address_book_helpers.hpp"
#include "tests/api/integration_helpers.hpp"
#include "tests/support/postgres_server.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::addressbook;
using chipmunk::test::integration::requestFrom;

// alice and bob share a mesh; carol is in none; admin reads everything.
const char* const kMeshUsers =
    "[Users]\nalice = secret\nbob = hunter2\ncarol = pw3\nadmin = root-pw\n"
    "[Hosts]\nnas.example.org = alice\n"
    "[Access]\nread_all = admin\n"
    "[Mesh:home]\nmembers = alice, bob\n";

const std::map<std::string, std::string> kPasswords = {
    {"alice", "secret"}, {"bob", "hunter2"}, {"carol", "pw3"}, {"admin", "root-pw"}};

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

std::string versionOf(const HttpResponse& r) {
  const auto doc = parse(r.body);
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("version") ||
      !doc["version"].IsString()) {
    return "<no version>";
  }
  return doc["version"].GetString();
}

// The record `name` of a /hosts page, as JSON text of its field `field` ("" when absent).
std::string fieldOf(const HttpResponse& r, const std::string& name, const char* field) {
  const auto doc = parse(r.body);
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("hosts")) {
    return "<not a page>";
  }
  for (const auto& h : doc["hosts"].GetArray()) {
    if (name == h["name"].GetString() && h.HasMember(field)) {
      const auto& v = h[field];
      return v.IsString() ? v.GetString() : v.IsBool() ? (v.GetBool() ? "true" : "false") : "null";
    }
  }
  return {};
}

// /set for each of `users`, from 127.0.0.1; false when one fails.
bool setEach(const ApiInstance& api, std::initializer_list<const char*> users) {
  for (const char* user : users) {
    if (get(api, "/set", user, kPasswords.at(user)).status != 200) {
      return false;
    }
  }
  return true;
}

HttpResponse hosts(const ApiInstance& api, const std::string& user) {
  return get(api, "/hosts", user, kPasswords.at(user));
}

// A watch on its own connection, answered on another thread. The client gives up after
// `clientTimeout`: a request the server held longer fails the test (readResponse throws).
std::future<HttpResponse> watch(const ApiInstance& api, const std::string& user,
                                const std::string& since, int wait,
                                std::chrono::seconds clientTimeout = std::chrono::seconds(20)) {
  const int port = api.port();
  const std::string auth = basicAuth(user, kPasswords.at(user));
  return std::async(std::launch::async, [=] {
    HttpConnection conn("127.0.0.1", port, clientTimeout);
    conn.sendRaw("GET /hosts?wait=" + std::to_string(wait) + "&since=" + since +
                 " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + auth + "\r\n");
    return conn.readResponse();
  });
}

// Long enough for a request sent on another thread to be held by the server.
void settle() {
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
}

TEST_CASE("Watch: every /hosts answer carries its version in the body and the ETag",
          "[api][watch]") {
  ApiInstance api(kMeshUsers);
  REQUIRE(api.start());
  REQUIRE(setEach(api, {"alice"}));
  const auto r = hosts(api, "alice");
  REQUIRE(r.status == 200);
  const std::string v = versionOf(r);
  CHECK(v.find('-') != std::string::npos);
  CHECK(r.header("etag") == "\"" + v + "\"");
  // Unchanged: the same version again; a wait with a stale since answers at once.
  CHECK(versionOf(hosts(api, "alice")) == v);
  auto stale = watch(api, "alice", "not-a-version", 60, std::chrono::seconds(10));
  const auto answered = stale.get();
  CHECK(answered.status == 200);
  CHECK(versionOf(answered) == v);
  // Bad waits, and a wait past the first page.
  const std::string longSince = "/hosts?wait=5&since=" + std::string(65, 'a');  // bound: 64
  for (const std::string& path : {std::string("/hosts?wait=0"), std::string("/hosts?wait=61"),
                                  std::string("/hosts?wait=x"), std::string("/hosts?wait=1&wait=2"),
                                  std::string("/hosts?wait=5&cursor=bjE6YWxpY2U"), longSince}) {
    INFO(path);
    CHECK(get(api, path, "alice", "secret").status == 400);
  }
}

TEST_CASE("Watch: a mesh peer's change wakes a held watch with the new page",
          "[api][watch][mesh]") {
  ApiInstance api(kMeshUsers);
  REQUIRE(api.start());
  REQUIRE(setEach(api, {"alice", "bob"}));
  const auto before = hosts(api, "alice");
  CHECK(names(before.body) == std::set<std::string>{"alice", "bob"});
  const std::string v = versionOf(before);

  // A new address of bob's, from another loopback address.
  auto held = watch(api, "alice", v, 30);
  settle();
  REQUIRE(requestFrom("127.0.0.2", api.port(), "GET", "/set", basicAuth("bob", "hunter2")).status ==
          200);
  const auto woken = held.get();
  REQUIRE(woken.status == 200);
  CHECK(fieldOf(woken, "bob", "ipv4") == "127.0.0.2");
  const std::string v2 = versionOf(woken);
  CHECK(v2 != v);
  CHECK(woken.header("etag") == "\"" + v2 + "\"");

  // Metadata is a change too (the WireGuard key a peer publishes).
  auto held2 = watch(api, "alice", v2, 30);
  settle();
  REQUIRE(requestFrom("127.0.0.2", api.port(), "GET",
                      "/set?wg_public_key=" + kWgKey + "&wg_public_port=51820",
                      basicAuth("bob", "hunter2"))
              .status == 200);
  const auto woken2 = held2.get();
  REQUIRE(woken2.status == 200);
  const auto doc = parse(woken2.body);
  CHECK(std::string(doc["hosts"][1]["metadata"]["wg_public_port"].GetString()) == "51820");
}

TEST_CASE("Watch: 304 after the wait, and a last_seen refresh wakes nobody", "[api][watch]") {
  ApiInstance api(kMeshUsers);
  REQUIRE(api.start());
  REQUIRE(setEach(api, {"bob"}));
  const std::string v = versionOf(hosts(api, "alice"));
  auto held = watch(api, "alice", v, 2, std::chrono::seconds(10));
  settle();
  // The same address again: only last_seen moves.
  REQUIRE(setEach(api, {"bob"}));
  const auto r = held.get();
  CHECK(r.status == 304);
  CHECK(r.body.empty());
  CHECK_FALSE(r.hasHeader("content-length"));
  CHECK(r.header("etag") == "\"" + v + "\"");
}

TEST_CASE("Watch: a user outside the mesh is not woken and never sees its records",
          "[api][watch][mesh]") {
  ApiInstance api(kMeshUsers);
  REQUIRE(api.start());
  REQUIRE(setEach(api, {"alice", "bob", "carol"}));
  const auto mine = hosts(api, "carol");
  CHECK(names(mine.body) == std::set<std::string>{"carol"});
  auto held = watch(api, "carol", versionOf(mine), 2, std::chrono::seconds(10));
  settle();
  REQUIRE(requestFrom("127.0.0.3", api.port(), "GET", "/set", basicAuth("bob", "hunter2")).status ==
          200);
  CHECK(held.get().status == 304);
  // Nor by any other route: one record, the page.
  CHECK(get(api, "/hosts/bob", "carol", "pw3").status == 404);
  CHECK(get(api, "/hosts/alice", "carol", "pw3").status == 404);
  const auto page = get(api, "/", "carol", "pw3");
  REQUIRE(page.status == 200);
  CHECK(page.body.find("data-name=\"bob\"") == std::string::npos);
  CHECK(page.body.find("127.0.0.3") == std::string::npos);
  // The members read each other (read only), and the read_all user everything.
  CHECK(get(api, "/hosts/bob", "alice", "secret").status == 200);
  REQUIRE(get(api, "/set?hostname=nas.example.org", "alice", "secret").status == 200);
  CHECK(get(api, "/hosts/nas.example.org", "bob", "hunter2").status == 200);  // alice's host
  CHECK(get(api, "/hosts/nas.example.org", "carol", "pw3").status == 404);
  CHECK(get(api, "/set?hostname=alice", "bob", "hunter2").status == 403);
  CHECK(names(hosts(api, "admin").body) ==
        std::set<std::string>{"alice", "bob", "carol", "nas.example.org"});
  const auto alicePage = get(api, "/", "alice", "secret");
  CHECK(alicePage.body.find("data-name=\"bob\"") != std::string::npos);
}

TEST_CASE("Watch: held watches are capped per user and released by a closing client",
          "[api][watch]") {
  ApiInstance api(kMeshUsers);
  REQUIRE(api.start());
  const std::string v = versionOf(hosts(api, "alice"));
  const std::string request = "GET /hosts?wait=30&since=" + v +
                              " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" +
                              basicAuth("alice", "secret") + "\r\n";
  std::vector<std::unique_ptr<HttpConnection>> open;
  for (int i = 0; i < 4; ++i) {  // max_watchers_per_user = 4 by default
    open.push_back(std::make_unique<HttpConnection>("127.0.0.1", api.port()));
    open.back()->sendRaw(request);
  }
  settle();
  const auto refused = get(api, "/hosts?wait=30&since=" + v, "alice", "secret");
  CHECK(refused.status == 429);
  CHECK(refused.header("retry-after") == "5");
  // Another user is not affected.
  auto bobs = watch(api, "bob", versionOf(hosts(api, "bob")), 1, std::chrono::seconds(10));
  CHECK(bobs.get().status == 304);
  // The clients go away: their watches are released, a new one is held again.
  open.clear();
  settle();
  auto again = watch(api, "alice", v, 1, std::chrono::seconds(10));
  CHECK(again.get().status == 304);
}

TEST_CASE("Watch: an expiring record wakes the watchers and shows expired", "[api][watch]") {
  ApiInstance api(kMeshUsers);
  REQUIRE(api.start());
  REQUIRE(get(api, "/set?ttl=2", "bob", "hunter2").status == 200);
  const auto before = hosts(api, "alice");
  REQUIRE(fieldOf(before, "bob", "expired") == "false");
  auto held = watch(api, "alice", versionOf(before), 30);
  const auto r = held.get();
  REQUIRE(r.status == 200);
  CHECK(fieldOf(r, "bob", "expired") == "true");
  CHECK(fieldOf(r, "bob", "ipv4") == "null");
}

TEST_CASE("Watch: a restarted server has a new version, and a held watch ends at shutdown",
          "[api][watch]") {
  ApiInstance api(kMeshUsers);
  REQUIRE(api.start());
  REQUIRE(setEach(api, {"alice"}));
  const std::string v = versionOf(hosts(api, "alice"));
  auto held = watch(api, "alice", v, 60, std::chrono::seconds(15));
  settle();
  const auto t0 = std::chrono::steady_clock::now();
  api.stop();
  // Answered (503) or cut, but not left to its 60 s: the client gives up after 15 s.
  int status = 0;
  try {
    status = held.get().status;
  } catch (const std::exception&) {
    status = -1;  // the connection closed without an answer
  }
  CHECK((status == 503 || status == -1));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(15));
  REQUIRE(api.start());
  const auto after = hosts(api, "alice");
  CHECK(names(after.body) == std::set<std::string>{"alice"});
  CHECK(versionOf(after) != v);
  // The old version is from another boot: answered at once.
  auto old = watch(api, "alice", v, 60, std::chrono::seconds(10));
  CHECK(old.get().status == 200);
}

TEST_CASE("Address book: the page shows a WireGuard column for mesh peers", "[api][mesh]") {
  ApiInstance api(kMeshUsers);
  REQUIRE(api.start());
  REQUIRE(get(api,
              "/set?wg_public_key=" + kWgKey + "&wg_listen_port=51820&wg_public_port=41000" +
                  "&lan_ip=192.168.1.10",
              "bob", "hunter2")
              .status == 200);
  REQUIRE(setEach(api, {"alice"}));
  const auto page = get(api, "/", "alice", "secret");
  REQUIRE(page.status == 200);
  CHECK(page.header("content-security-policy").find("default-src 'none'") != std::string::npos);
  // bob's row, rendered by the server: the key shortened, the forwarded port, both addresses.
  const auto row = page.body.find("<tr data-name=\"bob\"");
  REQUIRE(row != std::string::npos);
  const std::string bobRow = page.body.substr(row, page.body.find("</tr>", row) - row);
  CHECK(bobRow.find("<td data-label=\"WireGuard\" class=\"meta\"><div>AAAAAAAA&#8230;</div>"
                    "<div>port 41000</div><div>LAN 192.168.1.10</div>"
                    "<div>public 127.0.0.1</div></td>") != std::string::npos);
  // alice has no key: a dash.
  const auto aliceRow = page.body.find("<tr data-name=\"alice\"");
  REQUIRE(aliceRow != std::string::npos);
  CHECK(page.body.find("<td data-label=\"WireGuard\" class=\"meta\">&#8212;</td>", aliceRow) <
        page.body.find("</tr>", aliceRow));
}

TEST_CASE("Watch: with PostgreSQL a change made on another replica wakes the watch",
          "[api][watch][postgres][serial]") {
  PostgresServer pg;
  const bool started = pg.start();
  INFO(pg.log());
  REQUIRE(started);
  const std::string config = std::string("[Store]\nbackend = postgresql\npostgresql = ") +
                             pg.conninfo() + "\n" + kMeshUsers;
  ApiInstance one(config);
  ApiInstance two(config);
  REQUIRE(one.start());
  REQUIRE(two.start());
  REQUIRE(get(one, "/set", "bob", "hunter2").status == 200);
  const auto before = hosts(one, "alice");
  REQUIRE(names(before.body) == std::set<std::string>{"bob"});
  auto held = watch(one, "alice", versionOf(before), 30);
  settle();
  // bob's new address and key, written through the other replica.
  REQUIRE(requestFrom("127.0.0.2", two.port(), "GET", "/set?wg_public_key=" + kWgKey,
                      basicAuth("bob", "hunter2"))
              .status == 200);
  const auto woken = held.get();
  REQUIRE(woken.status == 200);
  CHECK(fieldOf(woken, "bob", "ipv4") == "127.0.0.2");
  // A change on this replica wakes it too, and only once (its own notice is not counted).
  const std::string v = versionOf(woken);
  auto again = watch(one, "alice", v, 30);
  settle();
  REQUIRE(get(one, "/set", "bob", "hunter2").status == 200);
  const auto local = again.get();
  REQUIRE(local.status == 200);
  auto quiet = watch(one, "alice", versionOf(local), 2, std::chrono::seconds(10));
  const auto stillQuiet = quiet.get();
  CHECK(stillQuiet.status == 304);
  // Notices carry many names ("<tag> <name> <name> ...", api/pg_store_wake.hpp): a name
  // anywhere in one wakes its watchers, names alice does not see leave her watch waiting,
  // and a notice of a replica's tag alone (names it could not list) wakes every watch.
  const auto notify = [&pg](const std::string& payload) {
    pg.psql("NOTIFY chipmunk_records, '" + payload + "'");
  };
  auto others = watch(one, "alice", versionOf(local), 2, std::chrono::seconds(10));
  settle();
  notify("beef carol dave");
  CHECK(others.get().status == 304);
  auto among = watch(one, "alice", versionOf(local), 30);
  settle();
  notify("beef carol bob dave");
  const auto found = among.get();
  CHECK(found.status == 200);
  auto anything = watch(one, "alice", versionOf(found), 30);
  settle();
  notify("beef");
  CHECK(anything.get().status == 200);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
