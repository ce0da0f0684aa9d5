// SPDX-License-Identifier: MIT
// Who the caller is, as the real chipmunk-api binary decides it: the socket peer, unless the
// peer is a trusted proxy; only then are X-Forwarded-For, Forwarded and X-Real-IP believed.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/api/integration_helpers.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::test;
using namespace chipmunk::test::integration;

const std::string kUsers = "[Users]\nalice = secret\n";
const std::string kAlice = basicAuth("alice", "secret");

struct Seen {
  std::string text;
  std::string json;
  std::string set;
  std::string stored;
};

// What the server reports and stores for a request carrying `headers`.
Seen ask(const ApiInstance& api, const std::string& headers) {
  Seen s;
  s.text = httpRequest(api.port(), "GET", "/get/ip", kAlice + headers).body;
  s.json = httpRequest(api.port(), "GET", "/get/ip.json", kAlice + headers).body;
  s.set = httpRequest(api.port(), "POST", "/set", kAlice + headers).body;
  s.stored = readFile(api.dataDir() + "/alice.cm");
  return s;
}

void checkSeenAs(const Seen& s, const std::string& ip) {
  CHECK(s.text == "Your IP:  " + ip);
  CHECK(s.json == "{\"Client_IP\": \"" + ip + "\"}");
  CHECK(s.set.rfind("{\"Client_IP\": \"" + ip + "\", \"status\": ", 0) == 0);
  CHECK(s.stored == ip + "\n");
}

// Headers a request carries and the client address the server must see for them.
struct Expect {
  std::string headers;
  std::string ip;
};

void checkEachSeenAs(const ApiInstance& api, const std::vector<Expect>& cases) {
  for (const auto& c : cases) {
    INFO(c.headers);
    checkSeenAs(ask(api, c.headers), c.ip);
  }
}

const char* const kSpoofs[] = {
    "X-Forwarded-For: 198.51.100.7\r\n",
    "X-Forwarded-For: 198.51.100.7, 127.0.0.1\r\n",
    "X-Real-IP: 198.51.100.8\r\n",
    "Forwarded: for=198.51.100.9\r\n",
    "Forwarded: for=\"[2001:db8::9]\"\r\n",
    "X-Forwarded-For: 198.51.100.7\r\nX-Real-IP: 198.51.100.8\r\nForwarded: for=198.51.100.9\r\n",
    "X-Forwarded-For: garbage\r\n",
};

// With client_ip_header = `header` behind a trusted proxy: a request carrying all three
// headers is seen as `ip` (what `header` says), and X-Forwarded-For alone is not read.
void checkOnlyHeaderRead(const std::string& header, const std::string& ip) {
  ApiInstance api("[Server]\ntrusted_proxies = 127.0.0.1\nclient_ip_header = " + header + "\n\n" +
                  kUsers);
  REQUIRE(api.start());
  checkEachSeenAs(api, {{kSpoofs[5], ip}, {"X-Forwarded-For: 198.51.100.7\r\n", "127.0.0.1"}});
}

TEST_CASE("Integration: a client's own forwarding headers never change its address",
          "[api][integration]") {
  SECTION("no trusted proxies") {
    ApiInstance api(kUsers);
    REQUIRE(api.start());
    for (const char* spoof : kSpoofs) {
      INFO(spoof);
      checkSeenAs(ask(api, spoof), "127.0.0.1");
    }
  }
  SECTION("trusted proxies that do not include the peer") {
    ApiInstance api("[Server]\ntrusted_proxies = 10.0.0.0/8, 127.0.0.2, ::1\n\n" + kUsers);
    REQUIRE(api.start());
    for (const char* spoof : kSpoofs) {
      INFO(spoof);
      checkSeenAs(ask(api, spoof), "127.0.0.1");
    }
  }
  SECTION("every header mode") {
    for (const char* mode : {"auto", "x-forwarded-for", "x-real-ip", "forwarded"}) {
      INFO(mode);
      ApiInstance api("[Server]\nclient_ip_header = " + std::string(mode) + "\n\n" + kUsers);
      REQUIRE(api.start());
      checkSeenAs(ask(api, kSpoofs[5]), "127.0.0.1");
    }
  }
}

TEST_CASE("Integration: a trusted proxy's X-Forwarded-For is read right to left",
          "[api][integration]") {
  ApiInstance api("[Server]\ntrusted_proxies = 127.0.0.1, 10.0.0.0/8\n\n" + kUsers);
  REQUIRE(api.start());
  checkEachSeenAs(
      api, {
               // The proxy appended the address it saw; what the client claimed further left is
               // ignored.
               {"X-Forwarded-For: 203.0.113.5, 198.51.100.7\r\n", "198.51.100.7"},
               // Trusted hops (an inner proxy in 10/8) are skipped.
               {"X-Forwarded-For: 203.0.113.5, 198.51.100.20, 10.1.2.3\r\n", "198.51.100.20"},
               // Only trusted hops: the leftmost of them is the client.
               {"X-Forwarded-For: 10.9.9.9, 10.1.2.3\r\n", "10.9.9.9"},
               // Ports and IPv6, printed in RFC 5952 form; IPv4-mapped IPv6 as IPv4.
               {"X-Forwarded-For: 198.51.100.30:5555\r\n", "198.51.100.30"},
               {"X-Forwarded-For: 2001:0DB8:0000:0000:0000:0000:0000:0001\r\n", "2001:db8::1"},
               {"X-Forwarded-For: [2001:db8:0:0:1:0:0:1]:443\r\n", "2001:db8::1:0:0:1"},
               {"X-Forwarded-For: ::ffff:198.51.100.31\r\n", "198.51.100.31"},
               // A garbage entry stops the walk at the last trusted hop: nothing the client wrote.
               {"X-Forwarded-For: 198.51.100.7, garbage\r\n", "127.0.0.1"},
               // The trusted proxy's own requests without the header are its own.
               {"", "127.0.0.1"},
           });
  // A peer outside the list is still itself.
  CHECK(requestFrom("127.0.0.2", api.port(), "GET", "/get/ip",
                    kAlice + "X-Forwarded-For: 198.51.100.7\r\n")
            .body == "Your IP:  127.0.0.2");
}

TEST_CASE("Integration: a trusted proxy's Forwarded and X-Real-IP are honoured",
          "[api][integration]") {
  SECTION("auto") {
    ApiInstance api("[Server]\ntrusted_proxies = 127.0.0.1\n\n" + kUsers);
    REQUIRE(api.start());
    checkEachSeenAs(api,
                    {{"Forwarded: for=198.51.100.9;proto=https\r\n", "198.51.100.9"},
                     {"Forwarded: for=203.0.113.1, for=\"[2001:DB8::9]:4711\"\r\n", "2001:db8::9"},
                     {"X-Real-IP: 198.51.100.8\r\n", "198.51.100.8"}});
    // Headers that name different clients: one was passed on from the client; refused.
    for (const std::string path : {"/get/ip", "/get/ip.json", "/set"}) {
      INFO(path);
      const auto r = httpRequest(api.port(), "GET", path, kAlice + kSpoofs[5]);
      CHECK(r.status == 400);
      CHECK(r.body == "Bad Request: conflicting forwarding headers");
    }
  }
  SECTION("client_ip_header = x-real-ip") {
    checkOnlyHeaderRead("x-real-ip", "198.51.100.8");
  }
  SECTION("client_ip_header = forwarded") {
    checkOnlyHeaderRead("forwarded", "198.51.100.9");
  }
}

TEST_CASE(
    "Integration: with client_ip_header = auto, a header the proxy only passes on never "
    "names the client",
    "[api][integration]") {
  ApiInstance api("[Server]\ntrusted_proxies = 127.0.0.1\n\n" + kUsers);
  REQUIRE(api.start());
  // A proxy that only overwrites X-Real-IP (as docs/SECURITY.md allows) passes the client's
  // own X-Forwarded-For or Forwarded on.
  for (const std::string forged : {"X-Forwarded-For: 6.6.6.6\r\n", "Forwarded: for=6.6.6.6\r\n",
                                   "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 6.6.6.7\r\n"}) {
    INFO(forged);
    const std::string headers = "X-Real-IP: 203.0.113.7\r\n" + forged;
    const auto r = httpRequest(api.port(), "GET", "/set", kAlice + headers);
    CHECK(r.status == 400);
    CHECK_FALSE(contains(readFile(api.dataDir() + "/alice.cm"), "6.6.6"));
    CHECK_FALSE(
        contains(httpRequest(api.port(), "GET", "/get/ip", kAlice + headers).body, "6.6.6"));
  }
  // Without the client's extra header the proxy's X-Real-IP names the client.
  checkSeenAs(ask(api, "X-Real-IP: 203.0.113.7\r\n"), "203.0.113.7");
  // A proxy that only appends to X-Forwarded-For passes the client's X-Real-IP on.
  CHECK(httpRequest(api.port(), "GET", "/get/ip",
                    kAlice + "X-Real-IP: 6.6.6.6\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.8\r\n")
            .status == 400);
  // Both set alike (the shipped vhosts): believed.
  checkSeenAs(ask(api, "X-Real-IP: 203.0.113.9\r\nX-Forwarded-For: 203.0.113.9\r\n"),
              "203.0.113.9");
}

TEST_CASE(
    "Integration: repeated forwarding header lines are one list, and the client's own first "
    "line never wins",
    "[api][integration]") {
  for (const char* mode : {"auto", "x-forwarded-for"}) {
    INFO(mode);
    ApiInstance api(
        "[Server]\ntrusted_proxies = 127.0.0.1\nclient_ip_header = " + std::string(mode) + "\n\n" +
        kUsers + "\n[Limits]\nmax_failed_logins = 3\nfailed_login_lockout = 5m\n");
    REQUIRE(api.start());
    // HAProxy's option forwardfor appends a line of its own after the client's.
    checkSeenAs(ask(api, "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.5\r\n"),
                "203.0.113.5");
    checkSeenAs(ask(api,
                    "x-forwarded-for: 6.6.6.6, 6.6.6.7\r\nHost-Extra: 1\r\n"
                    "X-FORWARDED-FOR: 203.0.113.6\r\n"),
                "203.0.113.6");
    // The failed-login limit counts the real address, whatever first line the client forges:
    // the guesser is locked out, the address it names is not.
    for (int i = 0; i < 3; ++i) {
      const auto r =
          httpRequest(api.port(), "GET", "/get/ip",
                      basicAuth("alice", "guess") + "X-Forwarded-For: 198.51.100." +
                          std::to_string(i + 1) + "\r\nX-Forwarded-For: 203.0.113.66\r\n");
      CHECK(r.status == 401);
    }
    CHECK(httpRequest(api.port(), "GET", "/get/ip", kAlice + "X-Forwarded-For: 203.0.113.66\r\n")
              .status == 429);
    for (int i = 0; i < 3; ++i) {
      CHECK(httpRequest(api.port(), "GET", "/get/ip",
                        kAlice + "X-Forwarded-For: 198.51.100." + std::to_string(i + 1) + "\r\n")
                .status == 200);
    }
  }
  {
    // Forwarded and X-Real-IP on several lines.
    ApiInstance fwd("[Server]\ntrusted_proxies = 127.0.0.1\nclient_ip_header = forwarded\n\n" +
                    kUsers);
    REQUIRE(fwd.start());
    checkSeenAs(ask(fwd, "Forwarded: for=6.6.6.6\r\nForwarded: for=203.0.113.7;proto=https\r\n"),
                "203.0.113.7");
    ApiInstance real("[Server]\ntrusted_proxies = 127.0.0.1\nclient_ip_header = x-real-ip\n\n" +
                     kUsers);
    REQUIRE(real.start());
    checkSeenAs(ask(real, "X-Real-IP: 6.6.6.6\r\nX-Real-IP: 203.0.113.8\r\n"), "203.0.113.8");
  }
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
