// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "tests/support/api_instance.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/discovery.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::updater;
using chipmunk::test::FakeHttpServer;
using chipmunk::test::FakeRequest;
using chipmunk::test::FakeResponse;

config::SourceConfig webSource(const std::string& url) {
  config::SourceConfig s;
  s.name = "web";
  s.kind = config::SourceKind::kWeb;
  s.url = url;
  return s;
}

config::SourceConfig commandSource(const std::string& name, const std::string& command) {
  config::SourceConfig s;
  s.name = name;
  s.kind = config::SourceKind::kCommand;
  s.command = command;
  return s;
}

providers::HttpOptions fastHttp() {
  providers::HttpOptions h;
  h.timeout = std::chrono::seconds(3);
  return h;
}

TEST_CASE("Discovery: validates addresses, garbage and HTML are errors", "[updater][unit]") {
  std::string error;
  CHECK(validateAddress(" 203.0.113.7\n", Family::kIPv4, true, error)->toString() == "203.0.113.7");
  CHECK(validateAddress("8.8.8.8", Family::kIPv4, false, error));
  CHECK_FALSE(validateAddress("10.1.2.3", Family::kIPv4, false, error));
  CHECK(error.find("not a public address") != std::string::npos);
  CHECK(validateAddress("10.1.2.3", Family::kIPv4, true, error));
  CHECK_FALSE(
      validateAddress("<html><body>502 Bad Gateway</body></html>", Family::kIPv4, true, error));
  CHECK(error.find("not an IP address") != std::string::npos);
  CHECK_FALSE(validateAddress("Your IP:  1.2.3.4", Family::kIPv4, true, error));
  CHECK_FALSE(validateAddress("", Family::kIPv4, true, error));
  CHECK_FALSE(validateAddress("2001:4860::1", Family::kIPv4, true, error));
  CHECK(validateAddress("2001:4860::1", Family::kIPv6, false, error));
  CHECK_FALSE(validateAddress("1.2.3.4 5.6.7.8", Family::kIPv4, true, error));
}

TEST_CASE("Discovery: JSON fields and regexes", "[updater][unit]") {
  CHECK(jsonField("{\"ip\":\"1.2.3.4\"}", "ip") == "1.2.3.4");
  CHECK(jsonField("{\"a\":{\"b\":\"x\"}}", "a.b") == "x");
  CHECK_FALSE(jsonField("{\"ip\":5}", "ip"));
  CHECK_FALSE(jsonField("<html>", "ip"));
  CHECK_FALSE(jsonField("{\"a\":1}", "ip"));
  CHECK(regexMatch("Your IP:  1.2.3.4", "IP:\\s+(\\S+)") == "1.2.3.4");
  CHECK(regexMatch("addr 1.2.3.4", "[0-9.]+") == "1.2.3.4");
  CHECK_FALSE(regexMatch("nothing", "(\\d+\\.\\d+)"));
}

TEST_CASE("Discovery: interface addresses skip temporary and deprecated ones", "[updater][unit]") {
  auto ip = [](const char* t) { return *IpAddress::parse(t); };
  std::vector<InterfaceAddress> addrs = {
      {"eth0", ip("fe80::1"), false, false},
      {"eth0", ip("2001:4860::aaaa"), true, false},   // temporary
      {"eth0", ip("2001:4860::bbbb"), false, true},   // deprecated
      {"eth0", ip("fd00::1"), false, false},          // ULA
      {"eth0", ip("2001:4860::cccc"), false, false},  // the stable global one
      {"eth0", ip("192.168.1.2"), false, false},
  };
  CHECK(pickInterfaceAddress(addrs, Family::kIPv6, false)->toString() == "2001:4860::cccc");
  CHECK_FALSE(pickInterfaceAddress(addrs, Family::kIPv4, false));
  CHECK(pickInterfaceAddress(addrs, Family::kIPv4, true)->toString() == "192.168.1.2");
  addrs.erase(addrs.begin() + 4);
  CHECK_FALSE(pickInterfaceAddress(addrs, Family::kIPv6, false));
  CHECK(pickInterfaceAddress(addrs, Family::kIPv6, true)->toString() == "fd00::1");
  // The loopback interface exists everywhere.
  const auto lo = interfaceAddresses("lo");
  REQUIRE_FALSE(lo.empty());
  CHECK(pickInterfaceAddress(lo, Family::kIPv4, true)->toString() == "127.0.0.1");
  CHECK(interfaceAddresses("no-such-if0").empty());
}

TEST_CASE("Discovery: web source reads plain text, JSON and regex replies", "[updater][unit]") {
  FakeHttpServer server([](const FakeRequest& r) {
    FakeResponse resp;
    resp.contentType = "text/plain";
    if (r.path == "/plain") {
      resp.body = "198.51.100.4\n";
    } else if (r.path == "/json") {
      resp.body = "{\"ip\":\"198.51.100.5\"}";
    } else if (r.path == "/text") {
      resp.body = "Current IP Address: 198.51.100.6";
    } else {
      resp.status = 502;
      resp.body = "<html>Bad Gateway</html>";
    }
    return resp;
  });
  auto s = webSource(server.url() + "/plain");
  CHECK(Discovery({s}, fastHttp(), true).discover(Family::kIPv4).ip->toString() == "198.51.100.4");
  s = webSource(server.url() + "/json");
  s.jsonField = "ip";
  CHECK(Discovery({s}, fastHttp(), true).discover(Family::kIPv4).ip->toString() == "198.51.100.5");
  s = webSource(server.url() + "/text");
  s.regex = "Address: ([0-9.]+)";
  CHECK(Discovery({s}, fastHttp(), true).discover(Family::kIPv4).ip->toString() == "198.51.100.6");
  // Documentation addresses are not public.
  CHECK_FALSE(Discovery({s}, fastHttp(), false).discover(Family::kIPv4).ip);
  const auto bad =
      Discovery({webSource(server.url() + "/broken")}, fastHttp(), true).discover(Family::kIPv4);
  CHECK_FALSE(bad.ip);
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].find("HTTP 502") != std::string::npos);
}

TEST_CASE("Discovery: falls back to the next source in order", "[updater][unit]") {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse resp;
    resp.body = "<html>oops</html>";
    return resp;
  });
  const auto result =
      Discovery({webSource(server.url() + "/"), commandSource("failing", "exit 3"),
                 commandSource("garbage", "echo hello"), commandSource("good", "echo 192.0.2.44")},
                fastHttp(), true)
          .discover(Family::kIPv4);
  REQUIRE(result.ip);
  CHECK(result.ip->toString() == "192.0.2.44");
  CHECK(result.source == "good");
  CHECK(result.errors.size() == 3);
}

TEST_CASE("Discovery: family filters skip sources", "[updater][unit]") {
  auto v6 = commandSource("v6", "echo 2001:db8::5");
  v6.family = config::FamilyFilter::kIPv6;
  auto v4 = commandSource("v4", "echo 192.0.2.5");
  v4.family = config::FamilyFilter::kIPv4;
  Discovery d({v6, v4}, fastHttp(), true);
  CHECK(d.discover(Family::kIPv4).source == "v4");
  CHECK(d.discover(Family::kIPv6).source == "v6");
}

TEST_CASE("Discovery: the chipmunk source reads /get/ip.json and calls /set",
          "[updater][integration]") {
  chipmunk::test::ApiInstance api("[Users]\nalice = secret\n");
  REQUIRE(api.start());
  config::SourceConfig s;
  s.name = "chipmunk";
  s.kind = config::SourceKind::kChipmunk;
  s.url = "http://127.0.0.1:" + std::to_string(api.port()) + "/";
  s.username = "alice";
  s.password = "secret";
  auto result = Discovery({s}, fastHttp(), true).discover(Family::kIPv4);
  REQUIRE(result.ip);
  CHECK(result.ip->toString() == "127.0.0.1");
  CHECK_FALSE(chipmunk::test::fileExists(api.dataDir() + "/alice.cm"));
  s.chipmunkSet = true;
  result = Discovery({s}, fastHttp(), true).discover(Family::kIPv4);
  REQUIRE(result.ip);
  CHECK(chipmunk::test::readFile(api.dataDir() + "/alice.cm") == "127.0.0.1\n");
  // Loopback is not public: refused unless allowed.
  CHECK_FALSE(Discovery({s}, fastHttp(), false).discover(Family::kIPv4).ip);
  s.password = "wrong";
  // A refusal costs the server a password check on purpose: more than fastHttp()'s 3 s on a
  // loaded machine under ASan.
  providers::HttpOptions patient;
  patient.timeout = std::chrono::seconds(30);
  result = Discovery({s}, patient, true).discover(Family::kIPv4);
  CHECK_FALSE(result.ip);
  REQUIRE_FALSE(result.errors.empty());
  INFO(result.errors.at(0));
  CHECK(result.errors.at(0).find("HTTP 401") != std::string::npos);
  CHECK(result.errors.at(0).find("wrong") == std::string::npos);
}

TEST_CASE(
    "Discovery: TLS is verified by default, a CA file or verify_tls = no admits a "
    "self-signed server",
    "[updater][integration]") {
  chipmunk::test::TempDir certs;
  const std::string cert = certs.file("cert.pem");
  const std::string key = certs.file("key.pem");
  REQUIRE(chipmunk::test::runCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048",
                                      "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj",
                                      "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
                                     certs.file("o"), certs.file("e")) == 0);
  chipmunk::test::ApiInstance api("[Server]\ntls_certificate = " + cert + "\ntls_key = " + key +
                                  "\n[Users]\nalice = secret\n");
  REQUIRE(api.start());
  config::SourceConfig s;
  s.name = "chipmunk";
  s.kind = config::SourceKind::kChipmunk;
  s.url = "https://127.0.0.1:" + std::to_string(api.port());
  s.username = "alice";
  s.password = "secret";
  auto http = fastHttp();
  auto result = Discovery({s}, http, true).discover(Family::kIPv4);
  CHECK_FALSE(result.ip);
  REQUIRE_FALSE(result.errors.empty());
  CHECK(result.errors[0].find("certificate") != std::string::npos);
  http.caFile = cert;
  result = Discovery({s}, http, true).discover(Family::kIPv4);
  CHECK(result.ip);
  http.caFile.clear();
  http.verifyTls = false;
  result = Discovery({s}, http, true).discover(Family::kIPv4);
  CHECK(result.ip);
}

TEST_CASE(
    "Discovery: a JSON reply of 1 MB of open brackets or deep nesting is an error, not a crash",
    "[updater][unit]") {
  CHECK_FALSE(jsonField(std::string(1000000, '['), "ip"));
  std::string deep;
  for (int i = 0; i < 12000; ++i) {
    deep += "{\"a\":";
  }
  CHECK_FALSE(jsonField(deep, "a.a"));
  FakeHttpServer server([&](const FakeRequest& r) {
    FakeResponse resp;
    resp.body = r.path == "/wide" ? std::string(60000, '[') : deep;
    return resp;
  });
  for (const char* path : {"/wide", "/deep"}) {
    auto s = webSource(server.url() + path);
    s.jsonField = "ip";
    const auto result = Discovery({s}, fastHttp(), true).discover(Family::kIPv4);
    CHECK_FALSE(result.ip);
    CHECK(result.errors.size() == 1);
  }
}

TEST_CASE("Discovery: a regex over a 64 KiB reply or command output does not crash",
          "[updater][unit]") {
  // docs/UPDATER.md's example over a reply with ~60,000 matching characters: std::regex
  // recursed once per character and overflowed the stack.
  const std::string digits(60000, '1');
  FakeHttpServer server([&](const FakeRequest&) {
    FakeResponse resp;
    resp.contentType = "text/plain";
    resp.body = "Address: " + digits + "\n";
    return resp;
  });
  auto s = webSource(server.url() + "/text");
  s.regex = "Address: ([0-9.]+)";
  auto result = Discovery({s}, fastHttp(), true).discover(Family::kIPv4);
  CHECK_FALSE(result.ip);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].find("not an IP address") != std::string::npos);
  CHECK(regexMatch("Address: " + digits, "Address: ([0-9.]+)") == digits);

  // A command printing 64 KiB (its output cap), then the address.
  auto c = commandSource("long", "head -c 65536 /dev/zero | tr '\\0' 1; echo ' 192.0.2.45'");
  c.regex = "([0-9.]+)$";
  result = Discovery({c}, fastHttp(), true).discover(Family::kIPv4);
  CHECK_FALSE(result.ip);  // the address was past the cap; the 64 KiB of digits are no address
  c.regex = "^(1+)";
  result = Discovery({c}, fastHttp(), true).discover(Family::kIPv4);
  CHECK_FALSE(result.ip);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].find("not an IP address") != std::string::npos);

  // A pattern that explodes on the text gives up with an error, not a hang.
  c = commandSource("explodes", "head -c 60000 /dev/zero | tr '\\0' a; echo '!'");
  c.regex = "(a+)+$";
  result = Discovery({c}, fastHttp(), true).discover(Family::kIPv4);
  CHECK_FALSE(result.ip);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].find("regex gave up") != std::string::npos);
}

TEST_CASE("Discovery: allow_private still refuses addresses no host can have", "[updater][unit]") {
  // allow_private admits LAN, loopback and documentation addresses (a test bed, a LAN-only
  // setup), never an address that cannot be any host's: unspecified, "this network",
  // limited broadcast and reserved 240/4, multicast, link-local, IPv4-compatible IPv6, the
  // discard prefix. Every source kind goes through validateAddress.
  std::string error;
  for (const char* never : {"0.0.0.0", "0.1.2.3", "255.255.255.255", "240.0.0.1", "224.0.0.1",
                            "239.255.255.250", "169.254.1.1"}) {
    INFO(never);
    CHECK_FALSE(validateAddress(never, Family::kIPv4, true, error));
    CHECK(error.find("not a host address") != std::string::npos);
  }
  for (const char* never : {"::", "ff02::1", "ff0e::1", "fe80::1", "::1.2.3.4", "100::1"}) {
    INFO(never);
    CHECK_FALSE(validateAddress(never, Family::kIPv6, true, error));
  }
  for (const char* lan : {"10.1.2.3", "127.0.0.1", "192.0.2.1", "100.64.0.1"}) {
    INFO(lan);
    CHECK(validateAddress(lan, Family::kIPv4, true, error));
  }
  for (const char* lan : {"fd00::1", "::1", "2001:db8::1", "64:ff9b::c000:201"}) {
    INFO(lan);
    CHECK(validateAddress(lan, Family::kIPv6, true, error));
  }
  // The command and web sources: what they print goes through the same check.
  const auto broadcast = Discovery({commandSource("bcast", "echo 255.255.255.255"),
                                    commandSource("mcast", "echo 224.0.0.251")},
                                   fastHttp(), true)
                             .discover(Family::kIPv4);
  CHECK_FALSE(broadcast.ip);
  CHECK(broadcast.errors.size() == 2);
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse resp;
    resp.body = "0.0.0.0\n";
    return resp;
  });
  CHECK_FALSE(
      Discovery({webSource(server.url() + "/")}, fastHttp(), true).discover(Family::kIPv4).ip);
  // An interface's address: the same rule picks among them.
  auto ip = [](const char* t) { return *IpAddress::parse(t); };
  const std::vector<InterfaceAddress> addrs = {
      {"eth0", ip("0.0.0.0"), false, false},
      {"eth0", ip("224.0.0.1"), false, false},
      {"eth0", ip("ff02::1"), false, false},
      {"eth0", ip("::1.2.3.4"), false, false},
  };
  CHECK_FALSE(pickInterfaceAddress(addrs, Family::kIPv4, true));
  CHECK_FALSE(pickInterfaceAddress(addrs, Family::kIPv6, true));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
