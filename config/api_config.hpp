// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "config/ownership.hpp"
#include "config/provider_sections.hpp"
#include "config/settings.hpp"
#include "config/shared_list.hpp"

namespace chipmunk::config {

// Which proxy header names the client when the socket peer is a trusted proxy.
enum class ClientIpHeader { kAuto, kXForwardedFor, kXRealIp, kForwarded };

// Where chipmunk-api keeps its data ([Store] backend).
enum class StoreBackend { kFile, kPostgresql };

struct ApiUser {
  std::string name;
  std::string secret;  // plaintext or "$pbkdf2-sha256$..."
  bool hashed = false;
  std::string where;  // path:line, for messages
};

// Gateway mode: a record of this server pushed to DNS through a provider ([push:LABEL]).
struct PushTarget {
  std::string label;    // LABEL, with "/A" or "/AAAA" appended when type = both
  std::string name;     // the record on this server: a user or a [Hosts] name
  std::string account;  // provider section ("rfc2136:lan")
  std::string provider;
  std::string host;  // relative to domain; empty for the apex
  std::string domain;
  bool ipv6 = false;  // AAAA instead of A
  std::string where;
};

// [Metrics] access: who may read /metrics without being one of [Metrics] users.
enum class MetricsAccess {
  kLoopback,       // a peer on loopback sending no forwarding header; others: credentials
  kAuthenticated,  // always credentials of one of [Metrics] users
  kOpen,           // anyone
  kOff,            // no /metrics (404)
};

// [Mesh:NAME]: the records of the members are readable by every member.
struct MeshConfig {
  std::string name;
  std::vector<std::string> members;
  std::string where;  // path:line of members, for messages
};

// A name an address-book rule gives something to ([Access] read_all, [Metrics] users,
// [Mesh:NAME] members: a user; [TTL], [push:LABEL] record: a user or a host) that the INI's
// [Users]/[Hosts] do not define: it may be a directory user or host (api/directory.hpp,
// `chipmunk-api user|host add`), which the loader cannot see. The rule keeps the name as
// written and unknownRuleNames() checks it once the directory is merged in.
struct RuleName {
  std::string name;
  std::string rule;   // "[Access] read_all", for messages
  std::string where;  // path:line
  bool hostToo = false;
};

// Every field a setting fills takes its default from that setting's row
// (config/api_server_settings.cpp), never from an initializer here.
struct ApiConfig {
  ApiConfig();

  std::string path;
  // [Server]
  std::string listenHost;
  uint16_t listenPort = 0;
  int threads = 0;
  bool publicIpEndpoints = false;
  std::vector<Cidr> trustedProxies;
  ClientIpHeader clientIpHeader = ClientIpHeader::kAuto;
  std::string tlsCertificate;  // both empty: plain HTTP
  std::string tlsKey;
  size_t maxWatchers = 0;  // GET /hosts?wait= requests held at once
  size_t maxWatchersPerUser = 0;
  // [Paths], [Log]
  std::string dataDir;
  std::string pidFile;  // empty: none
  std::string logFile;  // empty: stderr
  std::string logLevel;
  // [Limits], [Store]
  size_t maxRequestSize = 0;
  std::chrono::seconds headerTimeout{};
  std::chrono::seconds bodyTimeout{};
  std::chrono::seconds keepaliveTimeout{};
  int maxFailedLogins = 0;
  std::chrono::seconds failedLoginWindow{};
  std::chrono::seconds failedLoginLockout{};
  std::chrono::seconds flushInterval{};
  StoreBackend storeBackend = StoreBackend::kFile;
  std::string postgresqlConninfo;  // a secret: may hold a password
  int postgresqlPoolSize = 0;
  int userCache = 0;  // directory users cached by a replica (PostgreSQL backend)
  // [Users]: shared by copies of the configuration (copy on write).
  SharedList<ApiUser> users;

  // The address book: [Hosts], [Access], [TTL], [Records], [DynDNS], [Hooks].
  std::map<std::string, std::string> hostOwners;  // extra host name -> owning user
  std::vector<std::string> readAll;               // users who may read every record
  std::vector<MeshConfig> meshes;
  std::chrono::seconds defaultTtl{};  // 0: records never expire
  std::chrono::seconds maxTtl{};
  std::chrono::seconds staleAfter{};
  std::map<std::string, std::chrono::seconds> ttlOverrides;  // user or host name -> TTL
  int dyndnsMaxHosts = 0;
  int abuseNochgLimit = 0;
  std::chrono::seconds abuseWindow{};
  std::chrono::seconds abuseBlock{};
  std::string onChange;  // shell commands; empty: none
  std::string onExpire;
  std::chrono::seconds hookTimeout{};
  // Gateway mode: provider accounts and the records pushed through them ([Push], [push:LABEL]).
  std::vector<AccountConfig> pushAccounts;
  std::vector<PushTarget> pushTargets;
  std::chrono::seconds pushRetryMin{};
  std::chrono::seconds pushRetryMax{};
  std::chrono::seconds pushTimeout{};
  bool pushVerifyTls = false;
  std::string pushCaFile;
  // [Metrics]: who may read /metrics (api/metrics.hpp).
  MetricsAccess metricsAccess = MetricsAccess::kLoopback;
  std::vector<std::string> metricsUsers;  // users who may read it with their credentials

  // Who owns what, from users, hostOwners, readAll and meshes: built by loadApiConfig, and by
  // indexOwnership() for a configuration assembled by hand (or changed after loading);
  // shared by copies. Null until built: nobody owns anything.
  std::shared_ptr<const OwnershipIndex> ownership;
  // `source`: names beyond users and hostOwners (the PostgreSQL directory, not loaded).
  void indexOwnership(std::shared_ptr<const OwnershipSource> source = nullptr);

  // Names `user` may update (its own name first, then the hosts it owns).
  std::vector<std::string> namesOwnedBy(const std::string& user) const {
    return ownership ? ownership->namesOwnedBy(user) : std::vector<std::string>{user};
  }
  bool mayReadAll(const std::string& user) const {
    return ownership && ownership->mayReadAll(user);
  }
  // THE read rule of /hosts, /hosts/<name>, the watch and the page: whether `reader` may
  // read the records owned by `owner` (its own, read_all, or a mesh in common).
  bool mayReadRecordsOf(const std::string& reader, const std::string& owner) const {
    return ownership && ownership->mayRead(reader, owner);
  }
  // Every name whose record `reader` may read when it may not read all: the names of its
  // own and of its mesh peers, sorted.
  std::vector<std::string> namesReadableBy(const std::string& reader) const;
  // The user who owns record `name`; empty when it is not (or no longer) configured.
  std::string ownerOf(const std::string& name) const {
    return ownership ? ownership->ownerOf(name) : std::string();
  }
  // [TTL] of `name`, else of its owner (ownerOf: the same owner the access rules use), else
  // defaultTtl. May throw as ownerOf() does (the PostgreSQL directory away).
  std::chrono::seconds ttlFor(const std::string& name) const;

  // Start-up warnings (e.g. plaintext passwords), one line each.
  std::vector<std::string> warnings;
  // The rules' names the INI does not define (checked against the directory).
  std::vector<RuleName> ruleNames;
};

// One "path:line: message" for each of `merged.ruleNames` that names nobody in `merged` (a
// configuration with the directory merged in): asked by name of the ownership index (a
// user, or the owner of a host), never by a walk over the users.
std::vector<std::string> unknownRuleNames(const ApiConfig& merged);

const Schema& apiSchema();

// User names become file names (<client_update_dir>/<name>.cm): letters, digits, '.', '_',
// '-' and '@', starting with a letter or digit, at most 64 characters.
bool isValidUserName(const std::string& name);

// A host name as dyndns2 clients send it: dot-separated labels of letters, digits and
// '-' (not at either end of a label), at least two labels, at most 253 characters.
bool isValidHostName(const std::string& name);

// Loads and validates a chipmunk-api config file. All problems go to `errors` as
// "path:line: message"; returns false if there was any.
bool loadApiConfig(const std::string& path, ApiConfig& out, std::vector<std::string>& errors);
// The same, accepting the provider sections in `providers` ([linode], [rfc2136:lan], ...)
// and [push:LABEL] sections that push records through them (gateway mode).
bool loadApiConfig(const std::string& path, const std::vector<ProviderDecl>& providers,
                   ApiConfig& out, std::vector<std::string>& errors);

}  // namespace chipmunk::config
