// SPDX-License-Identifier: MIT
// /set (api/route_set.cpp) against the real chipmunk-api binary: metadata validation,
// repeated fields and NULs, what an error echoes, notes, and the addresses it accepts.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/api/address_book_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::addressbook;

TEST_CASE("Address book: set validates metadata", "[api][addressbook]") {
  ApiInstance api(kUsers);
  REQUIRE(api.start());
  const std::string good = "/set?wg_public_key=" + kWgKey +
                           "&wg_listen_port=51820&wg_public_port=41000&lan_ip=192.168.1.10"
                           "&gateway_mac=00:11:22:aa:bb:cc&note=rack%202";
  REQUIRE(get(api, good, "alice", "secret").status == 200);
  const std::string stored = get(api, "/hosts/alice", "alice", "secret").body;
  CHECK(stored.find("\"wg_public_key\":\"" + kWgKey + "\"") != std::string::npos);
  CHECK(stored.find("\"wg_listen_port\":\"51820\"") != std::string::npos);
  CHECK(stored.find("\"wg_public_port\":\"41000\"") != std::string::npos);
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
           "/set?wg_public_port=0", "/set?wg_public_port=65536", "/set?wg_public_port=1x",
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

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
