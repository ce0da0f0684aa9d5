// SPDX-License-Identifier: MIT
#include "config/updater_config.hpp"

#include <algorithm>
#include <set>

#include "common/ip.hpp"
#include "common/pattern.hpp"
#include "common/strings.hpp"

namespace chipmunk::config {
namespace {

using T = SettingType;

constexpr const char* kRecordPrefix = "record:";
constexpr const char* kSourcePrefix = "source:";

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

void addBase(Schema& schema) {
  schema
      .add({"Global", "update_dns", T::kBool, "yes",
            "Update DNS records (no: only discover the address, e.g. to report it with "
            "method = set)."})
      .add({"Global", "daemonize", T::kBool, "no",
            "Run as a daemon: fork into the background and write [Daemon] pidfile. The "
            "default (no) stays in the foreground, as systemd wants."})
      .add({"Global", "verify_tls", T::kBool, "yes",
            "Verify TLS certificates (the original client did not)."})
      .add({"Global", "ca_file", T::kPath, "", "CA bundle (PEM) for TLS; empty: the system's."})
      .add({"Global", "timeout", T::kSeconds, "30s",
            "Time limit of every HTTP exchange (discovery and providers).", false, 1, 600})
      .add({"Global", "allow_private", T::kBool, "no",
            "Accept private, loopback and documentation addresses from discovery (tests, "
            "LANs). Unspecified, broadcast, multicast, link-local and reserved addresses are "
            "refused all the same."})
      .add({"Global", "force_refresh", T::kSeconds, "25d",
            "Push a record again after this long even when the address did not change, for "
            "providers that expire idle records; 0: never.",
            false, 0, 365 * 86400})
      .add({"Global", "state_dir", T::kPath, "/var/lib/chipmunk-updater",
            "Directory of the per-record state (last address pushed, when, result); created "
            "if missing."})
      .add({"Global",
            "log_level",
            T::kChoice,
            "info",
            "Log level.",
            false,
            0,
            0,
            {"trace", "debug", "info", "warn", "error", "off"}})
      .add({"ChipmunkAPIServer", "endpoint", T::kString, "",
            "Base URL of chipmunk-api (https://ip.example.net); empty: not a source."})
      .add({"ChipmunkAPIServer", "username", T::kString, "", "User name on chipmunk-api."})
      .add({"ChipmunkAPIServer", "password", T::kSecret, "", "Password on chipmunk-api."})
      .add({"ChipmunkAPIServer",
            "method",
            T::kChoice,
            "get",
            "get: read /get/ip.json; set: call /set so that the server records the address "
            "too.",
            false,
            0,
            0,
            {"get", "set"}})
      .add({"Daemon", "interval", T::kSeconds, "300", "Seconds between checks of the address.",
            false, 1, 7 * 86400})
      .add({"Daemon", "pidfile", T::kPath, "",
            "PID file, written while the daemon runs (not with --once) and removed on exit."})
      .add({"Daemon", "logfile", T::kPath, "",
            "Log file (reopened on SIGUSR1); empty: standard error."})
      .add({"Daemon", "retry_min", T::kSeconds, "60s",
            "First wait after a failed update; doubled on every failure, with jitter.", false, 1,
            86400})
      .add({"Daemon", "retry_max", T::kSeconds, "1h", "Longest wait between retries.", false, 1,
            7 * 86400})
      .add({"dDNS", "provider", T::kString, "",
            "Provider section used by the original one-record form ([linode] host, domain) "
            "and by [record:NAME] sections that name none."})
      .add({"Discovery", "order", T::kString, "",
            "Source names to try, in order (chipmunk for [ChipmunkAPIServer], NAME for "
            "[source:NAME]); empty: every source in file order."})
      .add({"Hooks", "on_change", T::kString, "",
            "Shell command run (sh -c) after a record got a new address; environment: "
            "CHIPMUNK_RECORD, CHIPMUNK_HOST, CHIPMUNK_TYPE, CHIPMUNK_PROVIDER, "
            "CHIPMUNK_OLD_IP, CHIPMUNK_NEW_IP."})
      .add({"Hooks", "timeout", T::kSeconds, "10s", "A hook still running after this is killed.",
            false, 1, 3600});
}

void addSource(Schema& schema, const std::string& s) {
  schema
      .add({s,
            "type",
            T::kChoice,
            "",
            "chipmunk (a chipmunk-api server), web (any URL), interface (a local interface) "
            "or command (its output).",
            true,
            0,
            0,
            {"chipmunk", "web", "interface", "command"}})
      .add({s, "url", T::kString, "", "chipmunk: the server's base URL; web: the URL to read."})
      .add({s, "username", T::kString, "", "HTTP Basic user (chipmunk, web)."})
      .add({s, "password", T::kSecret, "", "HTTP Basic password (chipmunk, web)."})
      .add({s, "method", T::kChoice, "get", "chipmunk: get or set.", false, 0, 0, {"get", "set"}})
      .add({s, "json_field", T::kString, "",
            "web: the reply is JSON; the address is this field (dotted path)."})
      .add({s, "regex", T::kString, "",
            "web, command: the address is the first capture group (or the whole match)."})
      .add({s, "interface", T::kString, "", "interface: the interface name (eth0)."})
      .add({s, "command", T::kString, "", "command: run with sh -c; prints the address."})
      .add({s,
            "family",
            T::kChoice,
            "any",
            "Which address family this source is asked for: any, ipv4 or ipv6.",
            false,
            0,
            0,
            {"any", "ipv4", "ipv6"}});
}

void addRecord(Schema& schema, const std::string& s) {
  schema
      .add({s, "provider", T::kString, "",
            "Provider section ([linode], [linode:work]); default: [dDNS] provider."})
      .add({s, "host", T::kString, "",
            "Host name relative to domain (home) or fully qualified; @ or empty: the apex."})
      .add({s, "domain", T::kString, "", "The zone (example.com).", true})
      .add({s, "type", T::kChoice, "a", "a, aaaa or both.", false, 0, 0, {"a", "aaaa", "both"}})
      .add({s, "ipv6_suffix", T::kString, "",
            "AAAA: publish the discovered /64 prefix followed by this interface identifier "
            "(::1234:5678:9abc:def0), for a host behind the router that discovers the "
            "prefix; empty: the discovered address itself."})
      .add({s, "force_refresh", T::kSeconds, "", "Overrides [Global] force_refresh.", false, 0,
            365 * 86400});
}

// "home.example.com." with domain "example.com" -> "home"; "@" -> "".
std::string relativeHost(std::string host, std::string domain) {
  host = lowercase(host);
  domain = lowercase(domain);
  while (!host.empty() && host.back() == '.') {
    host.pop_back();
  }
  if (host == "@" || host == domain) {
    return {};
  }
  if (host.size() > domain.size() + 1 &&
      host.compare(host.size() - domain.size() - 1, std::string::npos, "." + domain) == 0) {
    return host.substr(0, host.size() - domain.size() - 1);
  }
  return host;
}

bool validName(const std::string& name, bool allowEmpty) {
  if (name.empty()) {
    return allowEmpty;
  }
  if (name.size() > 253) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '*';
  });
}

}  // namespace

std::string providerOfSection(const std::vector<ProviderDecl>& providers,
                              const std::string& section) {
  const std::string s = lowercase(section);
  const std::string base = s.substr(0, s.find(':'));
  for (const auto& p : providers) {
    if (p.name == base) {
      return base;
    }
  }
  return {};
}

bool addProviderSection(Schema& schema, const std::vector<ProviderDecl>& providers,
                        const std::string& section) {
  const std::string p = providerOfSection(providers, section);
  for (const auto& decl : providers) {
    if (!p.empty() && decl.name == p) {
      for (auto spec : decl.settings) {
        spec.section = section;
        schema.add(std::move(spec));
      }
      return true;
    }
  }
  return false;
}

std::vector<AccountConfig> providerAccounts(const std::string& path,
                                            const std::vector<ProviderDecl>& providers,
                                            const IniDocument& doc, const Schema& schema,
                                            const Settings& settings) {
  std::vector<AccountConfig> accounts;
  std::set<std::string> seen;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    const std::string provider = providerOfSection(providers, s);
    if (provider.empty() || !seen.insert(s).second) {
      continue;
    }
    AccountConfig account;
    account.section = s;
    account.provider = provider;
    account.where = path + ":" + std::to_string(section.line);
    for (const auto& spec : schema.settings()) {
      if (lowercase(spec.section) == s) {
        account.settings[lowercase(spec.key)] = settings.getString(spec.section, spec.key);
      }
    }
    accounts.push_back(std::move(account));
  }
  return accounts;
}

Schema updaterSchema(const std::vector<ProviderDecl>& providers, const IniDocument& doc) {
  Schema schema;
  addBase(schema);
  std::set<std::string> done;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (!done.insert(s).second) {
      continue;
    }
    if (startsWith(s, kRecordPrefix) && s.size() > 7) {
      addRecord(schema, section.name);
    } else if (startsWith(s, kSourcePrefix) && s.size() > 7) {
      addSource(schema, section.name);
    } else {
      addProviderSection(schema, providers, section.name);
    }
  }
  return schema;
}

namespace {
// Everything after the settings check: sources, records, cross-checks (below).
void interpretUpdaterConfig(const std::string& path, const std::vector<ProviderDecl>& providers,
                            const IniDocument& doc, const Schema& schema, const Settings& settings,
                            UpdaterConfig& config, std::vector<std::string>& errors);
}  // namespace

bool loadUpdaterConfig(const std::string& path, const std::vector<ProviderDecl>& providers,
                       UpdaterConfig& out, std::vector<std::string>& errors) {
  IniDocument doc;
  const size_t before = errors.size();
  if (!parseIniFile(path, doc, errors) && doc.path.empty()) {
    return false;
  }
  const Schema schema = updaterSchema(providers, doc);
  Settings settings;
  loadSettings(schema, doc, settings, errors);
  // Carry on after a bad setting, so that one run reports the file's other problems too
  // (a value that failed its check stands at its default meanwhile). Should that trip over
  // the bad setting after all, the errors so far are what the user sees.
  const size_t settingErrors = errors.size();
  UpdaterConfig config;
  try {
    interpretUpdaterConfig(path, providers, doc, schema, settings, config, errors);
  } catch (const std::exception&) {
    if (settingErrors == before) {
      throw;
    }
    errors.resize(settingErrors);
    return false;
  }
  const bool ok = errors.size() == before;
  out = std::move(config);
  return ok;
}

namespace {

void interpretUpdaterConfig(const std::string& path, const std::vector<ProviderDecl>& providers,
                            const IniDocument& doc, const Schema& schema, const Settings& settings,
                            UpdaterConfig& config, std::vector<std::string>& errors) {
  const size_t before = errors.size();
  config.path = path;
  config.updateDns = settings.getBool("Global", "update_dns");
  config.daemonize = settings.getBool("Global", "daemonize");
  config.verifyTls = settings.getBool("Global", "verify_tls");
  config.caFile = settings.getString("Global", "ca_file").empty()
                      ? std::string()
                      : settings.getPath("Global", "ca_file");
  config.timeout = settings.getSeconds("Global", "timeout");
  config.allowPrivate = settings.getBool("Global", "allow_private");
  const auto forceRefresh = settings.getSeconds("Global", "force_refresh");
  config.stateDir = settings.getPath("Global", "state_dir");
  config.logLevel = lowercase(settings.getString("Global", "log_level"));
  config.interval = settings.getSeconds("Daemon", "interval");
  config.pidFile = settings.getString("Daemon", "pidfile").empty()
                       ? std::string()
                       : settings.getPath("Daemon", "pidfile");
  config.logFile = settings.getString("Daemon", "logfile").empty()
                       ? std::string()
                       : settings.getPath("Daemon", "logfile");
  config.retryMin = settings.getSeconds("Daemon", "retry_min");
  config.retryMax = settings.getSeconds("Daemon", "retry_max");
  if (config.retryMax < config.retryMin) {
    errors.push_back(settings.where("Daemon", "retry_max") +
                     ": [Daemon] retry_max is shorter than retry_min");
  }
  config.onChange = settings.getString("Hooks", "on_change");
  config.hookTimeout = settings.getSeconds("Hooks", "timeout");
  if (config.daemonize && config.logFile.empty()) {
    config.warnings.push_back(settings.where("Global", "daemonize") +
                              ": daemonize = yes without [Daemon] logfile: the log is discarded");
  }
  if (!config.verifyTls) {
    config.warnings.push_back(settings.where("Global", "verify_tls") +
                              ": TLS certificates are not verified");
  }

  // Discovery sources, in file order.
  std::vector<SourceConfig> sources;
  std::set<std::string> seenSections;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (!seenSections.insert(s).second) {
      continue;
    }
    const std::string where = path + ":" + std::to_string(section.line);
    SourceConfig src;
    src.where = where;
    if (s == "chipmunkapiserver") {
      src.url = settings.getString(section.name, "endpoint");
      if (src.url.empty()) {
        continue;
      }
      src.name = "chipmunk";
      src.kind = SourceKind::kChipmunk;
      src.username = settings.getString(section.name, "username");
      src.password = settings.getString(section.name, "password");
      src.chipmunkSet = lowercase(settings.getString(section.name, "method")) == "set";
    } else if (startsWith(s, kSourcePrefix)) {
      src.name = section.name.substr(7);
      const std::string type = lowercase(settings.getString(section.name, "type"));
      src.kind = type == "chipmunk"    ? SourceKind::kChipmunk
                 : type == "web"       ? SourceKind::kWeb
                 : type == "interface" ? SourceKind::kInterface
                                       : SourceKind::kCommand;
      src.url = settings.getString(section.name, "url");
      src.username = settings.getString(section.name, "username");
      src.password = settings.getString(section.name, "password");
      src.chipmunkSet = lowercase(settings.getString(section.name, "method")) == "set";
      src.jsonField = settings.getString(section.name, "json_field");
      src.regex = settings.getString(section.name, "regex");
      src.interface = settings.getString(section.name, "interface");
      src.command = settings.getString(section.name, "command");
      const std::string family = lowercase(settings.getString(section.name, "family"));
      src.family = family == "ipv4"   ? FamilyFilter::kIPv4
                   : family == "ipv6" ? FamilyFilter::kIPv6
                                      : FamilyFilter::kAny;
      auto need = [&](const std::string& key, const std::string& value) {
        if (value.empty()) {
          errors.push_back(where + ": [" + section.name + "] type = " + type + " needs " + key);
        }
      };
      if (src.kind == SourceKind::kChipmunk || src.kind == SourceKind::kWeb) {
        need("url", src.url);
      } else if (src.kind == SourceKind::kInterface) {
        need("interface", src.interface);
      } else {
        need("command", src.command);
      }
      if (!src.jsonField.empty() && !src.regex.empty()) {
        errors.push_back(settings.where(section.name, "regex") + ": [" + section.name +
                         "] set json_field or regex, not both");
      }
      if (!src.regex.empty()) {
        std::string why;
        if (!checkPattern(src.regex, why)) {
          errors.push_back(settings.where(section.name, "regex") + ": [" + section.name +
                           "] regex does not compile: " + why);
        }
      }
    } else {
      continue;
    }
    if (src.kind == SourceKind::kChipmunk || src.kind == SourceKind::kWeb) {
      if (!startsWith(src.url, "http://") && !startsWith(src.url, "https://")) {
        errors.push_back(where + ": [" + section.name +
                         "] url/endpoint must start with http:// or https://");
      }
    }
    sources.push_back(std::move(src));
  }
  const auto order = settings.getList("Discovery", "order");
  if (order.empty()) {
    config.sources = sources;
  } else {
    for (const auto& name : order) {
      const auto it = std::find_if(sources.begin(), sources.end(), [&](const SourceConfig& s) {
        return lowercase(s.name) == lowercase(name);
      });
      if (it == sources.end()) {
        errors.push_back(settings.where("Discovery", "order") +
                         ": [Discovery] order: no source named \"" + name.substr(0, 60) + "\"");
      } else {
        config.sources.push_back(*it);
      }
    }
  }
  if (config.sources.empty()) {
    errors.push_back(path +
                     ": no IP discovery source: set [ChipmunkAPIServer] endpoint or add a "
                     "[source:NAME] section");
  }

  config.accounts = providerAccounts(path, providers, doc, schema, settings);
  auto findAccount = [&](const std::string& name) -> const AccountConfig* {
    for (const auto& a : config.accounts) {
      if (a.section == lowercase(name)) {
        return &a;
      }
    }
    return nullptr;
  };
  const std::string defaultProvider = settings.getString("dDNS", "provider");

  auto addRecords = [&](const std::string& name, const std::string& accountName,
                        const std::string& accountWhere, const std::string& host,
                        const std::string& domain, const std::string& type,
                        std::chrono::seconds refresh, const std::string& where,
                        const std::string& ipv6Suffix = std::string()) {
    const AccountConfig* account = findAccount(accountName);
    if (account == nullptr) {
      errors.push_back(accountWhere + ": provider section [" + accountName.substr(0, 60) +
                       "] is not in the file (providers: " +
                       [&] {
                         std::string names;
                         for (const auto& p : providers) {
                           names += (names.empty() ? "" : ", ") + p.name;
                         }
                         return names;
                       }() +
                       ")");
      return;
    }
    const std::string d = lowercase(domain);
    const std::string h = relativeHost(host, d);
    if (d.empty() || d.find('.') == std::string::npos || !validName(d, false)) {
      errors.push_back(where + ": [" + name + "] domain \"" + domain.substr(0, 60) +
                       "\" is not a domain name");
      return;
    }
    if (!validName(h, true)) {
      errors.push_back(where + ": [" + name + "] host \"" + host.substr(0, 60) +
                       "\" is not a host name");
      return;
    }
    const std::string t = lowercase(type);
    if (!ipv6Suffix.empty()) {
      const auto suffix = IpAddress::parse(ipv6Suffix);
      if (!suffix || !suffix->isV6() ||
          std::any_of(suffix->bytes(), suffix->bytes() + 8, [](uint8_t b) { return b != 0; })) {
        errors.push_back(where + ": [" + name + "] ipv6_suffix \"" + ipv6Suffix.substr(0, 60) +
                         "\" is not an interface identifier (IPv6 text whose first 64 bits are "
                         "zero, like ::1234:5678:9abc:def0)");
        return;
      }
      if (t == "a") {
        errors.push_back(where + ": [" + name + "] ipv6_suffix needs type = aaaa or both");
        return;
      }
    }
    for (const bool v6 : {false, true}) {
      if ((v6 && t == "a") || (!v6 && t == "aaaa")) {
        continue;
      }
      RecordConfig record;
      record.name = t == "both" ? name + (v6 ? "/AAAA" : "/A") : name;
      record.account = account->section;
      record.provider = account->provider;
      record.host = h;
      record.domain = d;
      record.ipv6 = v6;
      record.ipv6Suffix = v6 ? ipv6Suffix : std::string();
      record.forceRefresh = refresh;
      record.where = where;
      config.records.push_back(std::move(record));
    }
  };

  seenSections.clear();
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (!startsWith(s, kRecordPrefix) || !seenSections.insert(s).second) {
      continue;
    }
    const std::string where = path + ":" + std::to_string(section.line);
    std::string account = settings.getString(section.name, "provider");
    std::string accountWhere = settings.where(section.name, "provider");
    if (account.empty()) {
      account = defaultProvider;
      accountWhere = settings.where("dDNS", "provider");
    }
    if (account.empty()) {
      errors.push_back(where + ": [" + section.name +
                       "] names no provider (set provider here or [dDNS] provider)");
      continue;
    }
    addRecords(section.name.substr(7), account, accountWhere,
               settings.getString(section.name, "host"), settings.getString(section.name, "domain"),
               settings.getString(section.name, "type"),
               settings.isSet(section.name, "force_refresh")
                   ? settings.getSeconds(section.name, "force_refresh")
                   : forceRefresh,
               where, settings.getString(section.name, "ipv6_suffix"));
  }
  // The original client's one-record form: [dDNS] provider = linode, [linode] host, domain.
  if (config.records.empty() && !defaultProvider.empty()) {
    const AccountConfig* account = findAccount(defaultProvider);
    if (account == nullptr) {
      addRecords(defaultProvider, defaultProvider, settings.where("dDNS", "provider"), "", "", "a",
                 forceRefresh, "");
    } else if (!account->settings.count("domain") || account->settings.at("domain").empty()) {
      if (config.updateDns) {
        errors.push_back(account->where + ": [" + account->section +
                         "] has no domain (and there is no [record:NAME] section)");
      }
    } else {
      addRecords(account->section, account->section, account->where, account->settings.at("host"),
                 account->settings.at("domain"),
                 account->settings.count("type") ? account->settings.at("type") : "a", forceRefresh,
                 account->where);
    }
  }
  if (config.updateDns && config.records.empty() && errors.size() == before) {
    errors.push_back(settings.where("Global", "update_dns") +
                     ": update_dns is on but no record is configured (add [record:NAME] or "
                     "[dDNS] provider with host and domain in its section)");
  }
  std::set<std::string> recordKeys;
  for (const auto& r : config.records) {
    const std::string key = r.account + " " + r.host + "." + r.domain + (r.ipv6 ? " AAAA" : " A");
    if (!recordKeys.insert(key).second) {
      errors.push_back(r.where + ": record " + r.name +
                       " duplicates another record (same provider, name and type)");
    }
  }
}

}  // namespace

}  // namespace chipmunk::config
