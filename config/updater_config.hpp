// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "config/provider_sections.hpp"
#include "config/settings.hpp"

namespace chipmunk::config {

enum class SourceKind { kChipmunk, kWeb, kInterface, kCommand, kBuiltin };
enum class FamilyFilter { kAny, kIPv4, kIPv6 };

// One IP discovery source: [ChipmunkAPIServer] (the original client's) or [source:NAME].
struct SourceConfig {
  std::string name;  // "chipmunk" for [ChipmunkAPIServer], NAME for [source:NAME]
  SourceKind kind = SourceKind::kWeb;
  std::string url;  // chipmunk: the server's base URL; web: the URL to read
  std::string username;
  std::string password;
  bool chipmunkSet = false;  // method = set: call /set so the server records the address
  std::string jsonField;     // web: read this (dotted) field of a JSON reply
  std::string regex;         // web/command: first capture group (or whole match) is the IP
  std::string interface;     // interface: its name ("eth0")
  std::string command;       // command: run with sh -c; its output holds the IP
  FamilyFilter family = FamilyFilter::kAny;
  // Who runs it: consensus counts operators, not sources. A built-in's comes from its row
  // (config/builtin_sources.cpp); a [source:NAME]'s is its `operator`, or NAME.
  std::string operatorName;
  std::string where;  // path:line of the section, for messages
};

struct RecordConfig {
  std::string name;     // [record:NAME] (with "/A" or "/AAAA" when type = both), or the
                        // provider section of the legacy form
  std::string account;  // provider section
  std::string provider;
  std::string host;  // relative to domain; empty for the apex
  std::string domain;
  bool ipv6 = false;  // AAAA instead of A
  // AAAA only: when set, the published address is the discovered address's /64 prefix
  // followed by the last 64 bits of this (ipv6_suffix = ::1234:5678:9abc:def0), for a host
  // behind a router that discovers the router's prefix.
  std::string ipv6Suffix;
  std::chrono::seconds forceRefresh{0};
  // Drift repair: read the record back this often (0: never), not sooner than
  // propagationDelay after a push; ask these servers (empty: the zone's NS) when the
  // provider's API cannot read it.
  std::chrono::seconds verifyInterval{0};
  std::chrono::seconds propagationDelay{0};
  std::vector<std::string> nameServers;
  std::string where;
};

// A [wireguard:IFACE] section: the interface's details published to chipmunk-api, and its
// peers' endpoints pointed where the other records say (config/updater_wireguard.cpp).
struct WireguardConfig {
  std::string interface;  // IFACE, checked as an interface name
  bool publish = false;   // send key, port, addresses and gateway MAC with /set
  bool sync = false;      // set the endpoints of the peers already on the interface
  std::string address;    // the WireGuard address to publish; empty: the interface's
  bool preferIPv6 = false;
  std::string addPeers;          // "no", "host" (wg_address/32 or /128) or "subnet" (as published)
  int publicPort = 0;            // published as wg_public_port (0: not published)
  std::chrono::seconds watch{};  // long-poll wait of the daemon's watch; 0: no watch
  // [ChipmunkAPIServer]: where and as whom.
  std::string apiUrl;
  std::string apiUser;
  std::string apiPassword;
  std::string where;  // path:line of the section
};

// Every field a setting fills takes its default from that setting's row
// (config/updater_settings.cpp), never from an initializer here.
struct UpdaterConfig {
  UpdaterConfig();

  std::string path;
  // [Global]
  bool updateDns = false;
  bool daemonize = false;
  bool verifyTls = false;
  std::string caFile;
  std::chrono::seconds timeout{};
  bool allowPrivate = false;
  std::chrono::seconds forceRefresh{};      // a record's own force_refresh overrides it
  std::chrono::seconds verifyInterval{};    // a record's own verify_interval overrides it
  std::chrono::seconds propagationDelay{};  // a record's own propagation_delay overrides it
  std::string stateDir;
  std::string logLevel;
  // [Daemon]
  std::chrono::seconds interval{};
  std::string pidFile;
  std::string logFile;  // empty: standard error
  std::chrono::seconds retryMin{};
  std::chrono::seconds retryMax{};
  // [dDNS], [Discovery], [Hooks]
  std::string defaultProvider;              // for records that name none
  std::vector<std::string> discoveryOrder;  // empty: every source in file order
  int consensus = 0;  // as set; 0: 2 with the built-ins alone, else 1 (effectiveConsensus)
  std::string onChange;
  std::chrono::seconds hookTimeout{};

  std::vector<SourceConfig> sources;  // in the order they are tried
  bool builtinDefaults = false;       // no source configured: every built-in, in table order

  // How many independent operators must agree on an address before it is published.
  int effectiveConsensus() const { return consensus > 0 ? consensus : builtinDefaults ? 2 : 1; }
  std::vector<AccountConfig> accounts;
  std::vector<RecordConfig> records;
  std::vector<WireguardConfig> wireguard;
  std::vector<std::string> warnings;
};

// The schema for one file: the fixed sections plus, for every [record:NAME],
// [source:NAME] and provider section the document has, that section's settings.
Schema updaterSchema(const std::vector<ProviderDecl>& providers, const IniDocument& doc);

// Loads and validates a chipmunk-updater config file (the original Chipmunk client's
// file works unchanged). Every problem goes to `errors` as "path:line: message"; a bad
// setting does not stop the checks that follow it. On failure `out` holds what could be
// read (for further checks, such as building the providers), never a config to run.
bool loadUpdaterConfig(const std::string& path, const std::vector<ProviderDecl>& providers,
                       UpdaterConfig& out, std::vector<std::string>& errors);

}  // namespace chipmunk::config
