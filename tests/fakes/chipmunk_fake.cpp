// SPDX-License-Identifier: MIT
// chipmunk-fake: runs one provider's fake API (tests/support/fake_*.hpp) on 127.0.0.1 until
// Ctrl-C, seeded with example.com records, and prints the provider section that points
// chipmunk-updater at it, for manual trials with --once. Not installed; built with the tests.
//   build/tests/chipmunk-fake porkbun
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "tests/support/fake_desec.hpp"
#include "tests/support/fake_digitalocean.hpp"
#include "tests/support/fake_duckdns.hpp"
#include "tests/support/fake_dyndns2.hpp"
#include "tests/support/fake_gandi.hpp"
#include "tests/support/fake_godaddy.hpp"
#include "tests/support/fake_hetzner.hpp"
#include "tests/support/fake_ionos.hpp"
#include "tests/support/fake_netcup.hpp"
#include "tests/support/fake_njalla.hpp"
#include "tests/support/fake_ovh.hpp"
#include "tests/support/fake_porkbun.hpp"
#include "tests/support/fake_route53.hpp"
#include "tests/support/fake_scaleway.hpp"
#include "tests/support/fake_vultr.hpp"

using namespace chipmunk::test;

namespace {

volatile sig_atomic_t stop = 0;

void onSignal(int) {
  stop = 1;
}

// A running fake (kept alive by the holder) and the INI section that uses it.
struct Running {
  std::shared_ptr<void> fake;
  std::string section;
};

const char* kRecord =
    "[record:home]\nprovider = %s\nhost = home\ndomain = example.com\ntype = both\n";

std::string record(const std::string& provider) {
  std::string r = kRecord;
  r.replace(r.find("%s"), 2, provider);
  return r;
}

// The section for `provider`: its credential lines (each ending in "\n"), the fake's
// endpoint, and the home record.
std::string section(const std::string& provider, const std::string& credentials,
                    const std::string& endpoint) {
  return "[" + provider + "]\n" + credentials + "endpoint = " + endpoint + "\n" + record(provider);
}

// Seeds the home record's two addresses: add(type, address) for A, then AAAA.
template <typename Add>
void seedHome(Add add) {
  add("A", "192.0.2.1");
  add("AAAA", "2001:db8::1");
}

const std::map<std::string, std::function<Running()>> kFakes = {
    {"porkbun",
     [] {
       auto f = std::make_shared<FakePorkbun>();
       f->addDomain("example.com");
       seedHome([&](const char* type, const char* ip) {
         f->addRecord("example.com", {"", "home.example.com", type, ip, "600", "0", ""});
       });
       return Running{
           f, section("porkbun", "api_key = pk1_test\nsecret_api_key = sk1_test\n", f->endpoint())};
     }},
    {"digitalocean",
     [] {
       auto f = std::make_shared<FakeDigitalOcean>();
       f->addDomain("example.com");
       seedHome([&](const char* type, const char* ip) {
         FakeDigitalOcean::DnsRecord a;
         a.type = type;
         a.name = "home";
         a.data = ip;
         f->addRecord("example.com", a);
       });
       return Running{f, section("digitalocean", "api_token = do-test-token\n", f->endpoint())};
     }},
    {"desec",
     [] {
       auto f = std::make_shared<FakeDesec>();
       f->addDomain("example.com");
       seedHome([&](const char* type, const char* ip) {
         f->setRRset("example.com", "home", type, {3600, {ip}});
       });
       return Running{f, section("desec", "token = desec-token\n", f->endpoint())};
     }},
    {"gandi",
     [] {
       auto f = std::make_shared<FakeGandi>();
       f->addDomain("example.com");
       seedHome([&](const char* type, const char* ip) {
         f->setRRset("example.com", "home", type, {300, {ip}});
       });
       return Running{f, section("gandi", "token = gandi-pat\n", f->endpoint())};
     }},
    {"vultr",
     [] {
       auto f = std::make_shared<FakeVultr>();
       f->addDomain("example.com");
       seedHome([&](const char* type, const char* ip) {
         FakeVultr::DnsRecord a;
         a.domain = "example.com";
         a.type = type;
         a.name = "home";
         a.data = ip;
         f->addRecord(a);
       });
       return Running{f, section("vultr", "api_key = vultr-key\n", f->endpoint())};
     }},
    {"godaddy",
     [] {
       auto f = std::make_shared<FakeGoDaddy>();
       f->addDomain("example.com");
       seedHome([&](const char* type, const char* ip) {
         f->setRecords("example.com", type, "home", {{ip, 600}});
       });
       return Running{
           f, section("godaddy", "api_key = gd-key\napi_secret = gd-secret\n", f->endpoint())};
     }},
    {"ionos",
     [] {
       auto f = std::make_shared<FakeIonos>();
       f->addZone("example.com");
       seedHome([&](const char* type, const char* ip) {
         FakeIonos::DnsRecord a;
         a.zone = "example.com";
         a.name = "home.example.com";
         a.type = type;
         a.content = ip;
         f->addRecord(a);
       });
       return Running{f, section("ionos", "api_key = prefix.secret\n", f->endpoint())};
     }},
    {"hetzner",
     [] {
       auto f = std::make_shared<FakeHetzner>();
       const std::string zone = f->addZone("example.com");
       seedHome([&](const char* type, const char* ip) {
         FakeHetzner::DnsRecord a;
         a.zoneId = zone;
         a.type = type;
         a.name = "home";
         a.value = ip;
         f->addRecord(a);
       });
       return Running{f, section("hetzner", "api_token = hetzner-token\n", f->endpoint())};
     }},
    {"route53",
     [] {
       auto f = std::make_shared<FakeRoute53>();
       f->addZone("Z1", "example.com");
       seedHome([&](const char* type, const char* ip) {
         f->setRRset("Z1", "home.example.com", type, {300, {ip}, ""});
       });
       return Running{f, section("route53",
                                 "access_key_id = AKIDEXAMPLE\n"
                                 "secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
                                 f->endpoint())};
     }},
    {"ovh",
     [] {
       auto f = std::make_shared<FakeOvh>();
       f->addZone("example.com");
       seedHome([&](const char* type, const char* ip) {
         f->addRecord("example.com", {"home", type, ip, 0});
       });
       return Running{f, section("ovh",
                                 "application_key = ovh-ak\napplication_secret = ovh-as\n"
                                 "consumer_key = ovh-ck\n",
                                 f->endpoint())};
     }},
    {"netcup",
     [] {
       auto f = std::make_shared<FakeNetcup>();
       f->addDomain("example.com");
       seedHome([&](const char* type, const char* ip) {
         f->addRecord("example.com", {"", "home", type, ip});
       });
       return Running{f, section("netcup",
                                 "customer_number = 12345\napi_key = nc-key\n"
                                 "api_password = nc-password\n",
                                 f->endpoint())};
     }},
    {"njalla",
     [] {
       auto f = std::make_shared<FakeNjalla>();
       f->addDomain("example.com");
       seedHome([&](const char* type, const char* ip) {
         f->addRecord("example.com", {0, "home", type, ip});
       });
       return Running{f, section("njalla", "token = njalla-token\n", f->endpoint())};
     }},
    {"scaleway",
     [] {
       auto f = std::make_shared<FakeScaleway>();
       f->addZone("example.com");
       seedHome([&](const char* type, const char* ip) {
         f->addRecord("example.com", {"", "home", type, ip});
       });
       return Running{f, section("scaleway", "secret_key = scw-secret\n", f->endpoint())};
     }},
    {"dyndns2",
     [] {
       auto f = std::make_shared<FakeDyndns2>("alice", "secret");
       f->addHost("home.example.com");
       return Running{f, "[dyndns2]\nserver = " + f->url() +
                             "\nusername = alice\npassword = secret\n" + record("dyndns2")};
     }},
    {"duckdns",
     [] {
       auto f = std::make_shared<FakeDuckDns>();
       f->addDomain("myhome");
       return Running{f, "[duckdns]\ntoken = duck-token\nendpoint = " + f->endpoint() +
                             "\n[record:home]\nprovider = duckdns\nhost = myhome\n"
                             "domain = duckdns.org\ntype = both\n"};
     }},
};

}  // namespace

int main(int argc, char** argv) {
  const std::string name = argc == 2 ? argv[1] : "";
  const auto it = kFakes.find(name);
  if (it == kFakes.end()) {
    std::cerr << "usage: chipmunk-fake PROVIDER\nproviders:";
    for (const auto& [n, make] : kFakes) {
      std::cerr << " " << n;
    }
    std::cerr << "\n(a dyndns2 preset: run dyndns2 and use its server in the preset's section)\n";
    return 2;
  }
  ::signal(SIGINT, onSignal);
  ::signal(SIGTERM, onSignal);
  const Running running = it->second();
  // Documentation addresses stand in for discovery (allow_private: they are not public).
  std::cout << "; " << name << " fake running; Ctrl-C stops it. A config that uses it:\n"
            << "[Global]\nallow_private = yes\nstate_dir = /tmp/chipmunk-fake-state\n"
            << "[source:v4]\ntype = command\ncommand = echo 198.51.100.7\nfamily = ipv4\n"
            << "[source:v6]\ntype = command\ncommand = echo 2001:db8::7\nfamily = ipv6\n"
            << running.section << std::flush;
  while (stop == 0) {
    ::pause();
  }
  return 0;
}
