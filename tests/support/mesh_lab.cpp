// SPDX-License-Identifier: MIT
#include "tests/support/mesh_lab.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

#include "tests/support/raw_http.hpp"

namespace chipmunk::test {

namespace {

std::string firstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

WgKeyPair wgGenerateKeys(const TempDir& dir) {
  const std::string wg = findProgram("wg");
  WgKeyPair keys;
  if (runCommand({wg, "genkey"}, dir.file("genkey.out"), dir.file("genkey.err")) != 0) {
    throw std::runtime_error("wg genkey failed: " + readFile(dir.file("genkey.err")));
  }
  keys.privateKey = firstLine(readFile(dir.file("genkey.out")));
  ::unlink(dir.file("genkey.out").c_str());
  if (runCommand({wg, "pubkey"}, dir.file("pubkey.out"), dir.file("pubkey.err"),
                 keys.privateKey + "\n") != 0) {
    throw std::runtime_error("wg pubkey failed: " + readFile(dir.file("pubkey.err")));
  }
  keys.publicKey = firstLine(readFile(dir.file("pubkey.out")));
  ::unlink(dir.file("pubkey.out").c_str());
  return keys;
}

SmallInternet::SmallInternet() : lab_("cmw") {
  peers_ = {{"a1", lab_.uniqueIfName("a1"), "192.168.1.11", "10.77.0.1", 51821, {}, {}},
            {"a2", lab_.uniqueIfName("a2"), "192.168.1.12", "10.77.0.2", 51822, {}, {}},
            {"c", lab_.uniqueIfName("c"), "192.168.2.11", "10.77.0.3", 51823, {}, {}},
            {"d", lab_.uniqueIfName("d"), "192.168.2.12", "10.77.0.4", 51824, {}, {}}};
  for (auto& p : peers_) {
    const WgKeyPair keys = wgGenerateKeys(lab_.dir());
    p.privateKey = keys.privateKey;
    p.publicKey = keys.publicKey;
  }
  for (const char* name : {"inet", "ra", "rb", "a1", "a2", "c", "d"}) {
    lab_.addNamespace(name);
  }
  lab_.addVeth("ra", "wan", "inet", "ra");
  lab_.addVeth("rb", "wan", "inet", "rb");
  lab_.addBridge("inet", "br0", {"ra", "rb"});
  lab_.addAddress("inet", "br0", "198.51.100.254/24");
  lab_.addAddress("inet", "br0", std::string(kApiAddress) + "/24");
  // The "ISP" drops what is sent to or from an address it no longer gives anyone
  // (renumberRouterB); the rules are added there.
  lab_.check("inet", {findProgram("nft"),
                      "add table bridge isp ; add chain bridge isp gone { type filter hook "
                      "forward priority 0 ; }"});
  buildRouter("ra", "198.51.100.1", "192.168.1", {"a1", "a2"});
  buildRouter("rb", routerB_, "192.168.2", {"c", "d"});
}

void SmallInternet::buildRouter(const std::string& router, const std::string& wan,
                                const std::string& lan, const std::vector<std::string>& hosts) {
  lab_.addAddress(router, "wan", wan + "/24");
  lab_.setDefaultRoute(router, "198.51.100.254");
  std::vector<std::string> ports;
  for (const auto& host : hosts) {
    lab_.addVeth(router, "p-" + host, host, "eth0");
    ports.push_back("p-" + host);
  }
  lab_.addBridge(router, "lan", ports);
  lab_.addAddress(router, "lan", lan + ".1/24");
  lab_.masquerade(router, "wan");
  for (const auto& host : hosts) {
    const MeshPeer& p = peer(host);
    lab_.addAddress(host, "eth0", p.lanIp + "/24");
    lab_.setDefaultRoute(host, lan + ".1");
    lab_.forwardUdp(router, "wan", p.port, p.lanIp, p.port);
  }
}

MeshPeer& SmallInternet::peer(const std::string& name) {
  for (auto& p : peers_) {
    if (p.name == name) {
      return p;
    }
  }
  throw std::runtime_error("no peer " + name);
}

std::string SmallInternet::gatewayMac(const std::string& router) {
  return lab_.macAddress(router, "lan");
}

void SmallInternet::startWireGuard(const std::string& name, const std::vector<std::string>& peers) {
  const MeshPeer& p = peer(name);
  const std::string sock = "/var/run/wireguard/" + p.wgIf + ".sock";
  ::unlink(sock.c_str());  // a leftover of a killed run with the same PID
  lab_.spawn(name, {findProgram("wireguard-go"), "-f", p.wgIf}, "wireguard-go-" + name);
  struct stat st {};
  if (!waitUntil([&] { return ::stat(sock.c_str(), &st) == 0; }, std::chrono::seconds(10))) {
    throw std::runtime_error("wireguard-go did not open " + sock + ": " +
                             lab_.logOf("wireguard-go-" + name));
  }
  const std::string keyFile = lab_.dir().file(name + ".key");
  writeFile(keyFile, p.privateKey + "\n");
  ::chmod(keyFile.c_str(), 0600);
  lab_.check(name, {findProgram("wg"), "set", p.wgIf, "private-key", keyFile, "listen-port",
                    std::to_string(p.port)});
  lab_.addAddress(name, p.wgIf, p.wgIp + "/24");
  lab_.ip(name, {"link", "set", p.wgIf, "up"});
  for (const auto& other : peers) {
    addWgPeer(name, peer(other).publicKey, peer(other).wgIp + "/32");
  }
}

void SmallInternet::addWgPeer(const std::string& name, const std::string& publicKey,
                              const std::string& allowedIps, const std::string& endpoint) {
  std::vector<std::string> argv{findProgram("wg"), "set",         peer(name).wgIf, "peer",
                                publicKey,         "allowed-ips", allowedIps};
  if (!endpoint.empty()) {
    argv.insert(argv.end(), {"endpoint", endpoint});
  }
  lab_.check(name, argv);
}

std::map<std::string, std::string> SmallInternet::endpoints(const std::string& name) {
  const std::string dump = lab_.check(name, {findProgram("wg"), "show", peer(name).wgIf, "dump"});
  std::map<std::string, std::string> result;
  std::istringstream in(dump);
  std::string line;
  std::getline(in, line);  // the interface line: private key, public key, port, fwmark
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key, psk, endpoint;
    if (fields >> key >> psk >> endpoint) {
      result[key] = endpoint;
    }
  }
  return result;
}

std::string SmallInternet::waitForEndpoint(const std::string& name, const std::string& peerName,
                                           const std::string& endpoint,
                                           std::chrono::milliseconds timeout) {
  const std::string key = peer(peerName).publicKey;
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    seen = endpoints(name)[key];
    if (seen == endpoint) {
      break;
    }
    ::usleep(100 * 1000);
  } while (std::chrono::steady_clock::now() < deadline);
  return seen;
}

bool SmallInternet::startApi(const std::string& sections) {
  const std::string dataDir = lab_.dir().file("api-data");
  ::mkdir(dataDir.c_str(), 0755);
  const std::string config = lab_.dir().file("chipmunk-api.ini");
  writeFile(config, "[Paths]\nclient_update_dir = " + dataDir + "\n\n[Log]\nfile = " +
                        lab_.dir().file("api.log") + "\nlevel = info\n\n" + sections);
  auto& api = lab_.spawn("inet",
                         {CHIPMUNK_API_BIN, "--config", config, "--listen",
                          std::string(kApiAddress) + ":" + std::to_string(kApiPort)},
                         "chipmunk-api");
  const bool up = waitUntil(
      [&] { return apiLog().find("listening address=") != std::string::npos || !api.running(); },
      std::chrono::seconds(10));
  if (!up || !api.running()) {
    std::fprintf(stderr, "chipmunk-api did not come up; its log:\n%s\n", apiLog().c_str());
    return false;
  }
  return true;
}

std::string SmallInternet::apiLog() const {
  return readFile(lab_.dir().file("api.log")) + lab_.logOf("chipmunk-api");
}

std::pair<int, std::string> SmallInternet::apiGet(const std::string& path, const std::string& user,
                                                  const std::string& password) {
  std::pair<int, std::string> result;
  lab_.inNamespace("inet", [&] {
    const HttpResponse r =
        httpRequest(kApiPort, "GET", path, basicAuth(user, password), {}, kApiAddress);
    result = {r.status, r.body};
  });
  return result;
}

void SmallInternet::renumberRouterB(const std::string& newAddress) {
  // The old address is dead on the internet: without this, router A's neighbour cache and
  // router B's connection tracking would still deliver packets sent to it. Removing the
  // address makes the kernel drop router B's masquerade connections that used it
  // (nf_nat_masquerade's address notifier), as a real re-dial does.
  lab_.check("inet", {findProgram("nft"), "add rule bridge isp gone ip daddr " + routerB_ +
                                              " drop ; add rule bridge isp gone ip saddr " +
                                              routerB_ + " drop"});
  lab_.delAddress("rb", "wan", routerB_ + "/24");
  lab_.addAddress("rb", "wan", newAddress + "/24");
  lab_.setDefaultRoute("rb", "198.51.100.254");
  routerB_ = newAddress;
}

}  // namespace chipmunk::test
