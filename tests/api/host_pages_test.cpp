// SPDX-License-Identifier: MIT
// /hosts and the page in pages (api/host_pages.cpp, api/route_hosts.cpp) through
// ApiService::handle over a store that counts its reads: limit and cursor checks, the order
// and completeness of the pages, writes between page fetches, what a plain user's answer
// costs at 100k records, and the page's links.
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/host_pages.hpp"
#include "api/service.hpp"
#include "common/base64.hpp"
#include "tests/support/counting_store.hpp"
#include "tests/support/service_request.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::api;

std::string hostName(int i) {
  return "h" + std::to_string(100000 + i) + ".example.org";
}

// alice owns two hosts, bulk owns `bulkHosts`; admin reads everything.
config::ApiConfig makeConfig(int bulkHosts) {
  config::ApiConfig c;
  c.users = {{"alice", "alice-pw", false, "test:1"},
             {"admin", "admin-pw", false, "test:2"},
             {"bulk", "bulk-pw", false, "test:3"}};
  c.hostOwners = {{"nas.example.org", "alice"}, {"zz.example.org", "alice"}};
  for (int i = 0; i < bulkHosts; ++i) {
    c.hostOwners.emplace(hostName(i), "bulk");
  }
  c.readAll = {"admin"};
  c.maxFailedLogins = 1000000;
  return c;
}

// Every configured name has a record, and one record is nobody's.
struct Fixture {
  explicit Fixture(int bulkHosts = 20) : service(makeConfig(bulkHosts), store) {
    for (const char* name :
         {"alice", "admin", "bulk", "nas.example.org", "zz.example.org", "gone.example.org"}) {
      store->add(name, "192.0.2.1");
    }
    for (int i = 0; i < bulkHosts; ++i) {
      store->add(hostName(i), "192.0.2.2");
    }
    store->resetCounts();
  }

  Response get(const std::string& target, const std::string& user = "admin") {
    return service.handle(test::serviceRequest(target, user), true);
  }

  std::shared_ptr<test::CountingStore> store = std::make_shared<test::CountingStore>();
  ApiService service;
};

struct Page {
  std::vector<std::string> names;
  std::string next;  // empty: null
};

Page parsePage(const Response& r) {
  REQUIRE(r.code == 200);
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  REQUIRE(doc.IsObject());
  REQUIRE(doc["hosts"].IsArray());
  Page page;
  for (const auto& record : doc["hosts"].GetArray()) {
    page.names.push_back(record["name"].GetString());
  }
  REQUIRE((doc["next"].IsNull() || doc["next"].IsString()));
  page.next = doc["next"].IsString() ? doc["next"].GetString() : "";
  return page;
}

// Follows `next` from the first page; the names in the order served.
std::vector<std::string> readAllPages(Fixture& f, int limit, const std::string& user,
                                      const std::function<void(int)>& between = {}) {
  std::vector<std::string> seen;
  std::string cursor;
  for (int fetch = 0; fetch < 10000; ++fetch) {
    const auto r =
        f.get("/hosts?limit=" + std::to_string(limit) + (cursor.empty() ? "" : "&cursor=" + cursor),
              user);
    const Page page = parsePage(r);
    CHECK(page.names.size() <= static_cast<size_t>(limit));
    seen.insert(seen.end(), page.names.begin(), page.names.end());
    const bool linked =
        r.extraHeaders.find("Link: </hosts?limit=" + std::to_string(limit) +
                            "&cursor=" + page.next + ">; rel=\"next\"") != std::string::npos;
    CHECK(linked == !page.next.empty());
    if (page.next.empty()) {
      break;
    }
    cursor = page.next;
    if (between) {
      between(fetch);
    }
  }
  return seen;
}

TEST_CASE("Hosts pages: a cursor round-trips and a tampered one is refused", "[api][unit]") {
  for (const std::string name : {"alice", "nas.example.org", "a", "x-1.b.c"}) {
    INFO(name);
    const std::string cursor = encodeCursor(name);
    CHECK(cursor.find_first_of("+/=&?%") == std::string::npos);
    CHECK(decodeCursor(cursor) == name);
  }
  const std::string good = encodeCursor("nas.example.org");
  for (const std::string& bad :
       {std::string(), std::string("!!!!"), good + "=", good.substr(1), good + "A",
        base64Encode("n1:alice") /* padded */, base64Encode("n2:alice"), std::string(600, 'A'),
        encodeCursor("bad name") /* not a user or host name */, encodeCursor(""),
        std::string("\xff\xfe"), std::string("bjE6YWxpY2U\0", 12)}) {
    INFO(bad);
    CHECK_FALSE(decodeCursor(bad).has_value());
  }
}

TEST_CASE("Hosts pages: a bad limit or cursor is a 400, never a crash", "[api][unit]") {
  Fixture f;
  for (const std::string& query : std::vector<std::string>{
           "limit=0", "limit=1001", "limit=-1", "limit=abc", "limit=", "limit=1e3", "limit=%201",
           "limit=99999999999999999999", "limit=5&limit=6", "cursor=", "cursor=%FF%FE",
           "cursor=bm9wZQ", "cursor=" + encodeCursor("a") + "&cursor=" + encodeCursor("b"),
           "cursor=" + std::string(5000, 'Q')}) {
    INFO(query);
    for (const std::string path : {"/hosts?", "/?"}) {
      const auto r = f.get(path + query);
      CHECK(r.code == 400);
      CHECK(r.body.rfind("Bad Request: ", 0) == 0);
    }
  }
  CHECK(f.get("/?back=garbage").code == 400);
  CHECK(f.get("/hosts?limit=1000").code == 200);
  CHECK(f.get("/hosts?limit=1").code == 200);
  CHECK(f.get("/hosts?unrelated=1").code == 200);
  // /hosts/<name> takes no page.
  CHECK(f.get("/hosts/alice?limit=0").code == 200);
}

TEST_CASE("Hosts pages: an admin pages through every configured record once, in name order",
          "[api][unit]") {
  Fixture f(250);
  const auto first = parsePage(f.get("/hosts"));
  CHECK(first.names.size() == kDefaultPageLimit);
  CHECK_FALSE(first.next.empty());
  for (const int limit : {1, 7, 100, 1000}) {
    INFO(limit);
    const auto seen = readAllPages(f, limit, "admin");
    CHECK(seen.size() == 255);  // 250 + alice, admin, bulk and alice's two hosts
    CHECK(std::is_sorted(seen.begin(), seen.end()));
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == seen.size());
    CHECK(std::find(seen.begin(), seen.end(), "gone.example.org") == seen.end());
  }
  CHECK(f.store->lists == 0);
}

TEST_CASE("Hosts pages: records written between page fetches are neither skipped nor repeated",
          "[api][unit]") {
  Fixture f(300);
  std::set<std::string> expected;
  for (const auto& name : readAllPages(f, 1000, "admin")) {
    expected.insert(name);
  }
  REQUIRE(expected.size() == 305);
  // Between every two pages: every record changes its address (some before the cursor,
  // some after) and a record is rewritten with every field (as a migrate would).
  const auto seen = readAllPages(f, 9, "admin", [&](int fetch) {
    for (const auto& name : expected) {
      f.store->recordIp(name, *IpAddress::parse(fetch % 2 ? "198.51.100.1" : "198.51.100.2"),
                        1700000000 + fetch);
    }
    f.store->add(hostName(fetch % 300), "203.0.113.9");
  });
  CHECK(seen.size() == expected.size());
  CHECK(std::set<std::string>(seen.begin(), seen.end()) == expected);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
}

TEST_CASE("Hosts pages: a plain user sees only their own names, page by page", "[api][unit]") {
  Fixture f(50);
  const std::vector<std::string> mine{"alice", "nas.example.org", "zz.example.org"};
  CHECK(readAllPages(f, 1, "alice") == mine);
  CHECK(readAllPages(f, 100, "alice") == mine);
  CHECK(parsePage(f.get("/hosts?cursor=" + encodeCursor("m"), "alice")).names ==
        std::vector<std::string>{"nas.example.org", "zz.example.org"});
  CHECK(parsePage(f.get("/hosts", "bulk")).names.size() == 51);
}

TEST_CASE("Hosts pages: a plain user's answer at 100k records reads only their own records",
          "[api][unit]") {
  Fixture f(100000);
  const auto page = parsePage(f.get("/hosts", "alice"));
  CHECK(page.names.size() == 3);
  CHECK(f.store->gets == 3);  // one per name alice owns
  CHECK(f.store->lists == 0);
  CHECK(f.store->listedAfter == 0);
  f.store->resetCounts();
  CHECK(f.get("/hosts/nas.example.org", "alice").code == 200);
  CHECK(f.store->gets == 1);
  f.store->resetCounts();
  // An admin's first page reads one page (plus the one record that tells a next page is
  // there), not the store.
  CHECK(parsePage(f.get("/hosts?limit=10")).names.size() == 10);
  CHECK(f.store->lists == 0);
  CHECK(f.store->listedAfter <= 64);
  f.store->resetCounts();
  CHECK(f.get("/").code == 200);
  CHECK(f.store->lists == 0);
  // One page and the record telling a next page is there, plus one batch of 64 for the
  // record nobody owns (gone.example.org) that the page skipped.
  CHECK(f.store->listedAfter <= static_cast<long>(kDefaultPageLimit) + 1 + 64);
}

TEST_CASE("Address book page: links to the first, previous and next pages", "[api][unit]") {
  Fixture f(3);  // admin reads 8 records: 3 pages of 3
  const auto one = f.get("/?limit=3");
  REQUIRE(one.code == 200);
  CHECK(one.body.find("3 hosts on this page") != std::string::npos);
  CHECK(one.body.find("rel=\"first\"") == std::string::npos);
  CHECK(one.body.find("rel=\"prev\"") == std::string::npos);
  const std::string c1 = encodeCursor("bulk");
  const std::string toTwo = "?limit=3&amp;cursor=" + c1 + "&amp;back=";
  REQUIRE(one.body.find("<a rel=\"next\" href=\"" + toTwo + "\">") != std::string::npos);
  CHECK(one.body.find("const PAGE_QUERY = \"limit=3\";") != std::string::npos);

  const auto two = f.get("/?limit=3&cursor=" + c1 + "&back=");
  REQUIRE(two.code == 200);
  CHECK(two.body.find("<tr data-name=\"h100000.example.org\"") != std::string::npos);
  CHECK(two.body.find("<tr data-name=\"bulk\"") == std::string::npos);
  CHECK(two.body.find("<a rel=\"first\" href=\"?limit=3\">") != std::string::npos);
  CHECK(two.body.find("rel=\"prev\"") == std::string::npos);  // the previous is the first
  CHECK(two.body.find("const PAGE_QUERY = \"limit=3&cursor=" + c1 + "\";") != std::string::npos);
  const std::string c2 = encodeCursor("h100002.example.org");
  REQUIRE(two.body.find("<a rel=\"next\" href=\"?limit=3&amp;cursor=" + c2 + "&amp;back=" + c1 +
                        "\">") != std::string::npos);

  const auto three = f.get("/?limit=3&cursor=" + c2 + "&back=" + c1);
  REQUIRE(three.code == 200);
  CHECK(three.body.find("2 hosts on this page") != std::string::npos);
  CHECK(three.body.find("<a rel=\"prev\" href=\"?limit=3&amp;cursor=" + c1 + "\">") !=
        std::string::npos);
  CHECK(three.body.find("rel=\"next\"") == std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
