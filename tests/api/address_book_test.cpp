// SPDX-License-Identifier: MIT
// The address book against the real chipmunk-api binary: who may read and write which
// record, /set metadata validation, the /hosts JSON, the page, record expiry and hooks.
#include <signal.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/api_instance.hpp"
#include "tests/support/raw_http.hpp"

using namespace chipmunk::test;

namespace {

const char* const kUsers =
    "[Users]\nalice = secret\nbob = hunter2\nadmin = root-pw\n"
    "[Hosts]\nnas.example.org = alice\n"
    "[Access]\nread_all = admin\n";

const std::string kAgent = "User-Agent: chipmunk-test/1.0\r\n";
// 32 bytes of zeros as a WireGuard key.
const std::string kWgKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

HttpResponse get(const ApiInstance& api, const std::string& path, const std::string& user,
                 const std::string& password) {
  return httpRequest(api.port(), "GET", path, basicAuth(user, password));
}

std::set<std::string> names(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  std::set<std::string> out;
  if (doc.HasParseError() || !doc.IsArray()) {
    out.insert("<not a JSON array>");
    return out;
  }
  for (const auto& r : doc.GetArray()) {
    out.insert(r["name"].GetString());
  }
  return out;
}

std::vector<std::string> lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(readFile(path));
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// A hook that appends its CHIPMUNK_* environment as one line to <dir>/hooks.txt.
std::string writeRecordingHook(const ApiInstance& api) {
  const std::string script = api.dir().file("hook.sh");
  writeFile(script,
            "printf '%s|%s|%s|%s|%s|%s|%s|%s|%s\\n' \"$CHIPMUNK_EVENT\" \"$CHIPMUNK_USER\" "
            "\"$CHIPMUNK_HOST\" \"$CHIPMUNK_OLD_IP\" \"$CHIPMUNK_NEW_IP\" \"$CHIPMUNK_OLD_IPV4\" "
            "\"$CHIPMUNK_NEW_IPV4\" \"$CHIPMUNK_OLD_IPV6\" \"$CHIPMUNK_NEW_IPV6\" >> " +
                api.dir().file("hooks.txt") + "\n");
  return "sh " + script;
}

}  // namespace

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

TEST_CASE("Address book: set validates metadata", "[api][addressbook]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  const std::string good = "/set?wg_public_key=" + kWgKey +
                           "&wg_listen_port=51820&lan_ip=192.168.1.10"
                           "&gateway_mac=00:11:22:aa:bb:cc&note=rack%202";
  REQUIRE(get(api, good, "alice", "secret").status == 200);
  const std::string stored = get(api, "/hosts/alice", "alice", "secret").body;
  CHECK(stored.find("\"wg_public_key\":\"" + kWgKey + "\"") != std::string::npos);
  CHECK(stored.find("\"wg_listen_port\":\"51820\"") != std::string::npos);
  CHECK(stored.find("\"lan_ip\":\"192.168.1.10\"") != std::string::npos);
  CHECK(stored.find("\"gateway_mac\":\"00:11:22:aa:bb:cc\"") != std::string::npos);
  CHECK(stored.find("\"note\":\"rack 2\"") != std::string::npos);

  std::string manyFields = "/set?";
  for (int i = 0; i < 17; ++i) {
    manyFields += "f" + std::to_string(i) + "=x&";
  }
  for (const std::string& bad : std::vector<std::string>{
           "/set?color=red", "/set?note=" + std::string(101, 'n'), "/set?note=a%01b",
           "/set?wg_public_key=abc", "/set?wg_public_key=" + kWgKey.substr(0, 40),
           "/set?wg_listen_port=0", "/set?wg_listen_port=65536", "/set?wg_listen_port=http",
           "/set?lan_ip=192.168.1", "/set?lan_ip=host.lan", "/set?gateway_mac=00-11-22-aa-bb-cc",
           "/set?gateway_mac=00:11:22:aa:bb", "/set?lan_ip=" + std::string(300, '1'), manyFields,
           "/set?ttl=forever", "/set?note=%zz"}) {
    INFO(bad.substr(0, 80));
    const auto r = get(api, bad, "alice", "secret");
    CHECK(r.status == 400);
    CHECK(r.body.rfind("Bad Request", 0) == 0);
  }
  // A form may repeat a field: more than 16 fields in all are refused.
  std::string repeated;
  for (int i = 0; i < 17; ++i) {
    repeated += "note=x&";
  }
  const auto tooMany = httpRequest(
      api.port(), "POST", "/set",
      basicAuth("alice", "secret") + "Content-Type: application/x-www-form-urlencoded\r\n",
      repeated);
  CHECK(tooMany.status == 400);
  CHECK(tooMany.body == "Bad Request: too many fields");
  // Rejected requests changed nothing (seen_seconds_ago may have ticked meanwhile).
  const auto withoutAge = [](std::string json) {
    return std::regex_replace(json, std::regex("\"seen_seconds_ago\":[0-9]+,"), "");
  };
  CHECK(withoutAge(get(api, "/hosts/alice", "alice", "secret").body) == withoutAge(stored));

  // A form POST sets metadata too; the new set replaces the old one.
  const auto post = httpRequest(
      api.port(), "POST", "/set",
      basicAuth("alice", "secret") + "Content-Type: application/x-www-form-urlencoded\r\n",
      "note=moved+to+attic&lan_ip=10.0.0.7");
  CHECK(post.status == 200);
  const std::string after = get(api, "/hosts/alice", "alice", "secret").body;
  CHECK(after.find("\"note\":\"moved to attic\"") != std::string::npos);
  CHECK(after.find("\"lan_ip\":\"10.0.0.7\"") != std::string::npos);
  CHECK(after.find("wg_public_key") == std::string::npos);
}

TEST_CASE("Address book: a repeated /set field or a NUL in one is refused, not cut short",
          "[api][addressbook]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  REQUIRE(get(api, "/set?note=before", "alice", "secret").status == 200);
  const std::string form = "Content-Type: application/x-www-form-urlencoded\r\n";
  struct Bad {
    std::string path;
    std::string body;  // a form POST when not empty
  };
  for (const Bad& bad : std::vector<Bad>{
           {"/set?note=x&note=y", ""},
           {"/set?hostname=alice&hostname=nas.example.org", ""},
           {"/set?ttl=60&ttl=120", ""},
           {"/set?note=x", "note=y"},  // the query and the form count together
           {"/set", "lan_ip=10.0.0.1&lan_ip=10.0.0.2"},
           {"/set?lan_ip=192.168.1.10%00.5", ""},
           {"/set?note=ok%00hidden", ""},
           {"/set?hostname=alice%00", ""},
           {"/set?ttl=60%00", ""},
           {"/set", "lan_ip=192.168.1.10%00.5"},
       }) {
    INFO(bad.path << " " << bad.body);
    const auto r = bad.body.empty() ? get(api, bad.path, "alice", "secret")
                                    : httpRequest(api.port(), "POST", bad.path,
                                                  basicAuth("alice", "secret") + form, bad.body);
    CHECK(r.status == 400);
    CHECK(r.body.rfind("Bad Request", 0) == 0);
  }
  const std::string stored = get(api, "/hosts/alice", "alice", "secret").body;
  CHECK(stored.find("\"note\":\"before\"") != std::string::npos);
  CHECK(stored.find("lan_ip") == std::string::npos);
  // Routes that read no field refuse a NUL in the query too.
  for (const std::string path : {"/get/ip?x=%00", "/hosts?x=a%00", "/?%00", "/healthz?%00"}) {
    INFO(path);
    CHECK(get(api, path, "alice", "secret").status == 400);
  }
  CHECK(get(api, "/get/ip?x=1&x=2", "alice", "secret").status == 200);  // fields are ignored
}

TEST_CASE("Address book: an error that repeats a field name shows only printable ASCII",
          "[api][addressbook]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  // Field names of the client's choosing: a line break with a forged line, a terminal
  // escape, bytes that are not UTF-8.
  for (const std::string path :
       {"/set?%0D%0AX-Forged:%201=a&%0D%0AX-Forged:%201=b", "/set?%1B%5B31m=a&%1B%5B31m=b",
        "/set?%FF%FE=a&%FF%FE=b", "/set?%0D%0AX-Forged=a", "/set?%E2%80%AEx=a"}) {
    INFO(path);
    const auto r = get(api, path, "alice", "secret");
    CHECK(r.status == 400);
    CHECK(r.body.rfind("Bad Request", 0) == 0);
    for (const char c : r.body) {
      const auto b = static_cast<unsigned char>(c);
      CHECK((b == '\n' || (b >= 0x20 && b < 0x7f)));
    }
    CHECK(r.body.find('\n') >= r.body.size() - 1);  // at most a final line break
  }
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

TEST_CASE("Address book: on_change runs with the old and new addresses", "[api][addressbook]") {
  ApiInstance api(kUsers);
  api.rewriteConfig(std::string(kUsers) + "[Hooks]\non_change = " + writeRecordingHook(api) + "\n");
  REQUIRE(api.start());
  const std::string hooks = api.dir().file("hooks.txt");
  auto nic = [&](const std::string& query) {
    return httpRequest(api.port(), "GET", "/nic/update?" + query,
                       basicAuth("alice", "secret") + kAgent)
        .body;
  };
  REQUIRE(nic("hostname=nas.example.org&myip=192.0.2.1") == "good 192.0.2.1\n");
  REQUIRE(waitUntil([&] { return lines(hooks).size() == 1; }, std::chrono::seconds(10)));
  REQUIRE(nic("hostname=nas.example.org&myip=192.0.2.2,2001:db8::2") ==
          "good 192.0.2.2,2001:db8::2\n");
  REQUIRE(nic("hostname=nas.example.org&myip=192.0.2.2,2001:db8::2") ==
          "nochg 192.0.2.2,2001:db8::2\n");
  REQUIRE(get(api, "/set?note=metadata-only", "bob", "hunter2").status == 200);
  REQUIRE(waitUntil([&] { return lines(hooks).size() >= 3; }, std::chrono::seconds(10)));
  // The hooks run in order; nochg and a metadata-only change would come after bob's.
  REQUIRE(get(api, "/set?note=again", "bob", "hunter2").status == 200);
  REQUIRE(nic("hostname=nas.example.org&myip=192.0.2.3") == "good 192.0.2.3\n");
  REQUIRE(waitUntil([&] { return lines(hooks).size() >= 4; }, std::chrono::seconds(10)));
  CHECK(lines(hooks) ==
        std::vector<std::string>{
            "change|alice|nas.example.org||192.0.2.1||192.0.2.1||",
            "change|alice|nas.example.org|192.0.2.1|192.0.2.2|192.0.2.1|192.0.2.2||2001:db8::2",
            "change|bob|bob||127.0.0.1||127.0.0.1||",
            "change|alice|nas.example.org|192.0.2.2|192.0.2.3|192.0.2.2|192.0.2.3|2001:db8::2|"
            "2001:db8::2"});
}

TEST_CASE("Address book: a record expires once and on_expire runs exactly once",
          "[api][addressbook]") {
  ApiInstance api(kUsers);
  const std::string hook = writeRecordingHook(api);
  api.rewriteConfig(std::string(kUsers) + "[TTL]\nalice = 2s\n[Hooks]\non_change = " + hook +
                    "\non_expire = " + hook + "\n");
  REQUIRE(api.start());
  const std::string hooks = api.dir().file("hooks.txt");
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  REQUIRE(get(api, "/set", "bob", "hunter2").status == 200);  // no TTL: never expires
  REQUIRE(fileExists(api.dataDir() + "/alice.cm"));
  REQUIRE(waitUntil([&] { return lines(hooks).size() >= 3; }, std::chrono::seconds(15)));
  // Give a second expiry every chance to happen (the check runs every second).
  CHECK_FALSE(waitUntil([&] { return lines(hooks).size() > 3; }, std::chrono::seconds(4)));
  const auto seen = lines(hooks);
  REQUIRE(seen.size() == 3);
  CHECK(seen[2] == "expire|alice|alice|127.0.0.1||127.0.0.1|||");
  CHECK_FALSE(fileExists(api.dataDir() + "/alice.cm"));
  CHECK(api.log().find("record expired name=alice owner=alice") != std::string::npos);
  const auto record = get(api, "/hosts/alice", "alice", "secret").body;
  CHECK(record.find("\"ip\":null") != std::string::npos);
  CHECK(record.find("\"expired\":true") != std::string::npos);
  CHECK(get(api, "/hosts/bob", "bob", "hunter2").body.find("\"expired\":false") !=
        std::string::npos);

  // Coming back is a change from nothing, and the record can expire again later.
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  REQUIRE(waitUntil([&] { return lines(hooks).size() >= 4; }, std::chrono::seconds(10)));
  CHECK(lines(hooks)[3] == "change|alice|alice||127.0.0.1||127.0.0.1||");
  CHECK(fileExists(api.dataDir() + "/alice.cm"));
}

TEST_CASE("Address book: a record stored before a restart still expires", "[api][addressbook]") {
  ApiInstance api(kUsers);
  const std::string hook = writeRecordingHook(api);
  api.rewriteConfig(std::string(kUsers) + "[TTL]\nalice = 4s\n[Hooks]\non_expire = " + hook + "\n");
  REQUIRE(api.start());
  REQUIRE(get(api, "/set", "alice", "secret").status == 200);
  api.stop();
  const std::string hooks = api.dir().file("hooks.txt");
  REQUIRE(lines(hooks).empty());  // stopped before the TTL ran out
  REQUIRE(api.start());
  REQUIRE(waitUntil([&] { return !lines(hooks).empty(); }, std::chrono::seconds(15)));
  CHECK(lines(hooks) == std::vector<std::string>{"expire|alice|alice|127.0.0.1||127.0.0.1|||"});
  // Once expired, a further restart does not expire it again.
  api.stop();
  REQUIRE(api.start());
  CHECK_FALSE(waitUntil([&] { return lines(hooks).size() > 1; }, std::chrono::seconds(3)));
}

TEST_CASE("Address book: a hanging hook is killed at the timeout and requests go on",
          "[api][addressbook]") {
  ApiInstance api(kUsers);
  const std::string script = api.dir().file("hang.sh");
  const std::string out = api.dir().file("hooks.txt");
  const std::string pidFile = api.dir().file("hook.pid");
  writeFile(script, "echo \"$CHIPMUNK_NEW_IP\" >> " + out +
                        "\nif [ \"$CHIPMUNK_NEW_IP\" = 192.0.2.1 ]; then echo $$ > " + pidFile +
                        "; exec sleep 300; fi\n");
  api.rewriteConfig(std::string(kUsers) + "[Hooks]\non_change = sh " + script + "\ntimeout = 1s\n");
  REQUIRE(api.start());
  auto nic = [&](const std::string& ip) {
    return httpRequest(api.port(), "GET", "/nic/update?hostname=nas.example.org&myip=" + ip,
                       basicAuth("alice", "secret") + kAgent);
  };
  REQUIRE(nic("192.0.2.1").body == "good 192.0.2.1\n");
  REQUIRE(waitUntil([&] { return fileExists(pidFile) && !readFile(pidFile).empty(); },
                    std::chrono::seconds(10)));
  const pid_t hookPid = std::stoi(readFile(pidFile));
  // While the hook hangs, requests are answered and further hooks queue.
  const auto during = nic("192.0.2.2");
  CHECK(during.status == 200);
  CHECK(during.body == "good 192.0.2.2\n");
  REQUIRE(api.waitForLog("hook timed out event=change host=nas.example.org timeout_s=1"));
  CHECK(waitUntil([&] { return ::kill(hookPid, 0) != 0; }, std::chrono::seconds(5)));
  REQUIRE(waitUntil([&] { return lines(out).size() == 2; }, std::chrono::seconds(10)));
  CHECK(lines(out) == std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
}

TEST_CASE("Address book: a failing hook is logged and does not block requests",
          "[api][addressbook]") {
  ApiInstance api(std::string(kUsers) + "[Hooks]\non_change = exit 3\n");
  REQUIRE(api.start());
  CHECK(get(api, "/set", "alice", "secret").status == 200);
  REQUIRE(api.waitForLog("hook failed event=change host=alice exit=3"));
  CHECK(get(api, "/set", "bob", "hunter2").status == 200);
  REQUIRE(api.waitForLog("hook failed event=change host=bob exit=3"));
  CHECK(api.process().running());
}

namespace {

// A request as a browser would send it, with Fetch Metadata and/or Origin headers.
HttpResponse browser(const ApiInstance& api, const std::string& method, const std::string& path,
                     const std::string& headers, const std::string& body = {}) {
  std::string extra = basicAuth("alice", "secret") + kAgent + headers;
  if (method == "POST") {
    extra += "Content-Type: application/x-www-form-urlencoded\r\n";
  }
  return httpRequest(api.port(), method, path, extra, body);
}

std::string note(const ApiInstance& api) {
  rapidjson::Document doc;
  const std::string body = get(api, "/hosts/alice", "alice", "secret").body;
  doc.Parse(body.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc["metadata"].HasMember("note")) {
    return "<no note in " + body.substr(0, 200) + ">";
  }
  return doc["metadata"]["note"].GetString();
}

}  // namespace

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

TEST_CASE("Address book: notes are valid UTF-8 without control or bidi characters",
          "[api][addressbook][utf8]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  REQUIRE(get(api, "/set?note=kept", "alice", "secret").status == 200);
  for (const std::string bad : {
           "%FF%FE",               // not UTF-8 at all
           "a%C3",                 // truncated sequence
           "%E2%98",               // truncated sequence
           "%C0%AF",               // overlong "/"
           "%E0%80%AF",            // overlong "/"
           "%ED%A0%80",            // a UTF-16 surrogate
           "%F4%90%80%80",         // above U+10FFFF
           "%80",                  // a lone continuation byte
           "abc%E2%80%AEgpj.exe",  // U+202E RIGHT-TO-LEFT OVERRIDE
           "%E2%80%AA",            // U+202A
           "%E2%81%A6x%E2%81%A9",  // U+2066 ... U+2069 isolates
           "%E2%80%8F",            // U+200F RIGHT-TO-LEFT MARK
           "%E2%80%8E",            // U+200E
           "%D8%9C",               // U+061C ARABIC LETTER MARK
           "%C2%85",               // U+0085, a C1 control
           "%C2%9B31m",            // U+009B CSI
           "a%0Ab",                // a line feed
           "a%7Fb",                // DEL
           "%E2%80%A8",            // U+2028 LINE SEPARATOR
       }) {
    INFO(bad);
    const auto r = get(api, "/set?note=" + bad, "alice", "secret");
    CHECK(r.status == 400);
    CHECK(r.body == "Bad Request: note must be at most 100 printable characters");
    const auto form = httpRequest(
        api.port(), "POST", "/set",
        basicAuth("alice", "secret") + "Content-Type: application/x-www-form-urlencoded\r\n",
        "note=" + bad);
    CHECK(form.status == 400);
  }
  CHECK(note(api) == "kept");
  // Letters, symbols and emoji of any script are fine; the limit counts characters.
  const std::string cafe = "Caf\xC3\xA9 \xE2\x98\x95 \xF0\x9F\x90\xBF";  // Café ☕ 🐿
  REQUIRE(get(api, "/set?note=Caf%C3%A9%20%E2%98%95%20%F0%9F%90%BF", "alice", "secret").status ==
          200);
  CHECK(note(api) == cafe);
  rapidjson::Document all;
  const std::string hosts = get(api, "/hosts", "alice", "secret").body;
  all.Parse<rapidjson::kParseValidateEncodingFlag>(hosts.c_str());
  CHECK_FALSE(all.HasParseError());
  CHECK(hosts.find(cafe) != std::string::npos);
  CHECK(get(api, "/", "alice", "secret").body.find("note: " + cafe) != std::string::npos);
  std::string hundred;
  for (int i = 0; i < 100; ++i) {
    hundred += "%C3%A9";  // 100 characters, 200 bytes
  }
  CHECK(get(api, "/set?note=" + hundred, "alice", "secret").status == 200);
  CHECK(get(api, "/set?note=" + hundred + "e", "alice", "secret").status == 400);
  // What the server echoes of a refused field name is printable ASCII.
  const auto unknown = get(api, "/set?%FF%E2%80%AE=1", "alice", "secret");
  CHECK(unknown.status == 400);
  CHECK(unknown.body == "Bad Request: unknown field \"????\"");
  const auto foreign = get(api, "/set?hostname=%E2%80%AEevil", "alice", "secret");
  CHECK(foreign.status == 403);
  CHECK(foreign.body == "Forbidden: alice does not own ???evil");
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

TEST_CASE("Address book: a flapping record starves no other hook and its last state is run",
          "[api][addressbook]") {
  // One user flapping myip= used to fill the hook queue (1,000 events): other users'
  // on_change events were dropped, and so was the flapping record's final state, leaving a
  // firewall allow-list stale. Pending events now coalesce per record.
  ApiInstance api(kUsers);
  const std::string gate = api.dir().file("go");
  const std::string out = api.dir().file("hooks.txt");
  const std::string script = api.dir().file("gated.sh");
  // The first run waits for the gate, so everything after it queues.
  writeFile(script, "i=0\nwhile [ ! -e " + gate +
                        " ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\n"
                        "printf '%s|%s|%s|%s\\n' \"$CHIPMUNK_EVENT\" \"$CHIPMUNK_HOST\" "
                        "\"$CHIPMUNK_OLD_IP\" \"$CHIPMUNK_NEW_IP\" >> " +
                        out + "\n");
  api.rewriteConfig(std::string(kUsers) + "[Hooks]\non_change = sh " + script +
                    "\ntimeout = 60s\n");
  REQUIRE(api.start());
  {
    HttpConnection conn("127.0.0.1", api.port(), std::chrono::seconds(10));
    const int kFlaps = 1500;
    for (int i = 0; i <= kFlaps; ++i) {
      const std::string ip = i == kFlaps ? "192.0.2.3" : (i % 2 == 0 ? "192.0.2.1" : "192.0.2.2");
      conn.sendRaw("GET /nic/update?hostname=alice&myip=" + ip + " HTTP/1.1\r\nHost: test\r\n" +
                   basicAuth("alice", "secret") + kAgent + "\r\n");
      const auto r = conn.readResponse();
      REQUIRE(r.body == "good " + ip + "\n");
      if (i == 1000) {
        REQUIRE(get(api, "/set", "bob", "hunter2").status == 200);  // in the middle
      }
    }
  }
  writeFile(gate, "");
  auto done = [&] {
    const auto seen = lines(out);
    return std::find(seen.begin(), seen.end(), "change|bob||127.0.0.1") != seen.end() &&
           std::any_of(seen.begin(), seen.end(), [](const std::string& line) {
             return line.rfind("change|alice|", 0) == 0 &&
                    line.substr(line.rfind('|') + 1) == "192.0.2.3";
           });
  };
  CHECK(waitUntil(done, std::chrono::seconds(30)));
  const auto seen = lines(out);
  // The first run (blocked on the gate), bob's change, and alice's net change since the
  // first: from the address the first run reported to the final one.
  CHECK(seen.size() == 3);
  CHECK(std::count(seen.begin(), seen.end(), "change|alice||192.0.2.1") == 1);
  CHECK(std::count(seen.begin(), seen.end(), "change|bob||127.0.0.1") == 1);
  CHECK(std::count(seen.begin(), seen.end(), "change|alice|192.0.2.1|192.0.2.3") == 1);
  std::string lastAlice;
  for (const auto& line : seen) {
    if (line.rfind("change|alice|", 0) == 0) {
      lastAlice = line;
    }
  }
  CHECK(lastAlice == "change|alice|192.0.2.1|192.0.2.3");
  CHECK(api.log().find("hook dropped") == std::string::npos);
}

TEST_CASE("Address book: lan_ip, wg_address and the caller's address must be host addresses",
          "[api][addressbook]") {
  // One rule (common/ip.hpp isPublishable, private allowed) for every address we store:
  // no unspecified, broadcast, multicast, reserved, link-local or IPv4-compatible forms.
  ApiInstance api(std::string(kUsers) +
                  "[Server]\ntrusted_proxies = 127.0.0.1\n"
                  "client_ip_header = x-real-ip\n");
  REQUIRE(api.start());
  for (const std::string& bad : std::vector<std::string>{
           "lan_ip=0.0.0.0", "lan_ip=255.255.255.255", "lan_ip=224.0.0.1", "lan_ip=ff02::1",
           "lan_ip=::", "lan_ip=240.1.2.3", "lan_ip=169.254.9.9", "lan_ip=fe80::1",
           "lan_ip=::10.0.0.1", "wg_address=0.0.0.0/0", "wg_address=224.0.0.1/32",
           "wg_address=255.255.255.255", "wg_address=ff02::1/128"}) {
    INFO(bad);
    const auto r = get(api, "/set?" + bad, "alice", "secret");
    CHECK(r.status == 400);
    CHECK(r.body.rfind("Bad Request", 0) == 0);
  }
  CHECK(get(api, "/set?lan_ip=192.168.1.10&wg_address=10.8.0.2/24", "alice", "secret").status ==
        200);
  CHECK(get(api, "/set?wg_address=fd00:8::2/64", "alice", "secret").status == 200);

  // The caller's address named by a trusted proxy goes through the same rule.
  for (const std::string ip : {"0.0.0.0", "255.255.255.255", "239.1.1.1", "ff02::1", "::"}) {
    INFO(ip);
    const auto r = httpRequest(api.port(), "GET", "/set",
                               basicAuth("bob", "hunter2") + "X-Real-IP: " + ip + "\r\n");
    CHECK(r.status == 400);
    CHECK(r.body.rfind("Bad Request", 0) == 0);
    const auto nic =
        httpRequest(api.port(), "GET", "/nic/update?hostname=bob",
                    basicAuth("bob", "hunter2") + kAgent + "X-Real-IP: " + ip + "\r\n");
    CHECK(nic.body == "dnserr\n");
  }
  CHECK_FALSE(fileExists(api.dataDir() + "/bob.cm"));
  CHECK(httpRequest(api.port(), "GET", "/set",
                    basicAuth("bob", "hunter2") + "X-Real-IP: 192.0.2.44\r\n")
            .status == 200);
  CHECK(readFile(api.dataDir() + "/bob.cm") == "192.0.2.44\n");
}
