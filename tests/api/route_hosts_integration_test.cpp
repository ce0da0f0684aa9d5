// SPDX-License-Identifier: MIT
// /hosts and the page (api/route_hosts.cpp) against the real chipmunk-api binary: who reads
// which record, the record's fields, the page's headers, and bad text in a record file.
#include <catch2/catch.hpp>

#include "tests/api/address_book_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::addressbook;

TEST_CASE("Address book: users read their own records and read_all users read all",
          "[api][addressbook]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  REQUIRE(get(api, "/set?hostname=nas.example.org", "alice", "secret").status == 200);
  REQUIRE(get(api, "/set", "bob", "hunter2").status == 200);

  // Writing: only names one owns.
  const auto steal = get(api, "/set?hostname=nas.example.org", "bob", "hunter2");
  CHECK(steal.status == 403);
  CHECK(get(api, "/set?hostname=alice", "bob", "hunter2").status == 403);
  CHECK(get(api, "/set?hostname=other.example.org", "alice", "secret").status == 403);

  // Reading: alice sees hers, admin (read_all) sees everything.
  CHECK(names(get(api, "/hosts", "alice", "secret").body) ==
        std::set<std::string>{"alice", "nas.example.org"});
  CHECK(names(get(api, "/hosts", "bob", "hunter2").body) == std::set<std::string>{"bob"});
  CHECK(names(get(api, "/hosts", "admin", "root-pw").body) ==
        std::set<std::string>{"alice", "bob", "nas.example.org"});

  // One record: 404 for an unknown name and, alike, for one the caller may not read.
  const auto unknown = get(api, "/hosts/nobody.example.org", "alice", "secret");
  const auto foreign = get(api, "/hosts/bob", "alice", "secret");
  CHECK(unknown.status == 404);
  CHECK(foreign.status == 404);
  CHECK(foreign.body == unknown.body);
  CHECK(get(api, "/hosts/bob", "admin", "root-pw").status == 200);
  CHECK(get(api, "/hosts/NAS.Example.org", "alice", "secret").status == 200);

  CHECK(httpRequest(api.port(), "GET", "/hosts").status == 401);
  CHECK(get(api, "/hosts", "alice", "wrong").status == 401);
  CHECK(httpRequest(api.port(), "DELETE", "/hosts/alice", basicAuth("alice", "secret")).status ==
        405);
}

TEST_CASE("Address book: a record has the documented fields", "[api][addressbook]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  REQUIRE(get(api, "/set?note=office", "alice", "secret").status == 200);
  const auto r = get(api, "/hosts/alice", "alice", "secret");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  for (const char* key :
       {"name", "owner", "ip", "ipv4", "ipv6", "first_seen", "changed_at", "last_seen",
        "seen_seconds_ago", "stale", "ttl", "expired", "expired_at", "metadata"}) {
    INFO(key);
    CHECK(doc.HasMember(key));
  }
  CHECK(std::string(doc["name"].GetString()) == "alice");
  CHECK(std::string(doc["owner"].GetString()) == "alice");
  CHECK(std::string(doc["ip"].GetString()) == "127.0.0.1");
  CHECK(std::string(doc["ipv4"].GetString()) == "127.0.0.1");
  CHECK(doc["ipv6"].IsNull());
  CHECK(std::string(doc["last_seen"].GetString()).size() == 20);  // 2026-11-29T03:08:03Z
  CHECK(doc["stale"].IsFalse());
  CHECK(doc["expired"].IsFalse());
  CHECK(doc["expired_at"].IsNull());
  CHECK(std::string(doc["metadata"]["note"].GetString()) == "office");
}

TEST_CASE("Address book: the page needs credentials and loads nothing from elsewhere",
          "[api][addressbook]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  const auto anonymous = httpRequest(api.port(), "GET", "/");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.header("www-authenticate").find("Basic") != std::string::npos);
  CHECK(anonymous.body.find("<table") == std::string::npos);
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  const auto page = get(api, "/", "alice", "secret");
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(page.header("content-security-policy").find("default-src 'none'") != std::string::npos);
  CHECK(page.body.find("Chipmunk address book") != std::string::npos);
  for (const char* external : {"http://", "https://", "<link", "src=", "@import", "url("}) {
    INFO(external);
    CHECK(page.body.find(external) == std::string::npos);
  }
  CHECK(page.body.find("<tr data-name=\"alice\">") != std::string::npos);  // rendered rows

  // Metadata is text: it can neither end the page's script nor add markup.
  REQUIRE(get(api, "/set?note=%3C/script%3E%3Cb%3Ehi%3C/b%3E%26", "alice", "secret").status == 200);
  const auto hostile = get(api, "/", "alice", "secret").body;
  size_t scriptEnds = 0;
  for (size_t pos = 0; (pos = hostile.find("</script>", pos)) != std::string::npos; ++pos) {
    ++scriptEnds;
  }
  CHECK(scriptEnds == 1);
  CHECK(hostile.find("<b>hi") == std::string::npos);
  CHECK(hostile.find("note: &lt;/script&gt;&lt;b&gt;hi&lt;/b&gt;&amp;") != std::string::npos);
  CHECK(hostile.find("\\u003c/script>\\u003cb>hi\\u003c/b>&") != std::string::npos);
}

TEST_CASE("Address book: /hosts stays valid JSON when a record file holds bad text",
          "[api][addressbook][utf8]") {
  ApiInstance api(kUsers);
  // As another program, a disk error or an older version may have left it: invalid UTF-8
  // in a value and in a field name, a bidi override and a C1 control.
  writeFile(api.dataDir() + "/alice.json",
            "{\"name\":\"alice\",\"ip\":\"192.0.2.7\",\"ipv4\":\"192.0.2.7\",\"ipv6\":null,"
            "\"first_seen\":1700000000,\"changed_at\":1700000000,\"last_seen\":1700000000,"
            "\"ttl\":0,\"expired\":false,\"expired_at\":0,\"metadata\":{\"note\":\"a\xFF\xFE"
            "b\",\"lan\xC0\xAF\":\"x\",\"wg_address\":\"\xE2\x80\xAE"
            "1.2.3.4\xC2\x9B\"}}\n");
  writeFile(api.dataDir() + "/alice.cm", "192.0.2.7\n");
  REQUIRE(api.start());
  for (const std::string path : {"/hosts", "/hosts/alice"}) {
    INFO(path);
    const auto r = get(api, path, "alice", "secret");
    REQUIRE(r.status == 200);
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(r.body.c_str());
    CHECK_FALSE(doc.HasParseError());
    const std::string replacement = "\xEF\xBF\xBD";  // U+FFFD
    CHECK(r.body.find("\"note\":\"a" + replacement + replacement + "b\"") != std::string::npos);
    CHECK(r.body.find("\xE2\x80\xAE") == std::string::npos);
    CHECK(r.body.find("\xC2\x9B") == std::string::npos);
    CHECK(r.body.find("192.0.2.7") != std::string::npos);
  }
  const auto page = get(api, "/", "alice", "secret");
  CHECK(page.body.find("<tr data-name=\"alice\" class=\"stale\">") != std::string::npos);
  CHECK(page.body.find("\xFF") == std::string::npos);
  // The next write leaves valid UTF-8 on disk.
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  rapidjson::Document disk;
  const std::string stored = readFile(api.dataDir() + "/alice.json");
  disk.Parse<rapidjson::kParseValidateEncodingFlag>(stored.c_str());
  CHECK_FALSE(disk.HasParseError());
}

TEST_CASE("Address book: /hosts pages over HTTP carry next and a Link header",
          "[api][addressbook]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  for (const auto& [user, password] : {std::pair<const char*, const char*>{"alice", "secret"},
                                       {"bob", "hunter2"},
                                       {"admin", "root-pw"}}) {
    REQUIRE(get(api, "/set", user, password).status == 200);
  }
  std::vector<std::string> seen;
  std::string target = "/hosts?limit=2";
  for (int page = 0; page < 5 && !target.empty(); ++page) {
    const auto r = get(api, target, "admin", "root-pw");
    REQUIRE(r.status == 200);
    rapidjson::Document doc;
    doc.Parse(r.body.c_str());
    REQUIRE(doc.IsObject());
    for (const auto& record : doc["hosts"].GetArray()) {
      seen.push_back(record["name"].GetString());
    }
    const std::string link = r.header("link");
    if (doc["next"].IsNull()) {
      CHECK(link.empty());
      target.clear();
    } else {
      target = "/hosts?limit=2&cursor=" + std::string(doc["next"].GetString());
      CHECK(link == "<" + target + ">; rel=\"next\"");
    }
  }
  CHECK(seen == std::vector<std::string>{"admin", "alice", "bob"});
  CHECK(get(api, "/hosts?limit=0", "admin", "root-pw").status == 400);
  CHECK(get(api, "/hosts?cursor=tampered", "admin", "root-pw").status == 400);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
