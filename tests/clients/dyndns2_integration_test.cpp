// SPDX-License-Identifier: MIT
// The dyndns2 endpoint (/nic/update, /v3/update) against the real chipmunk-api binary: one
// test per return code, plus the rules clients depend on (status codes, request order,
// ignored parameters, the caller's address when myip is absent).
// Protocol: https://help.dyn.com/remote-access-api/perform-update/ and
// https://help.dyn.com/remote-access-api/return-codes/
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "tests/support/api_instance.hpp"
#include "tests/support/raw_http.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;

const char* const kConfig =
    "[Users]\nalice = secret\nbob = hunter2\n"
    "[Hosts]\nhome.example.org = alice\nnas.example.org = alice\nbox.example.org = bob\n"
    "[DynDNS]\nmax_hosts = 3\nabuse_nochg_limit = 3\nabuse_window = 1h\nabuse_block = 1h\n";

const std::string kAgent = "User-Agent: chipmunk-test/1.0\r\n";

HttpResponse nic(const ApiInstance& api, const std::string& query,
                 const std::string& user = "alice", const std::string& password = "secret",
                 const std::string& path = "/nic/update") {
  return httpRequest(api.port(), "GET", path + "?" + query, basicAuth(user, password) + kAgent);
}

// What no dyndns2 answer may ever be: a client would take it for success or back off wrongly.
void checkDyndnsRules(const HttpResponse& r) {
  INFO("status " << r.status << " body " << r.body);
  CHECK(r.status != 204);
  CHECK(r.status != 429);
  if (r.status != 200) {
    CHECK(r.body.find("good") == std::string::npos);
    CHECK(r.body.find("OK") == std::string::npos);
  }
}

// The dyndns2 rules, then the status and body expected.
void checkAnswer(const HttpResponse& r, int status, const std::string& body) {
  checkDyndnsRules(r);
  CHECK(r.status == status);
  CHECK(r.body == body);
}

std::string hostsJson(const ApiInstance& api, const std::string& name) {
  return httpRequest(api.port(), "GET", "/hosts/" + name, basicAuth("alice", "secret")).body;
}

TEST_CASE("Dyndns2: good with the address from myip", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  const auto r = nic(api, "hostname=home.example.org&myip=192.0.2.10");
  checkDyndnsRules(r);
  CHECK(r.status == 200);
  CHECK(r.header("content-type").rfind("text/plain", 0) == 0);
  CHECK(r.body == "good 192.0.2.10\n");
  CHECK(hostsJson(api, "home.example.org").find("\"ipv4\":\"192.0.2.10\"") != std::string::npos);
}

TEST_CASE("Dyndns2: nochg when the address is the same", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  REQUIRE(nic(api, "hostname=home.example.org&myip=192.0.2.10").body == "good 192.0.2.10\n");
  const auto r = nic(api, "hostname=home.example.org&myip=192.0.2.10");
  checkAnswer(r, 200, "nochg 192.0.2.10\n");
}

TEST_CASE("Dyndns2: one line per host in request order", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  REQUIRE(nic(api, "hostname=nas.example.org&myip=192.0.2.20").status == 200);
  const auto r = nic(api,
                     "hostname=home.example.org,nas.example.org,box.example.org,bad_name&"
                     "myip=192.0.2.20");
  checkDyndnsRules(r);
  CHECK(r.status == 200);
  // max_hosts = 3, so four names are numhost: ask again with three.
  CHECK(r.body == "numhost\n");
  const auto three =
      nic(api, "hostname=home.example.org,nas.example.org,box.example.org&myip=192.0.2.20");
  CHECK(three.status == 200);
  CHECK(three.body == "good 192.0.2.20\nnochg 192.0.2.20\nnohost\n");
}

TEST_CASE("Dyndns2: badauth with 401 for a wrong or missing password", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  const auto wrong = nic(api, "hostname=home.example.org&myip=192.0.2.10", "alice", "nope");
  checkDyndnsRules(wrong);
  CHECK(wrong.status == 401);
  CHECK(wrong.body == "badauth\n");
  CHECK(wrong.header("www-authenticate").find("Basic") != std::string::npos);
  const auto none = httpRequest(api.port(), "GET", "/v3/update?hostname=home.example.org", kAgent);
  checkDyndnsRules(none);
  CHECK(none.status == 401);
  CHECK(none.body == "badauth\n");
  CHECK(hostsJson(api, "home.example.org") == "Not Found");
}

TEST_CASE("Dyndns2: notfqdn for a missing or malformed host name", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  for (const std::string query :
       {"myip=192.0.2.10", "hostname=&myip=192.0.2.10", "hostname=not_a_name&myip=192.0.2.10",
        "hostname=-bad.example.org&myip=192.0.2.10",
        "hostname=home.example.org.&myip=192.0.2.10"}) {
    INFO(query);
    const auto r = nic(api, query);
    checkAnswer(r, 200, "notfqdn\n");
  }
}

TEST_CASE("Dyndns2: nohost for a name the user does not own", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  for (const std::string host : {"box.example.org", "unknown.example.org", "bob"}) {
    INFO(host);
    const auto r = nic(api, "hostname=" + host + "&myip=192.0.2.10");
    checkAnswer(r, 200, (host == "bob" ? "notfqdn\n" : "nohost\n"));
  }
  CHECK(httpRequest(api.port(), "GET", "/hosts/box.example.org", basicAuth("bob", "hunter2"))
            .status == 404);
}

TEST_CASE("Dyndns2: numhost for more names than max_hosts", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  const auto r = nic(api, "hostname=a.example.org,b.example.org,c.example.org,d.example.org");
  checkAnswer(r, 200, "numhost\n");
}

TEST_CASE("Dyndns2: abuse after abuse_nochg_limit nochg answers", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  const std::string q = "hostname=home.example.org&myip=192.0.2.10";
  CHECK(nic(api, q).body == "good 192.0.2.10\n");
  for (int i = 0; i < 3; ++i) {
    CHECK(nic(api, q).body == "nochg 192.0.2.10\n");
  }
  for (const std::string& query : {q, std::string("hostname=home.example.org&myip=192.0.2.11")}) {
    const auto r = nic(api, query);
    checkAnswer(r, 200, "abuse\n");
  }
  // The block is per host: another host of the same user still updates.
  CHECK(nic(api, "hostname=nas.example.org&myip=192.0.2.10").body == "good 192.0.2.10\n");
  // A blocked host was not changed.
  CHECK(hostsJson(api, "home.example.org").find("192.0.2.11") == std::string::npos);
}

TEST_CASE("Dyndns2: a host named several times in one request is updated and counted once",
          "[clients][dyndns2]") {
  // The defaults: max_hosts = 20, abuse_nochg_limit = 10.
  ApiInstance api(
      "[Users]\nalice = secret\n[Hosts]\nhome.example.org = alice\n"
      "nas.example.org = alice\n");
  REQUIRE(api.start());
  std::string eleven = "home.example.org";
  for (int i = 0; i < 10; ++i) {
    eleven += i % 2 == 0 ? ",HOME.example.org" : ",home.example.org";
  }
  const auto first = nic(api, "hostname=" + eleven + "&myip=192.0.2.10");
  checkDyndnsRules(first);
  CHECK(first.status == 200);
  // One line per name given, in order; the duplicates share the first one's answer.
  std::string elevenGood;
  for (int i = 0; i < 11; ++i) {
    elevenGood += "good 192.0.2.10\n";
  }
  CHECK(first.body == elevenGood);
  // The duplicates were no nochg answers: the host is not blocked...
  CHECK(nic(api, "hostname=home.example.org&myip=192.0.2.10").body == "nochg 192.0.2.10\n");
  CHECK(nic(api, "hostname=home.example.org&myip=192.0.2.11").body == "good 192.0.2.11\n");
  // ... and one request naming it twice with the same address counts one nochg.
  for (int i = 0; i < 8; ++i) {
    INFO(i);
    CHECK(nic(api, "hostname=home.example.org,home.example.org,nas.example.org&myip=192.0.2.11")
              .body == (i == 0 ? "nochg 192.0.2.11\nnochg 192.0.2.11\ngood 192.0.2.11\n"
                               : "nochg 192.0.2.11\nnochg 192.0.2.11\nnochg 192.0.2.11\n"));
  }
  // 1 + 8 nochg so far: the tenth blocks the host, the eleventh is answered abuse.
  CHECK(nic(api, "hostname=home.example.org&myip=192.0.2.11").body == "nochg 192.0.2.11\n");
  CHECK(nic(api, "hostname=home.example.org,home.example.org&myip=192.0.2.11").body ==
        "abuse\nabuse\n");
}

TEST_CASE("Dyndns2: badagent without a User-Agent, and with a 405 for other methods",
          "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  const auto noAgent = httpRequest(api.port(), "GET", "/nic/update?hostname=home.example.org",
                                   basicAuth("alice", "secret"));
  checkDyndnsRules(noAgent);
  CHECK(noAgent.status == 200);
  CHECK(noAgent.body == "badagent\n");
  for (const std::string method : {"POST", "PUT", "DELETE"}) {
    INFO(method);
    const auto r = httpRequest(api.port(), method, "/nic/update?hostname=home.example.org",
                               basicAuth("alice", "secret") + kAgent);
    checkDyndnsRules(r);
    CHECK(r.status == 405);
    CHECK(r.header("allow") == "GET");
    CHECK(r.body == "badagent\n");
  }
  CHECK(hostsJson(api, "home.example.org") == "Not Found");
}

TEST_CASE("Dyndns2: dnserr for an unusable myip", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  for (const std::string ip : {"999.1.1.1", "0.0.0.0", "224.0.0.1", "ff02::1", "::", "nonsense"}) {
    INFO(ip);
    const auto r = nic(api, "hostname=home.example.org&myip=" + ip);
    checkAnswer(r, 200, "dnserr\n");
  }
}

TEST_CASE("Dyndns2: two addresses of one family are dnserr, one of each is good",
          "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  for (const std::string query :
       {"myip=192.0.2.1,192.0.2.2", "myip=2001:db8::1,2001:db8::2",
        "myip=192.0.2.1&myipv6=192.0.2.2", "myip=192.0.2.1,2001:db8::1&myipv6=2001:db8::2",
        "myip=192.0.2.1&myip=192.0.2.2", "myip=192.0.2.1&myip=2001:db8::1",
        "myipv6=2001:db8::1&myipv6=2001:db8::2"}) {
    INFO(query);
    const auto r = nic(api, "hostname=home.example.org&" + query);
    checkAnswer(r, 200, "dnserr\n");
  }
  // Nothing was stored by any of them.
  CHECK(hostsJson(api, "home.example.org") == "Not Found");
  // One address of each family is an update of both.
  CHECK(nic(api, "hostname=home.example.org&myip=192.0.2.3,2001:db8::3").body ==
        "good 192.0.2.3,2001:db8::3\n");
  CHECK(nic(api, "hostname=home.example.org&myip=192.0.2.4&myipv6=2001:db8::4").body ==
        "good 192.0.2.4,2001:db8::4\n");
}

TEST_CASE("Dyndns2: a repeated hostname or a NUL in the query is notfqdn", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  for (const std::string query :
       {"hostname=home.example.org&hostname=nas.example.org&myip=192.0.2.5",
        "hostname=home.example.org&myip=192.0.2.5&hostname=home.example.org",
        "hostname=home.example.org%00.evil&myip=192.0.2.5",
        "hostname=home.example.org&myip=192.0.2.5%00.9",
        "hostname=home.example.org&myip=192.0.2.5&system=dyn%00dns"}) {
    INFO(query);
    const auto r = nic(api, query);
    checkAnswer(r, 200, "notfqdn\n");
  }
  CHECK(hostsJson(api, "home.example.org") == "Not Found");
  CHECK(hostsJson(api, "nas.example.org") == "Not Found");
  // Several hosts go in one comma-separated hostname, as clients send them.
  CHECK(nic(api, "hostname=home.example.org,nas.example.org&myip=192.0.2.5").body ==
        "good 192.0.2.5\ngood 192.0.2.5\n");
}

TEST_CASE("Dyndns2: 911 with a 503 when the record cannot be stored", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  // A directory where the record's address file goes makes the durable write fail (this
  // works as root too, unlike file permissions).
  REQUIRE(::mkdir((api.dataDir() + "/home.example.org.cm").c_str(), 0755) == 0);
  REQUIRE(api.start());
  const auto r = nic(api, "hostname=nas.example.org,home.example.org&myip=192.0.2.30");
  checkAnswer(r, 503, "911\n911\n");
  CHECK(r.header("retry-after") == "5");
  CHECK(api.log().find("record write failed name=home.example.org") != std::string::npos);
  // The host that was stored answers nochg on the retry.
  CHECK(nic(api, "hostname=nas.example.org&myip=192.0.2.30").body == "nochg 192.0.2.30\n");
}

TEST_CASE("Dyndns2: without myip the caller's address is used", "[clients][dyndns2]") {
  const std::string forwarded = "X-Forwarded-For: 198.51.100.7\r\n";
  ApiInstance direct(kConfig);
  REQUIRE(direct.start());
  // 127.0.0.1 is no trusted proxy here: its X-Forwarded-For is ignored.
  CHECK(httpRequest(direct.port(), "GET", "/nic/update?hostname=home.example.org",
                    basicAuth("alice", "secret") + kAgent + forwarded)
            .body == "good 127.0.0.1\n");
  ApiInstance proxied(std::string(kConfig) + "[Server]\ntrusted_proxies = 127.0.0.1\n");
  REQUIRE(proxied.start());
  // Behind a trusted proxy, X-Forwarded-For names the client.
  CHECK(httpRequest(proxied.port(), "GET", "/nic/update?hostname=home.example.org",
                    basicAuth("alice", "secret") + kAgent + forwarded)
            .body == "good 198.51.100.7\n");
}

TEST_CASE("Dyndns2: myip with both families and myipv6", "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  const auto both = nic(api, "hostname=home.example.org&myip=192.0.2.40,2001:db8::40");
  CHECK(both.status == 200);
  CHECK(both.body == "good 192.0.2.40,2001:db8::40\n");
  const auto json = hostsJson(api, "home.example.org");
  CHECK(json.find("\"ipv4\":\"192.0.2.40\"") != std::string::npos);
  CHECK(json.find("\"ipv6\":\"2001:db8::40\"") != std::string::npos);
  const auto v6 = nic(api, "hostname=nas.example.org&myip=192.0.2.41&myipv6=2001:db8::41");
  CHECK(v6.body == "good 192.0.2.41,2001:db8::41\n");
  const auto onlyV6 = nic(api, "hostname=nas.example.org&myipv6=2001:db8::42");
  // The answer names the addresses of this update; the record keeps its IPv4.
  CHECK(onlyV6.body == "good 2001:db8::42\n");
  const auto nas = hostsJson(api, "nas.example.org");
  CHECK(nas.find("\"ipv4\":\"192.0.2.41\"") != std::string::npos);
  CHECK(nas.find("\"ipv6\":\"2001:db8::42\"") != std::string::npos);
  // Empty values (ddclient sends myip= when it has none) count as absent.
  CHECK(nic(api, "hostname=home.example.org&myip=&myipv6=").body == "good 127.0.0.1\n");
}

TEST_CASE("Dyndns2: system offline wildcard mx and backmx are accepted and ignored",
          "[clients][dyndns2]") {
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  const auto r = nic(api,
                     "system=dyndns&hostname=home.example.org&myip=192.0.2.50&wildcard=ON&"
                     "mx=mail.example.org&backmx=YES&offline=NO",
                     "alice", "secret", "/v3/update");
  CHECK(r.status == 200);
  CHECK(r.body == "good 192.0.2.50\n");
}

TEST_CASE("Dyndns2: error answers carry no success words", "[clients][dyndns2]") {
  ApiInstance api(std::string(kConfig) +
                  "[Limits]\nmax_failed_logins = 2\nmax_request_size = 2048\n");
  REQUIRE(api.start());
  // 404 and 405 next to the endpoint, a malformed request, an oversized one.
  checkDyndnsRules(httpRequest(api.port(), "GET", "/nic/updates?hostname=home.example.org",
                               basicAuth("alice", "secret") + kAgent));
  checkDyndnsRules(httpRequest(api.port(), "GET", "/nic/update?hostname=%zz",
                               basicAuth("alice", "secret") + kAgent));
  checkDyndnsRules(httpRequest(api.port(), "GET", "/nic/update?hostname=" + std::string(3000, 'a'),
                               basicAuth("alice", "secret") + kAgent));
  // Failed logins lock the client out: a dyndns2 client then gets abuse, never a 429.
  for (int i = 0; i < 2; ++i) {
    const auto bad = nic(api, "hostname=home.example.org", "alice", "wrong");
    checkDyndnsRules(bad);
    CHECK(bad.body == "badauth\n");
  }
  const auto locked = nic(api, "hostname=home.example.org&myip=192.0.2.60");
  checkDyndnsRules(locked);
  CHECK(locked.status == 200);
  CHECK(locked.body == "abuse\n");
}

TEST_CASE("Dyndns2: dnserr for addresses no host can have", "[clients][dyndns2]") {
  // The one rule of common/ip.hpp (isPublishable with private addresses allowed): besides
  // unspecified and multicast, the limited broadcast, reserved 240/4, "this network",
  // link-local, IPv4-compatible IPv6 and the discard prefix are refused; private,
  // documentation and loopback addresses are a LAN's business and stay accepted.
  ApiInstance api(kConfig);
  REQUIRE(api.start());
  for (const std::string ip :
       {"255.255.255.255", "240.0.0.1", "0.1.2.3", "169.254.1.1", "fe80::1", "::1.2.3.4",
        "::0.0.0.2", "100::1", "ff05::2", "::ffff:0.0.0.0", "192.0.2.9,224.0.0.5"}) {
    INFO(ip);
    const auto r = nic(api, "hostname=home.example.org&myip=" + ip);
    checkAnswer(r, 200, "dnserr\n");
  }
  CHECK_FALSE(fileExists(api.dataDir() + "/home.example.org.cm"));
  for (const std::string ip : {"10.1.2.3", "192.0.2.7", "fd00::7", "2001:db8::7"}) {
    INFO(ip);
    CHECK(nic(api, "hostname=home.example.org&myip=" + ip).body == "good " + ip + "\n");
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
