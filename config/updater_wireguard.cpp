// SPDX-License-Identifier: MIT
// chipmunk-updater's [wireguard:IFACE] sections: publish the interface to chipmunk-api and
// point its peers' endpoints where the other records say (updater/wireguard.cpp).
#include <set>

#include "common/ip.hpp"
#include "common/strings.hpp"
#include "config/setting_table.hpp"
#include "config/updater_steps.hpp"

namespace chipmunk::config::updater_steps {
namespace {

constexpr const char* kWireguardPrefix = "wireguard:";

SettingTable<WireguardConfig> makeWireguardSettings() {
  using W = WireguardConfig;
  SettingTable<W> t;
  t.setting("", "publish")
      .flag(&W::publish)
      .byDefault("yes")
      .help(
          "Send the interface's public key and listen port (from `wg show IFACE dump`), "
          "address, LAN address and gateway MAC to [ChipmunkAPIServer] with /set; only when "
          "they changed.");
  t.setting("", "sync")
      .flag(&W::sync)
      .byDefault("yes")
      .help(
          "Point each peer already on the interface whose key a readable record holds at that "
          "record: its LAN address when it sits behind our gateway (same gateway MAC, LAN "
          "address in our prefix), else its public address.");
  t.setting("", "address")
      .text(&W::address)
      .help("The WireGuard address to publish (wg_address); empty: the interface's own.");
  t.setting("", "prefer")
      .choice(&W::preferIPv6, {{"ipv4", false}, {"ipv6", true}})
      .byDefault("ipv4")
      .help("Public endpoints: ipv6 uses a peer's IPv6 address when both records have one.");
  t.setting("", "add_peers")
      .choice(&W::addPeers, {"no", "host", "subnet"})
      .byDefault("no")
      .help(
          "Records whose key is not on the interface: no (never added), host (added with "
          "allowed-ips = the record's wg_address as /32 or /128), subnet (the wg_address "
          "as published). An allowed-ips another peer already has is never taken.");
  t.setting("", "public_port")
      .integer(&W::publicPort)
      .range(0, 65535)
      .byDefault("0")
      .help(
          "The port the NAT router forwards to the listen port, published as wg_public_port "
          "and used by peers outside the LAN; 0: the listen port itself.");
  t.setting("", "watch")
      .seconds(&W::watch)
      .range(0, 60)
      .byDefault("30s")
      .help(
          "Daemon: hold a /hosts?wait= long-poll open this long, so that a peer's change is "
          "followed in seconds; 0: only at every [Daemon] interval.");
  return t;
}

const SettingTable<WireguardConfig>& wireguardSettings() {
  static const SettingTable<WireguardConfig> table = makeWireguardSettings();
  return table;
}

// Linux interface names: 1-15 characters, none of '/', ':' or white space, not "." or "..".
bool validInterfaceName(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '@' || c == '+';
    if (!ok) {
      return false;
    }
  }
  return true;
}

void checkWireguard(const Settings& settings, const std::string& section, const WireguardConfig& wg,
                    std::vector<std::string>& errors) {
  if (!validInterfaceName(wg.interface)) {
    errors.push_back(wg.where + ": [" + section.substr(0, 60) +
                     "] is not an interface name (1-15 letters, digits, '-', '_', '.')");
  }
  const auto address = Cidr::parse(wg.address);
  if (!wg.address.empty() && (!address || !isPublishable(address->address(), true))) {
    errors.push_back(settings.where(section, "address") + ": [" + section +
                     "] address must be a host address or CIDR");
  }
  if (wg.apiUrl.empty()) {
    errors.push_back(wg.where + ": [" + section + "] needs [ChipmunkAPIServer] endpoint");
  }
}

}  // namespace

bool isWireguardSection(const std::string& lowerName) {
  return isInstanceSection(lowerName, kWireguardPrefix);
}

void addWireguardSection(Schema& schema, const std::string& section) {
  wireguardSettings().declare(schema, section);
}

void loadWireguard(const std::string& path, const IniDocument& doc, const Settings& settings,
                   UpdaterConfig& config, std::vector<std::string>& errors) {
  SourceConfig server;
  chipmunkServerSource(settings, "ChipmunkAPIServer", server);
  std::set<std::string> seen;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (!isWireguardSection(s) || !seen.insert(s).second) {
      continue;
    }
    WireguardConfig wg;
    wg.interface = section.name.substr(std::string(kWireguardPrefix).size());
    wg.where = path + ":" + std::to_string(section.line);
    wireguardSettings().apply(settings, wg, section.name);
    wg.apiUrl = server.url;
    wg.apiUser = server.username;
    wg.apiPassword = server.password;
    checkWireguard(settings, section.name, wg, errors);
    config.wireguard.push_back(std::move(wg));
  }
}

}  // namespace chipmunk::config::updater_steps
