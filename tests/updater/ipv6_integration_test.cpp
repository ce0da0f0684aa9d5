// SPDX-License-Identifier: MIT
// IPv6 through the whole updater: discovery per family, A and AAAA of one name from one
// record entry, AAAA built from a discovered prefix plus a fixed interface identifier, the
// state cache kept per type, and providers that write AAAA (Linode fake, real BIND).
#include <catch2/catch.hpp>

#include "tests/support/bind_server.hpp"
#include "tests/support/fake_duckdns.hpp"
#include "tests/support/fake_linode.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/updater.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::updater;
using chipmunk::test::readFile;
using chipmunk::test::TempDir;
using chipmunk::test::writeFile;

// Command sources reading v4.txt and v6.txt, one per family.
struct Sources {
  TempDir dir;
  Sources() { set("203.0.113.10", "2001:db8:1:2:aaaa:bbbb:cccc:dddd"); }
  void set(const std::string& v4, const std::string& v6) {
    writeFile(dir.file("v4.txt"), v4 + "\n");
    writeFile(dir.file("v6.txt"), v6 + "\n");
  }
  std::string text() const {
    return "[Global]\nallow_private = yes\nstate_dir = state\ntimeout = 3s\n"
           "[Daemon]\nretry_min = 1s\nretry_max = 2s\n"
           "[source:v4]\ntype = command\nfamily = ipv4\ncommand = cat " +
           dir.file("v4.txt") + "\n[source:v6]\ntype = command\nfamily = ipv6\ncommand = cat " +
           dir.file("v6.txt") + "\n";
  }
  std::unique_ptr<Updater> make(const std::string& rest) {
    writeFile(dir.file("u.ini"), text() + rest);
    config::UpdaterConfig c;
    std::vector<std::string> errors;
    const bool loaded =
        loadConfig(dir.file("u.ini"), providers::ProviderRegistry::builtin(), c, errors);
    INFO((errors.empty() ? std::string() : errors[0]));
    REQUIRE(loaded);
    auto u = Updater::create(c, providers::ProviderRegistry::builtin(), errors);
    REQUIRE(u);
    return u;
  }
  std::vector<std::string> errorsFor(const std::string& rest) {
    writeFile(dir.file("u.ini"), text() + rest);
    config::UpdaterConfig c;
    std::vector<std::string> errors;
    loadConfig(dir.file("u.ini"), providers::ProviderRegistry::builtin(), c, errors);
    return errors;
  }
};

TEST_CASE("Ipv6: withInterfaceId keeps the /64 and replaces the interface identifier",
          "[updater][unit]") {
  const auto prefix = *IpAddress::parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
  CHECK(withInterfaceId(prefix, "::1234:5678:9abc:def0").toString() ==
        "2001:db8:1:2:1234:5678:9abc:def0");
  CHECK(withInterfaceId(prefix, "::1").toString() == "2001:db8:1:2::1");
  // Not IPv6: unchanged (the config loader refuses such suffixes anyway).
  const auto v4 = *IpAddress::parse("203.0.113.1");
  CHECK(withInterfaceId(v4, "::1") == v4);
}

TEST_CASE("Ipv6: type both keeps A and AAAA with separate state files", "[updater][unit]") {
  Sources s;
  test::FakeLinode linode;
  const long long id = linode.addDomain("example.com");
  linode.addRecord(id, "home", "A", "192.0.2.1");
  linode.addRecord(id, "home", "AAAA", "2001:db8::1");
  const std::string rest = "[linode]\napi_key = test-token\nendpoint = " + linode.endpoint() +
                           "\n[record:home]\nprovider = linode\nhost = home\ndomain = "
                           "example.com\ntype = both\n";
  auto u = s.make(rest);
  auto report = u->runCycle(false);
  CHECK(report.updated == 2);
  CHECK(report.exitCode() == kExitOk);
  CHECK(linode.target(id, "home", "A") == "203.0.113.10");
  CHECK(linode.target(id, "home", "AAAA") == "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
  CHECK(readFile(s.dir.file("state/home_A.state")).find("203.0.113.10") != std::string::npos);
  CHECK(readFile(s.dir.file("state/home_AAAA.state")).find("2001:db8:1:2:aaaa:bbbb:cccc:dddd") !=
        std::string::npos);
  // Only the IPv6 address changes: only AAAA is sent.
  const int puts = linode.count("PUT");
  s.set("203.0.113.10", "2001:db8:1:3::99");
  report = u->runCycle(false);
  CHECK(report.updated == 1);
  CHECK(report.unchanged == 1);
  CHECK(linode.count("PUT") == puts + 1);
  CHECK(linode.target(id, "home", "AAAA") == "2001:db8:1:3::99");
  // A restart reads both states and sends nothing.
  const size_t requests = linode.requests().size();
  report = s.make(rest)->runCycle(false);
  CHECK(report.unchanged == 2);
  CHECK(linode.requests().size() == requests);
}

TEST_CASE("Ipv6: ipv6_suffix publishes the discovered prefix with a fixed host part",
          "[updater][unit]") {
  Sources s;
  test::FakeLinode linode;
  const long long id = linode.addDomain("example.com");
  linode.addRecord(id, "nas", "AAAA", "2001:db8::1");
  auto u = s.make("[linode]\napi_key = test-token\nendpoint = " + linode.endpoint() +
                  "\n[record:nas]\nprovider = linode\nhost = nas\ndomain = example.com\n"
                  "type = aaaa\nipv6_suffix = ::1234:5678:9abc:def0\n");
  CHECK(u->runCycle(false).updated == 1);
  CHECK(linode.target(id, "nas", "AAAA") == "2001:db8:1:2:1234:5678:9abc:def0");
  // A new prefix from the router: a new address; a new host part alone: nothing to do.
  s.set("203.0.113.10", "2001:db8:7:8:aaaa:bbbb:cccc:dddd");
  CHECK(u->runCycle(false).updated == 1);
  CHECK(linode.target(id, "nas", "AAAA") == "2001:db8:7:8:1234:5678:9abc:def0");
  s.set("203.0.113.10", "2001:db8:7:8::5");
  CHECK(u->runCycle(false).unchanged == 1);
}

TEST_CASE("Ipv6: a bad ipv6_suffix is a config error with its line", "[updater][unit]") {
  Sources s;
  const std::string account = "[linode]\napi_key = k\n";
  auto errors = s.errorsFor(account +
                            "[record:nas]\nprovider = linode\nhost = nas\ndomain = example.com\n"
                            "type = aaaa\nipv6_suffix = 2001:db8::1\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("u.ini:") != std::string::npos);
  CHECK(errors[0].find("ipv6_suffix") != std::string::npos);
  errors = s.errorsFor(account +
                       "[record:nas]\nprovider = linode\nhost = nas\ndomain = example.com\n"
                       "ipv6_suffix = ::1\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("type = aaaa or both") != std::string::npos);
  errors = s.errorsFor(account +
                       "[record:nas]\nprovider = linode\nhost = nas\ndomain = example.com\n"
                       "type = both\nipv6_suffix = nonsense\n");
  REQUIRE(errors.size() == 1);
}

TEST_CASE("Ipv6: DuckDNS gets ip and ipv6 for a record of type both", "[updater][unit]") {
  Sources s;
  test::FakeDuckDns duck;
  duck.addDomain("myhome");
  auto u = s.make("[duckdns]\ntoken = duck-token\nendpoint = " + duck.endpoint() +
                  "\n[record:home]\nprovider = duckdns\nhost = myhome\ndomain = duckdns.org\n"
                  "type = both\n");
  CHECK(u->runCycle(false).updated == 2);
  CHECK(duck.ipv4("myhome") == "203.0.113.10");
  CHECK(duck.ipv6("myhome") == "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
}

TEST_CASE("Ipv6: the updater keeps A and AAAA on a real BIND with rfc2136",
          "[updater][integration]") {
  test::BindServer bind("example.test", "hmac-sha256", "home IN A 192.0.2.1");
  const bool started = bind.start();
  INFO(bind.log());
  REQUIRE(started);
  Sources s;
  const std::string rest = "[rfc2136]\nserver = 127.0.0.1\nport = " + std::to_string(bind.port()) +
                           "\nkey_name = " + bind.keyName() + "\nkey_secret = " + bind.keySecret() +
                           "\nttl = 60\n[record:home]\nprovider = rfc2136\nhost = home\n"
                           "domain = example.test\ntype = both\n"
                           "[record:nas]\nprovider = rfc2136\nhost = nas\ndomain = example.test\n"
                           "type = aaaa\nipv6_suffix = ::1234:5678:9abc:def0\n";
  auto u = s.make(rest);
  const auto report = u->runCycle(false);
  INFO(report.lines.size());
  for (const auto& l : report.lines) {
    UNSCOPED_INFO(l);
  }
  CHECK(report.updated == 3);
  CHECK(report.exitCode() == kExitOk);
  CHECK(bind.dig("home.example.test", "A") == "203.0.113.10");
  CHECK(bind.dig("home.example.test", "AAAA") == "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
  CHECK(bind.dig("nas.example.test", "AAAA") == "2001:db8:1:2:1234:5678:9abc:def0");
  CHECK(bind.dig("nas.example.test", "A").empty());
  s.set("203.0.113.11", "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
  CHECK(u->runCycle(false).updated == 1);
  CHECK(bind.dig("home.example.test", "A") == "203.0.113.11");
  CHECK(bind.dig("home.example.test", "AAAA") == "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
