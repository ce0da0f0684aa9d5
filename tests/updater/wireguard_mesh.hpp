// SPDX-License-Identifier: MIT
#pragma once

// The small world of the WireGuard mesh cases (tests/updater/wireguard_*_test.cpp): two
// network namespaces made here (a host and its gateway, joined by a veth pair whose gateway
// end has a known MAC), the real wireguard-go and wg in the host, the real chipmunk-api on
// the gateway. Root, `ip netns` and wireguard-go are needed; a case says why and passes
// without them. Every process is stopped by PID and the namespaces are deleted, on failure
// too.
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <csignal>
#include <memory>

#include "common/base64.hpp"
#include "common/json.hpp"
#include "providers/http/url.hpp"
#include "tests/support/api_instance.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"
#include "updater/wg_tool.hpp"

namespace chipmunk::test::wgmesh {

using namespace chipmunk;
using namespace chipmunk::test;

inline const std::string kGatewayMac = "02:00:00:77:00:01";
inline const std::string kOtherMac = "02:00:00:99:00:01";

// The absolute path of `tool` (runCommand does not search PATH); empty when missing.
inline std::string toolPath(const std::string& tool) {
  TempDir d;
  if (runCommand({"/bin/sh", "-c", "command -v " + tool}, d.file("o"), d.file("e")) != 0) {
    return {};
  }
  const std::string out = readFile(d.file("o"));
  return out.substr(0, out.find('\n'));
}

// Why the case cannot run here; empty when it can.
inline std::string missingPart() {
  if (::geteuid() != 0) {
    return "not root";
  }
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) {
    return "no /dev/net/tun for wireguard-go";
  }
  for (const char* tool : {"ip", "wg", "wireguard-go"}) {
    if (toolPath(tool).empty()) {
      return std::string(tool) + " is not installed";
    }
  }
  return {};
}

// The small world: namespaces, wireguard-go, the API; torn down in reverse, by PID.
struct Mesh {
  TempDir dir;
  std::string id = std::to_string(::getpid());
  std::string host = "cmwu" + id + "h";
  std::string gateway = "cmwu" + id + "g";
  std::string iface = "wgu" + id.substr(0, 9);
  bool hostMade = false;
  bool gatewayMade = false;
  std::unique_ptr<ChildProcess> wireguard;
  std::unique_ptr<ApiInstance> api;
  std::map<std::string, std::string> keys;  // name -> public key
  std::string ip = toolPath("ip");
  std::string wg = toolPath("wg");

  ~Mesh() {
    api.reset();  // stops chipmunk-api by PID
    if (wireguard) {
      wireguard->signal(15);
      wireguard->wait(std::chrono::seconds(5));
      wireguard.reset();  // SIGKILL by PID if it did not stop
    }
    for (const auto& [made, ns] : {std::pair{hostMade, host}, std::pair{gatewayMade, gateway}}) {
      if (made) {
        runCommand({ip, "netns", "del", ns}, dir.file("o"), dir.file("e"));
      }
    }
    ::unlink(("/var/run/wireguard/" + iface + ".sock").c_str());
  }

  // The output of the last command only (runCommand appends).
  int run(const std::vector<std::string>& argv, const std::string& input = {}) {
    ::unlink(dir.file("out.txt").c_str());
    ::unlink(dir.file("err.txt").c_str());
    const int rc = runCommand(argv, dir.file("out.txt"), dir.file("err.txt"), input);
    if (rc != 0) {
      WARN(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << " exited " << rc << ": "
                   << readFile(dir.file("err.txt")));
    }
    return rc;
  }
  int inHost(std::vector<std::string> argv, const std::string& input = {}) {
    argv.insert(argv.begin(), {ip, "netns", "exec", host});
    return run(argv, input);
  }
  std::string out() const { return readFile(dir.file("out.txt")); }

  // A key pair: the private key in a file, the public one in `keys`.
  std::string makeKey(const std::string& name) {
    REQUIRE(run({wg, "genkey"}) == 0);
    const std::string priv = out();
    writeFile(dir.file(name + ".key"), priv);
    ::chmod(dir.file(name + ".key").c_str(), 0600);
    REQUIRE(run({wg, "pubkey"}, priv) == 0);
    keys[name] = out().substr(0, 44);
    return dir.file(name + ".key");
  }

  // False when this machine cannot make network namespaces (a container without the right).
  bool makeNamespaces() {
    hostMade = run({ip, "netns", "add", host}) == 0;
    if (!hostMade) {
      return false;
    }
    gatewayMade = run({ip, "netns", "add", gateway}) == 0;
    REQUIRE(gatewayMade);
    const std::vector<std::vector<std::string>> steps = {
        {ip, "-n", host, "link", "add", "vh", "type", "veth", "peer", "name", "vg", "address",
         kGatewayMac, "netns", gateway},
        {ip, "-n", host, "link", "set", "lo", "up"},
        {ip, "-n", host, "addr", "add", "192.168.77.10/24", "dev", "vh"},
        {ip, "-n", host, "link", "set", "vh", "up"},
        {ip, "-n", host, "route", "add", "default", "via", "192.168.77.1"},
        {ip, "-n", gateway, "link", "set", "lo", "up"},
        {ip, "-n", gateway, "addr", "add", "192.168.77.1/24", "dev", "vg"},
        {ip, "-n", gateway, "link", "set", "vg", "up"},
        // The "public" addresses other peers talk from (documentation ranges).
        {ip, "-n", gateway, "addr", "add", "203.0.113.9/32", "dev", "lo"},
        {ip, "-n", gateway, "addr", "add", "198.51.100.5/32", "dev", "lo"}};
    for (const auto& step : steps) {
      INFO(step[4] + " " + step[5]);
      REQUIRE(run(step) == 0);
    }
    return true;
  }

  // wireguard-go in the host with three peers: bob (no endpoint yet), carol (a wrong one)
  // and erin (no record: left alone).
  void startWireguard() {
    const std::string key = makeKey("alice");
    for (const char* name : {"bob", "carol", "dave", "erin", "frank"}) {
      makeKey(name);
    }
    wireguard = std::make_unique<ChildProcess>(
        std::vector<std::string>{ip, "netns", "exec", host, "env",
                                 "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1", "wireguard-go",
                                 "-f", iface},
        dir.file("wg-out.txt"), dir.file("wg-err.txt"));
    const std::string sock = "/var/run/wireguard/" + iface + ".sock";
    REQUIRE(waitUntil([&] { return ::access(sock.c_str(), F_OK) == 0; }, std::chrono::seconds(10)));
    REQUIRE(inHost({"wg",
                    "set",
                    iface,
                    "private-key",
                    key,
                    "listen-port",
                    "51820",
                    "peer",
                    keys["bob"],
                    "allowed-ips",
                    "10.77.0.2/32",
                    "peer",
                    keys["carol"],
                    "endpoint",
                    "192.0.2.99:1",
                    "allowed-ips",
                    "10.77.0.3/32",
                    "peer",
                    keys["erin"],
                    "endpoint",
                    "192.0.2.50:5000",
                    "allowed-ips",
                    "10.77.0.5/32"}) == 0);
    REQUIRE(inHost({"ip", "addr", "add", "10.77.0.1/24", "dev", iface}) == 0);
    REQUIRE(inHost({"ip", "link", "set", iface, "up"}) == 0);
  }

  // An HTTP exchange with the API from the gateway namespace, from `source`.
  HttpResponse ask(const std::string& user, const std::string& target,
                   const std::string& source = "192.168.77.1") {
    HttpResponse response;
    chipmunk::test::inNetworkNamespace(gateway, [&] {
      HttpConnection conn("192.168.77.1", api->port(), std::chrono::seconds(10), source);
      conn.sendRaw("GET " + target + " HTTP/1.1\r\nHost: mesh\r\nConnection: close\r\n" +
                   "Authorization: Basic " + base64Encode(user + ":pw") + "\r\n\r\n");
      response = conn.readResponse();
    });
    return response;
  }

  void startApi() {
    api = std::make_unique<ApiInstance>(
        "[Users]\nalice = pw\nbob = pw\ncarol = pw\ndave = pw\nfrank = pw\n[Access]\nread_all = "
        "alice\n");
    chipmunk::test::inNetworkNamespace(gateway, [&] { REQUIRE(api->start("192.168.77.1:0")); });
    // bob sits behind our gateway; carol behind another, talking from 203.0.113.9; dave's
    // key is on no interface of ours.
    const auto set = [&](const std::string& user, const std::string& query,
                         const std::string& source) {
      const auto r = ask(user, "/set?" + query, source);
      INFO(r.body);
      REQUIRE(r.status == 200);
    };
    set("bob",
        "wg_public_key=" + encodeKey("bob") + "&wg_listen_port=51821&lan_ip=192.168.77.20" +
            "&gateway_mac=" + kGatewayMac,
        "192.168.77.1");
    set("carol",
        "wg_public_key=" + encodeKey("carol") + "&wg_listen_port=51822&lan_ip=192.168.77.30" +
            "&gateway_mac=" + kOtherMac,
        "203.0.113.9");
    set("dave", "wg_public_key=" + encodeKey("dave") + "&wg_listen_port=51823", "198.51.100.5");
  }

  std::string encodeKey(const std::string& name) { return providers::urlEncode(keys[name]); }

  void writeUpdaterConfig(const std::string& wireguardSettings = {}) {
    writeFile(dir.file("updater.ini"),
              "[Global]\nupdate_dns = no\nallow_private = yes\nstate_dir = state\n"
              "[ChipmunkAPIServer]\nendpoint = http://192.168.77.1:" +
                  std::to_string(api->port()) +
                  "\nusername = alice\npassword = pw\nmethod = set\n"
                  "[Daemon]\nlogfile = updater.log\n"
                  "[wireguard:" +
                  iface + "]\n" + wireguardSettings);
  }

  int updaterOnce() {
    const int rc = inHost({CHIPMUNK_UPDATER_BIN, "--config", dir.file("updater.ini"), "--once"});
    lastOnce = out();
    return rc;
  }
  std::string lastOnce;

  updater::WgDump dump() {
    REQUIRE(inHost({"wg", "show", iface, "dump"}) == 0);
    std::string error;
    const auto parsed = updater::parseWgDump(out(), error);
    INFO(error);
    REQUIRE(parsed);
    return *parsed;
  }
  // Waits until `name`'s endpoint on the interface is `expected`.
  bool waitForEndpoint(const std::string& name, const std::string& expected,
                       std::chrono::seconds timeout) {
    return waitUntil([&] { return endpointOf(dump(), name) == expected; }, timeout);
  }
  std::string endpointOf(const updater::WgDump& d, const std::string& name) {
    for (const auto& p : d.peers) {
      if (p.publicKey == keys[name]) {
        return p.endpoint ? p.endpoint->toString() : "(none)";
      }
    }
    return "(not on the interface)";
  }
};

inline std::string metadata(const std::string& body, const std::string& key) {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(doc, body, error) || !doc.IsObject() || !doc.HasMember("metadata") ||
      !doc["metadata"].IsObject() || !doc["metadata"].HasMember(key.c_str())) {
    return "(absent)";
  }
  return doc["metadata"][key.c_str()].GetString();
}

// The world with its updater config, or nullptr (and why) where it cannot be made.
inline std::unique_ptr<Mesh> makeMesh(const std::string& wireguardSettings = {}) {
  const std::string missing = missingPart();
  if (!missing.empty()) {
    WARN("skipped: " << missing << " (needs root, ip netns, wg and wireguard-go)");
    return nullptr;
  }
  auto m = std::make_unique<Mesh>();
  if (!m->makeNamespaces()) {
    WARN("skipped: ip netns add failed here (no network namespaces)");
    return nullptr;
  }
  m->startWireguard();
  m->startApi();
  m->writeUpdaterConfig(wireguardSettings);
  return m;
}

}  // namespace chipmunk::test::wgmesh
