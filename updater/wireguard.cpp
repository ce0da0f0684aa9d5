// SPDX-License-Identifier: MIT
#include "updater/wireguard.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "common/durable_file.hpp"
#include "common/logging.hpp"
#include "providers/http/url.hpp"
#include "updater/discovery.hpp"

namespace chipmunk::updater {
namespace {

constexpr size_t kMaxPages = 100;
constexpr size_t kPageLimit = 500;  // a page of 500 records stays well under 1 MiB
constexpr size_t kMaxPublishedFile = 4096;

std::shared_ptr<spdlog::logger> wireguardLog() {
  return logging::get("wireguard");
}

std::string shortKey(const std::string& key) {
  return key.substr(0, 8) + "...";
}

// The interface's own address: IPv4 first, else a global IPv6 one.
std::string interfaceAddress(const std::string& interface) {
  std::string v6;
  for (const auto& a : localAddresses()) {
    if (a.interface != interface || !isPublishable(a.ip, true)) {
      continue;
    }
    if (a.ip.isV4()) {
      return a.ip.toString();
    }
    if (v6.empty()) {
      v6 = a.ip.toString();
    }
  }
  return v6;
}

// The allowed-ips add_peers gives a record's wg_address; empty when there is none to give.
std::string allowedIpsFor(const std::string& rule, const std::string& wgAddress) {
  const std::string host = wgAddress.substr(0, wgAddress.find('/'));
  const auto ip = IpAddress::parse(host);
  if (!ip || !isPublishable(*ip, true)) {
    return {};
  }
  const std::string hostRoute = ip->toString() + (ip->isV4() ? "/32" : "/128");
  if (rule != "subnet" || wgAddress.find('/') == std::string::npos) {
    return hostRoute;
  }
  const auto cidr = Cidr::parse(wgAddress);
  const std::string bits = wgAddress.substr(wgAddress.find('/') + 1);
  // A short prefix would take other peers' traffic: nothing wider than a /16 or a /48.
  const int prefix =
      bits.size() <= 3 && !bits.empty() && bits.find_first_not_of("0123456789") == std::string::npos
          ? std::stoi(bits)
          : -1;
  if (!cidr || prefix < (ip->isV4() ? 16 : 48)) {
    return {};
  }
  return cidr->toString();
}

// True when `allowed` overlaps an allowed-ips of a peer already on the interface.
bool overlapsPeers(const WgDump& dump, const std::string& allowed) {
  const auto wanted = Cidr::parse(allowed);
  for (const auto& peer : dump.peers) {
    for (const auto& item : peer.allowedIps) {
      const auto held = Cidr::parse(item);
      if (!wanted ||
          (held && (held->contains(wanted->address()) || wanted->contains(held->address())))) {
        return true;
      }
    }
  }
  return false;
}

// The records holding `key`, not expired: exactly one, or none when two claim it.
const MeshRecord* recordFor(const std::vector<MeshRecord>& records, const std::string& key) {
  const MeshRecord* found = nullptr;
  for (const auto& r : records) {
    if (r.publicKey == key && !r.expired) {
      if (found != nullptr) {
        wireguardLog()->warn(
            "two records hold one WireGuard key; the peer is left alone key={} "
            "records={},{}",
            shortKey(key), found->name, r.name);
        return nullptr;
      }
      found = &r;
    }
  }
  return found;
}

}  // namespace

WireguardMesh::WireguardMesh(config::WireguardConfig config, const providers::HttpOptions& http,
                             int stateDirFd, bool dryRun)
    : config_(std::move(config)),
      http_(http),
      base_(chipmunkBaseUrl(config_.apiUrl)),
      stateDirFd_(stateDirFd),
      dryRun_(dryRun) {
  http_.cancel = stop_;
}

providers::HttpRequest WireguardMesh::request(const std::string& pathAndQuery) const {
  providers::HttpRequest req;
  req.url = base_ + pathAndQuery;
  if (!config_.apiUser.empty()) {
    req.basicAuth = std::make_pair(config_.apiUser, config_.apiPassword);
  }
  return req;
}

MeshResult WireguardMesh::run() {
  std::lock_guard<std::mutex> lock(mutex_);
  MeshResult out;
  const std::string& iface = config_.interface;
  std::string error;
  const auto dump = readWgInterface(iface, error);
  if (!dump) {
    wireguardLog()->error("cannot read the WireGuard interface interface={} error=\"{}\"", iface,
                          error);
    out.lines.push_back("wireguard " + iface + " failed: " + error);
    out.failed = true;
    return out;
  }
  const auto gateway = discoverGateway(iface);
  if (config_.publish) {
    publish(*dump, gateway, out);
  }
  if (!config_.sync) {
    return out;
  }
  providers::HttpClient client(http_);
  std::vector<MeshRecord> records;
  if (!readAllHosts(client, records, error)) {
    wireguardLog()->error("cannot read the mesh records interface={} error=\"{}\"", iface, error);
    out.lines.push_back("wireguard " + iface + " sync failed: " + error);
    out.failed = true;
    return out;
  }
  MeshSelf self;
  self.publicKey = dump->publicKey;
  self.gateway = gateway;
  self.preferIPv6 = config_.preferIPv6;
  const auto* own = recordFor(records, dump->publicKey);
  self.hasIPv6 = own != nullptr && own->ipv6.has_value();
  if (config_.publish && own == nullptr && !dryRun_ && !lastPublished().empty()) {
    rememberPublished("");  // the server lost it (or never had it): publish again next time
  }
  syncPeers(*dump, self, records, out);
  if (config_.addPeers != "no") {
    addPeers(*dump, self, records, out);
  }
  return out;
}

PublishFields WireguardMesh::publishFields(const WgDump& dump,
                                           const std::optional<GatewayInfo>& gateway) const {
  PublishFields fields = {{"wg_public_key", dump.publicKey}};
  if (dump.listenPort != 0) {
    fields.emplace_back("wg_listen_port", std::to_string(dump.listenPort));
  }
  const std::string address =
      config_.address.empty() ? interfaceAddress(config_.interface) : config_.address;
  if (!address.empty()) {
    fields.emplace_back("wg_address", address);
  }
  if (gateway && gateway->lanIp && isPublishable(*gateway->lanIp, true)) {
    fields.emplace_back("lan_ip", gateway->lanIp->toString());
  }
  if (gateway && !gateway->mac.empty()) {
    fields.emplace_back("gateway_mac", gateway->mac);
  }
  if (config_.publicPort != 0) {
    fields.emplace_back("wg_public_port", std::to_string(config_.publicPort));
  }
  return fields;
}

std::string WireguardMesh::lastPublished() const {
  if (stateDirFd_ < 0) {
    return published_;
  }
  std::string text;
  std::string error;
  readRegularFile(stateDirFd_, "wireguard-" + config_.interface + ".published", kMaxPublishedFile,
                  text, error);
  return text;
}

void WireguardMesh::rememberPublished(const std::string& query) {
  published_ = query;
  std::string error;
  if (stateDirFd_ >= 0 &&
      !writeFileDurably(stateDirFd_, "wireguard-" + config_.interface + ".published", query, error,
                        0600)) {
    wireguardLog()->warn("cannot save what was published interface={} error=\"{}\"",
                         config_.interface, error);
  }
}

void WireguardMesh::publish(const WgDump& dump, const std::optional<GatewayInfo>& gateway,
                            MeshResult& out) {
  const std::string& iface = config_.interface;
  const std::string query = encodeQuery(publishFields(dump, gateway));
  if (query == lastPublished()) {
    out.lines.push_back("wireguard " + iface + " published, unchanged");
    return;
  }
  if (dryRun_) {
    out.lines.push_back("wireguard " + iface + " would publish " + query);
    return;
  }
  providers::HttpClient client(http_);
  const auto resp = client.perform(request("/set?" + query));
  if (!resp.transportOk() || resp.status != 200) {
    const std::string why = resp.transportOk() ? "HTTP " + std::to_string(resp.status) : resp.error;
    wireguardLog()->error("publish failed interface={} url={} error=\"{}\"", iface,
                          providers::redactUrl(base_ + "/set"), why);
    out.lines.push_back("wireguard " + iface + " publish failed: " + why);
    out.failed = true;
    return;
  }
  rememberPublished(query);
  wireguardLog()->info("published interface={} key={} listen_port={} lan_ip={} gateway_mac={}",
                       iface, shortKey(dump.publicKey), dump.listenPort,
                       gateway && gateway->lanIp ? gateway->lanIp->toString() : "-",
                       gateway && !gateway->mac.empty() ? gateway->mac : "-");
  out.lines.push_back("wireguard " + iface + " published");
}

bool WireguardMesh::readAllHosts(providers::HttpClient& client, std::vector<MeshRecord>& records,
                                 std::string& error) {
  std::string cursor;
  for (size_t page = 0; page < kMaxPages; ++page) {
    std::string path = "/hosts?limit=" + std::to_string(kPageLimit);
    if (!cursor.empty()) {
      path += "&cursor=" + providers::urlEncode(cursor);
    }
    const auto resp = client.perform(request(path));
    if (!resp.transportOk() || resp.status != 200) {
      error = resp.transportOk() ? "/hosts: HTTP " + std::to_string(resp.status) : resp.error;
      return false;
    }
    HostsPage parsed;
    if (!parseHostsPage(resp.body, parsed, error)) {
      error = "/hosts: " + error;
      return false;
    }
    if (page == 0) {
      version_ = parsed.version;
      withoutWatch_ = parsed.version.empty();
    }
    records.insert(records.end(), parsed.records.begin(), parsed.records.end());
    if (parsed.next.empty()) {
      return true;
    }
    cursor = parsed.next;
  }
  error = "/hosts: more than " + std::to_string(kMaxPages) + " pages";
  return false;
}

void WireguardMesh::syncPeers(const WgDump& dump, const MeshSelf& self,
                              const std::vector<MeshRecord>& records, MeshResult& out) {
  const std::string& iface = config_.interface;
  for (const auto& peer : dump.peers) {
    if (peer.publicKey == self.publicKey) {
      continue;
    }
    const MeshRecord* record = recordFor(records, peer.publicKey);
    const auto wanted = record != nullptr ? chooseEndpoint(self, *record) : std::nullopt;
    if (!wanted || (peer.endpoint && *peer.endpoint == *wanted)) {
      continue;  // unknown, stale, or already right: no churn
    }
    const std::string before = peer.endpoint ? peer.endpoint->toString() : "(none)";
    if (dryRun_) {
      out.lines.push_back("wireguard " + iface + " would set peer " + record->name + " endpoint " +
                          wanted->toString());
      continue;
    }
    std::string error;
    if (!setWgPeer(iface, peer.publicKey, *wanted, "", error)) {
      wireguardLog()->error("cannot set the peer's endpoint interface={} peer={} error=\"{}\"",
                            iface, record->name, error);
      out.failed = true;
      continue;
    }
    wireguardLog()->info("peer endpoint set interface={} peer={} key={} endpoint={} was={}", iface,
                         record->name, shortKey(peer.publicKey), wanted->toString(), before);
    out.lines.push_back("wireguard " + iface + " peer " + record->name + " endpoint " +
                        wanted->toString());
  }
}

void WireguardMesh::addPeers(const WgDump& dump, const MeshSelf& self,
                             const std::vector<MeshRecord>& records, MeshResult& out) {
  std::set<std::string> onInterface;
  for (const auto& peer : dump.peers) {
    onInterface.insert(peer.publicKey);
  }
  for (const auto& r : records) {
    if (r.publicKey.empty() || r.publicKey == self.publicKey || onInterface.count(r.publicKey) ||
        recordFor(records, r.publicKey) != &r) {
      continue;
    }
    const auto endpoint = chooseEndpoint(self, r);
    const std::string allowed = allowedIpsFor(config_.addPeers, r.wgAddress);
    if (!endpoint || allowed.empty() || overlapsPeers(dump, allowed)) {
      wireguardLog()->debug(
          "record not added as a peer (no endpoint, no usable wg_address, or its "
          "allowed-ips belong to another peer) interface={} record={}",
          config_.interface, r.name);
      continue;
    }
    std::string error;
    if (dryRun_ || !setWgPeer(config_.interface, r.publicKey, *endpoint, allowed, error)) {
      if (!dryRun_) {
        wireguardLog()->error("cannot add the peer interface={} record={} error=\"{}\"",
                              config_.interface, r.name, error);
        out.failed = true;
      }
      continue;
    }
    wireguardLog()->info("peer added interface={} peer={} key={} endpoint={} allowed_ips={}",
                         config_.interface, r.name, shortKey(r.publicKey), endpoint->toString(),
                         allowed);
    out.lines.push_back("wireguard " + config_.interface + " peer " + r.name + " added");
  }
}

}  // namespace chipmunk::updater
