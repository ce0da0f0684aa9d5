// SPDX-License-Identifier: MIT
#include "config/api_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "common/password_hash.hpp"
#include "common/strings.hpp"

namespace chipmunk::config {
namespace {

Schema makeApiSchema() {
  using T = SettingType;
  Schema schema;
  schema
      .add({"Server", "listen", T::kHostPort, "127.0.0.1:8080",
            "Address and port to listen on. [::]:PORT listens on IPv6 and IPv4 (dual stack); "
            "port 0 picks a free port (the bound address is logged)."})
      .add({"Server", "threads", T::kInteger, "2", "HTTP worker threads.", false, 1, 64})
      .add({"Server", "public_ip_endpoints", T::kBool, "no",
            "Let clients without credentials use /get/ip and /get/ip.json (routers, inadyn's "
            "check-IP). /set always needs credentials."})
      .add({"Server", "trusted_proxies", T::kCidrList, "",
            "Proxies (CIDRs or addresses) whose forwarding headers are believed. Requests from "
            "any other peer are reported as the peer's own address."})
      .add({"Server",
            "client_ip_header",
            T::kChoice,
            "auto",
            "Header that names the client behind a trusted proxy; lists are read right to "
            "left, skipping trusted hops, all lines of a header as one list. auto: every one "
            "of X-Forwarded-For, Forwarded and X-Real-IP that is present must name the same "
            "client, else 400 (a proxy that sets only one passes the others on from the "
            "client). A header name: only that header.",
            false,
            0,
            0,
            {"auto", "x-forwarded-for", "x-real-ip", "forwarded"}})
      .add({"Server", "tls_certificate", T::kPath, "",
            "PEM certificate (chain) for native TLS. With tls_key set, chipmunk-api speaks "
            "HTTPS itself; the TLS handshake then runs on the single accept thread, so put "
            "nginx or Apache in front for anything exposed to the internet."})
      .add({"Server", "tls_key", T::kPath, "", "PEM private key for native TLS."})
      .add({"Paths", "client_update_dir", T::kDirectory, "",
            "Directory of the per-user records (<user>.cm holds the IP and a newline; "
            "'updated' is touched on every change). Relative to the config file.",
            true})
      .add({"Paths", "pid_file", T::kPath, "",
            "PID file, written at start-up (atomically) and removed on exit; chipmunk-api "
            "refuses to start while another live process holds it. logrotate signals the pid "
            "in it where there is no systemd. Empty: none. Relative to the config file."})
      .add({"Log", "file", T::kPath, "",
            "Log file (reopened on SIGUSR1). Empty: standard error. Relative to the config file."})
      .add({"Log",
            "level",
            T::kChoice,
            "info",
            "Log level.",
            false,
            0,
            0,
            {"trace", "debug", "info", "warn", "error", "off"}})
      .add({"Limits", "max_request_size", T::kInteger, "8192",
            "Largest request (request line, headers and body) in bytes; larger ones get 414, 431 "
            "or 413 (the limit hit in the request line, the headers or the body).",
            false, 1024, 1048576})
      .add({"Limits", "header_timeout", T::kSeconds, "10s",
            "Time a client has to send the request headers.", false, 1, 3600})
      .add({"Limits", "body_timeout", T::kSeconds, "30s", "Time a client has to send the body.",
            false, 1, 3600})
      .add({"Limits", "keepalive_timeout", T::kSeconds, "60s",
            "Idle keep-alive connections are closed after this long.", false, 1, 86400})
      .add({"Limits", "max_failed_logins", T::kInteger, "10",
            "Failed logins allowed per client address within failed_login_window before it "
            "gets 429; 0 turns the limit off.",
            false, 0, 100000})
      .add({"Limits", "failed_login_window", T::kSeconds, "60s",
            "Window in which failed logins are counted.", false, 1, 86400})
      .add({"Limits", "failed_login_lockout", T::kSeconds, "5m",
            "How long a client address that reached the limit gets 429.", false, 1, 86400})
      .add({"Store", "flush_interval", T::kSeconds, "60s",
            "How often 'last seen' times are written out (the IP itself is written at once).",
            false, 1, 86400})
      .add({"Access", "read_all", T::kString, "",
            "Users (comma-separated) who may read every record (/hosts, the page); others "
            "read only the records they own."})
      .add({"Records", "default_ttl", T::kSeconds, "0",
            "A record not refreshed (/set, /nic/update) for this long expires: its address is "
            "removed and on_expire runs. 0: records never expire.",
            false, 0, 365 * 86400})
      .add({"Records", "max_ttl", T::kSeconds, "30d",
            "Largest TTL a client may ask for with /set?ttl=...", false, 60, 365 * 86400})
      .add({"Records", "stale_after", T::kSeconds, "15m",
            "The address book marks records not seen for this long as stale.", false, 60,
            365 * 86400})
      .add({"DynDNS", "max_hosts", T::kInteger, "20",
            "Most host names one /nic/update may name; more get 'numhost'.", false, 1, 1000})
      .add({"DynDNS", "abuse_nochg_limit", T::kInteger, "10",
            "A host that gets this many 'nochg' answers within abuse_window is answered "
            "'abuse' for abuse_block.",
            false, 1, 100000})
      .add({"DynDNS", "abuse_window", T::kSeconds, "1h", "Window for abuse_nochg_limit.", false, 1,
            86400})
      .add({"DynDNS", "abuse_block", T::kSeconds, "1h",
            "How long an abusive host is answered 'abuse'.", false, 1, 7 * 86400})
      .add({"Hooks", "on_change", T::kString, "",
            "Shell command run (sh -c) when a record's address changes; environment: "
            "CHIPMUNK_EVENT, CHIPMUNK_USER, CHIPMUNK_HOST, CHIPMUNK_OLD_IP, CHIPMUNK_NEW_IP, "
            "CHIPMUNK_OLD_IPV6, CHIPMUNK_NEW_IPV6."})
      .add({"Hooks", "on_expire", T::kString, "",
            "Shell command run when a record expires (same environment; NEW values empty)."})
      .add({"Hooks", "timeout", T::kSeconds, "10s",
            "A hook still running after this long is killed.", false, 1, 3600})
      .add({"Push", "retry_min", T::kSeconds, "30s",
            "Gateway mode: first wait after a failed push to a DNS provider; doubled on every "
            "failure, with jitter.",
            false, 1, 86400})
      .add({"Push", "retry_max", T::kSeconds, "1h", "Gateway mode: longest wait between retries.",
            false, 1, 604800})
      .add({"Push", "timeout", T::kSeconds, "30s",
            "Gateway mode: time limit of every exchange with a provider.", false, 1, 600})
      .add({"Push", "verify_tls", T::kBool, "yes", "Gateway mode: verify providers' certificates."})
      .add({"Push", "ca_file", T::kString, "",
            "Gateway mode: CA bundle (PEM); empty: the system's."})
      .addDynamicSection({"Hosts", "host name (FQDN)", "owning user",
                          [](const std::string& host, const std::string& owner) -> std::string {
                            if (!isValidHostName(host)) {
                              return "invalid host name \"" + host.substr(0, 64) +
                                     "\": expected a fully qualified domain name";
                            }
                            if (owner.empty()) {
                              return "host " + host + " has no owner";
                            }
                            return {};
                          }})
      .addDynamicSection({"TTL", "user or host name", "duration (0: never expires)",
                          [](const std::string& name, const std::string& value) -> std::string {
                            long long seconds = 0;
                            if (!parseSeconds(value, seconds) || seconds > 365 * 86400) {
                              return "TTL of " + name.substr(0, 64) +
                                     ": expected a duration up to 365d, got \"" +
                                     value.substr(0, 40) + "\"";
                            }
                            return {};
                          }})
      .addDynamicSection(
          {"Users", "user name", "password or $pbkdf2-sha256$ hash",
           [](const std::string& name, const std::string& secret) -> std::string {
             if (!isValidUserName(name)) {
               return "invalid user name \"" + name.substr(0, 64) +
                      "\": use letters, digits, '.', '_', '-', '@' (at most 64, starting with "
                      "a letter or digit)";
             }
             if (secret.empty()) {
               return "user " + name + " has an empty password";
             }
             if (looksLikePasswordHash(secret)) {
               const std::string problem = checkPasswordHash(secret);
               if (!problem.empty()) {
                 return "user " + name + ": " + problem;
               }
             }
             return {};
           }});
  return schema;
}

constexpr const char* kPushPrefix = "push:";

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

void addPushSection(Schema& schema, const std::string& s) {
  using T = SettingType;
  schema
      .add({s, "record", T::kString, "", "The record on this server: a user or a [Hosts] name.",
            true})
      .add(
          {s, "provider", T::kString, "", "Provider section ([linode], [rfc2136:lan], ...).", true})
      .add({s, "host", T::kString, "", "Name relative to domain (empty: the apex)."})
      .add({s, "domain", T::kString, "", "The zone, e.g. example.com.", true})
      .add({s,
            "type",
            T::kChoice,
            "a",
            "a: the IPv4 address, aaaa: the IPv6 one, both.",
            false,
            0,
            0,
            {"a", "aaaa", "both"}});
}

// The fixed sections plus, for every [push:LABEL] and provider section of the document,
// that section's settings.
Schema apiSchemaFor(const std::vector<ProviderDecl>& providers, const IniDocument& doc);

bool validLabel(const std::string& label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*';
  });
}

}  // namespace

const Schema& apiSchema() {
  static const Schema schema = makeApiSchema();
  return schema;
}

bool isValidUserName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-' && c != '@'))) {
      return false;
    }
  }
  return true;
}

bool isValidHostName(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.find('.') == std::string::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) {
      dot = name.size();
    }
    const size_t len = dot - start;
    if (len == 0 || len > 63 || name[start] == '-' || name[dot - 1] == '-') {
      return false;
    }
    for (size_t i = start; i < dot; ++i) {
      const char c = name[i];
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) {
        return false;
      }
    }
    start = dot + 1;
  }
  return true;
}

std::vector<std::string> ApiConfig::namesOwnedBy(const std::string& user) const {
  std::vector<std::string> names{user};
  for (const auto& [host, owner] : hostOwners) {
    if (owner == user) {
      names.push_back(host);
    }
  }
  return names;
}

bool ApiConfig::mayReadAll(const std::string& user) const {
  return std::find(readAll.begin(), readAll.end(), user) != readAll.end();
}

std::chrono::seconds ApiConfig::ttlFor(const std::string& name) const {
  const auto it = ttlOverrides.find(name);
  if (it != ttlOverrides.end()) {
    return it->second;
  }
  // A host without its own TTL takes its owner's.
  const auto host = hostOwners.find(name);
  if (host != hostOwners.end()) {
    const auto owner = ttlOverrides.find(host->second);
    if (owner != ttlOverrides.end()) {
      return owner->second;
    }
  }
  return defaultTtl;
}

namespace {

Schema apiSchemaFor(const std::vector<ProviderDecl>& providers, const IniDocument& doc) {
  Schema schema = apiSchema();
  std::vector<std::string> done;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (std::find(done.begin(), done.end(), s) != done.end()) {
      continue;
    }
    done.push_back(s);
    if (startsWith(s, kPushPrefix) && s.size() > 5) {
      addPushSection(schema, section.name);
    } else {
      addProviderSection(schema, providers, section.name);
    }
  }
  return schema;
}

// Gateway mode: provider accounts and [push:LABEL] sections, checked against the users and
// hosts.
void loadPush(const std::string& path, const std::vector<ProviderDecl>& providers,
              const IniDocument& doc, const Schema& schema, const Settings& settings,
              ApiConfig& config, std::vector<std::string>& errors) {
  config.pushRetryMin = settings.getSeconds("Push", "retry_min");
  config.pushRetryMax = settings.getSeconds("Push", "retry_max");
  config.pushTimeout = settings.getSeconds("Push", "timeout");
  config.pushVerifyTls = settings.getBool("Push", "verify_tls");
  config.pushCaFile = settings.getString("Push", "ca_file").empty()
                          ? std::string()
                          : settings.getPath("Push", "ca_file");
  config.pushAccounts = providerAccounts(path, providers, doc, schema, settings);
  std::vector<std::string> seen;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (!startsWith(s, kPushPrefix) || std::find(seen.begin(), seen.end(), s) != seen.end()) {
      continue;
    }
    seen.push_back(s);
    const std::string where = path + ":" + std::to_string(section.line);
    const std::string label = section.name.substr(5);
    const std::string record = settings.getString(section.name, "record");
    const bool isUser = std::any_of(config.users.begin(), config.users.end(),
                                    [&](const ApiUser& u) { return u.name == record; });
    const std::string name = isUser ? record : lowercase(record);
    if (!isUser && config.hostOwners.count(name) == 0) {
      errors.push_back(settings.where(section.name, "record") + ": [" + section.name +
                       "] record \"" + record.substr(0, 64) +
                       "\" is neither a user nor a [Hosts] name");
      continue;
    }
    const std::string accountName = lowercase(settings.getString(section.name, "provider"));
    const auto account =
        std::find_if(config.pushAccounts.begin(), config.pushAccounts.end(),
                     [&](const AccountConfig& a) { return a.section == accountName; });
    if (account == config.pushAccounts.end()) {
      std::string names;
      for (const auto& p : providers) {
        names += (names.empty() ? "" : ", ") + p.name;
      }
      errors.push_back(settings.where(section.name, "provider") + ": provider section [" +
                       accountName.substr(0, 60) + "] is not in the file (providers: " + names +
                       ")");
      continue;
    }
    const std::string domain = lowercase(settings.getString(section.name, "domain"));
    std::string host = lowercase(settings.getString(section.name, "host"));
    if (host == "@") {
      host.clear();
    }
    if (!isValidHostName(domain)) {
      errors.push_back(settings.where(section.name, "domain") + ": [" + section.name +
                       "] domain \"" + domain.substr(0, 60) + "\" is not a domain name");
      continue;
    }
    bool hostOk = host.size() <= 190;
    for (size_t start = 0; hostOk && !host.empty() && start <= host.size();) {
      size_t dot = host.find('.', start);
      dot = dot == std::string::npos ? host.size() : dot;
      hostOk = validLabel(host.substr(start, dot - start));
      start = dot + 1;
    }
    if (!hostOk) {
      errors.push_back(settings.where(section.name, "host") + ": [" + section.name + "] host \"" +
                       host.substr(0, 60) + "\" is not a host name");
      continue;
    }
    const std::string type = lowercase(settings.getString(section.name, "type"));
    for (const bool v6 : {false, true}) {
      if ((v6 && type == "a") || (!v6 && type == "aaaa")) {
        continue;
      }
      PushTarget target;
      target.label = type == "both" ? label + (v6 ? "/AAAA" : "/A") : label;
      target.name = name;
      target.account = account->section;
      target.provider = account->provider;
      target.host = host;
      target.domain = domain;
      target.ipv6 = v6;
      target.where = where;
      config.pushTargets.push_back(std::move(target));
    }
  }
}

}  // namespace

bool loadApiConfig(const std::string& path, ApiConfig& out, std::vector<std::string>& errors) {
  return loadApiConfig(path, {}, out, errors);
}

bool loadApiConfig(const std::string& path, const std::vector<ProviderDecl>& providers,
                   ApiConfig& out, std::vector<std::string>& errors) {
  IniDocument doc;
  const size_t before = errors.size();
  if (!parseIniFile(path, doc, errors) && doc.path.empty()) {
    return false;  // could not be read at all
  }
  const Schema schema = apiSchemaFor(providers, doc);
  Settings settings;
  loadSettings(schema, doc, settings, errors);
  if (errors.size() != before) {
    return false;
  }
  ApiConfig config;
  config.path = path;
  parseHostPort(settings.getString("Server", "listen"), config.listenHost, config.listenPort);
  config.threads = static_cast<int>(settings.getInt("Server", "threads"));
  config.publicIpEndpoints = settings.getBool("Server", "public_ip_endpoints");
  for (const auto& item : settings.getList("Server", "trusted_proxies")) {
    config.trustedProxies.push_back(*Cidr::parse(item));
  }
  const std::string header = lowercase(settings.getString("Server", "client_ip_header"));
  config.clientIpHeader = header == "x-forwarded-for" ? ClientIpHeader::kXForwardedFor
                          : header == "x-real-ip"     ? ClientIpHeader::kXRealIp
                          : header == "forwarded"     ? ClientIpHeader::kForwarded
                                                      : ClientIpHeader::kAuto;
  config.dataDir = settings.getPath("Paths", "client_update_dir");
  if (char* real = ::realpath(config.dataDir.c_str(), nullptr)) {
    config.dataDir = real;
    std::free(real);
  }
  const bool hasCert = !settings.getString("Server", "tls_certificate").empty();
  const bool hasKey = !settings.getString("Server", "tls_key").empty();
  if (hasCert != hasKey) {
    errors.push_back(settings.where("Server", hasCert ? "tls_certificate" : "tls_key") +
                     ": [Server] tls_certificate and tls_key go together");
    return false;
  }
  if (hasCert) {
    config.tlsCertificate = settings.getPath("Server", "tls_certificate");
    config.tlsKey = settings.getPath("Server", "tls_key");
    for (const auto* f : {&config.tlsCertificate, &config.tlsKey}) {
      if (::access(f->c_str(), R_OK) != 0) {
        errors.push_back(
            settings.where("Server", f == &config.tlsKey ? "tls_key" : "tls_certificate") +
            ": cannot read " + *f);
      }
    }
    if (errors.size() != before) {
      return false;
    }
  }
  config.pidFile = settings.getString("Paths", "pid_file").empty()
                       ? std::string()
                       : settings.getPath("Paths", "pid_file");
  config.logFile = settings.isSet("Log", "file") && !settings.getString("Log", "file").empty()
                       ? settings.getPath("Log", "file")
                       : std::string();
  config.logLevel = lowercase(settings.getString("Log", "level"));
  config.maxRequestSize = static_cast<size_t>(settings.getInt("Limits", "max_request_size"));
  config.headerTimeout = settings.getSeconds("Limits", "header_timeout");
  config.bodyTimeout = settings.getSeconds("Limits", "body_timeout");
  config.keepaliveTimeout = settings.getSeconds("Limits", "keepalive_timeout");
  config.maxFailedLogins = static_cast<int>(settings.getInt("Limits", "max_failed_logins"));
  config.failedLoginWindow = settings.getSeconds("Limits", "failed_login_window");
  config.failedLoginLockout = settings.getSeconds("Limits", "failed_login_lockout");
  config.flushInterval = settings.getSeconds("Store", "flush_interval");
  for (const auto& entry : settings.entries("Users")) {
    ApiUser user;
    user.name = entry.key;
    user.secret = entry.value;
    user.hashed = looksLikePasswordHash(entry.value);
    user.where = path + ":" + std::to_string(entry.line);
    if (!user.hashed) {
      config.warnings.push_back(user.where + ": user " + user.name +
                                " has a plaintext password; store a hash from "
                                "'chipmunk-api hash-password' instead");
    }
    config.users.push_back(std::move(user));
  }
  // The address book: cross-checks between sections.
  std::map<std::string, std::string> userWhere;
  for (const auto& user : config.users) {
    userWhere[user.name] = user.where;
  }
  for (const auto& entry : settings.entries("Hosts")) {
    const std::string host = lowercase(entry.key);
    const std::string where = path + ":" + std::to_string(entry.line);
    if (userWhere.count(entry.value) == 0) {
      errors.push_back(where + ": [Hosts] " + host + ": owner \"" + entry.value.substr(0, 64) +
                       "\" is not in [Users]");
    } else if (userWhere.count(host) != 0) {
      errors.push_back(where + ": [Hosts] " + host + " is also a user name");
    } else if (!config.hostOwners.emplace(host, entry.value).second) {
      errors.push_back(where + ": [Hosts] " + host + " is listed more than once");
    }
  }
  for (const auto& name : settings.getList("Access", "read_all")) {
    if (userWhere.count(name) == 0) {
      errors.push_back(settings.where("Access", "read_all") + ": [Access] read_all: \"" +
                       name.substr(0, 64) + "\" is not in [Users]");
    }
    config.readAll.push_back(name);
  }
  for (const auto& entry : settings.entries("TTL")) {
    const std::string name = userWhere.count(entry.key) != 0 ? entry.key : lowercase(entry.key);
    if (userWhere.count(name) == 0 && config.hostOwners.count(name) == 0) {
      errors.push_back(path + ":" + std::to_string(entry.line) + ": [TTL] \"" +
                       entry.key.substr(0, 64) + "\" is neither a user nor a host");
      continue;
    }
    long long seconds = 0;
    parseSeconds(entry.value, seconds);
    config.ttlOverrides[name] = std::chrono::seconds(seconds);
  }
  config.defaultTtl = settings.getSeconds("Records", "default_ttl");
  config.maxTtl = settings.getSeconds("Records", "max_ttl");
  config.staleAfter = settings.getSeconds("Records", "stale_after");
  config.dyndnsMaxHosts = static_cast<int>(settings.getInt("DynDNS", "max_hosts"));
  config.abuseNochgLimit = static_cast<int>(settings.getInt("DynDNS", "abuse_nochg_limit"));
  config.abuseWindow = settings.getSeconds("DynDNS", "abuse_window");
  config.abuseBlock = settings.getSeconds("DynDNS", "abuse_block");
  config.onChange = settings.getString("Hooks", "on_change");
  config.onExpire = settings.getString("Hooks", "on_expire");
  config.hookTimeout = settings.getSeconds("Hooks", "timeout");
  loadPush(path, providers, doc, schema, settings, config, errors);
  if (errors.size() != before) {
    return false;
  }
  if (config.users.empty()) {
    config.warnings.push_back(path + ": no [Users] defined; every authenticated request will fail");
  }
  out = std::move(config);
  return true;
}

}  // namespace chipmunk::config
