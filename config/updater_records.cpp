// SPDX-License-Identifier: MIT
// chipmunk-updater's DNS records: [record:NAME] sections, the original client's one-record
// form ([dDNS] provider = linode, [linode] host, domain) and the checks between records.
#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "common/ip.hpp"
#include "common/strings.hpp"
#include "config/setting_table.hpp"
#include "config/updater_steps.hpp"

namespace chipmunk::config::updater_steps {
namespace {

constexpr const char* kRecordPrefix = "record:";

// One record as a section asks for it, before its checks.
struct RecordSection {
  std::string provider;
  std::string host;
  std::string domain;
  std::string type;
  std::string ipv6Suffix;
  std::optional<std::chrono::seconds> forceRefresh;  // unset: [Global] force_refresh
  std::optional<std::chrono::seconds> verifyInterval;
  std::optional<std::chrono::seconds> propagationDelay;
  std::vector<std::string> nameServers;
};

SettingTable<RecordSection> makeRecordSettings() {
  using R = RecordSection;
  SettingTable<R> t;
  t.setting("", "provider")
      .text(&R::provider)
      .help("Provider section ([linode], [linode:work]); default: [dDNS] provider.");
  t.setting("", "host")
      .text(&R::host)
      .help("Host name relative to domain (home) or fully qualified; @ or empty: the apex.");
  t.setting("", "domain").text(&R::domain).required().help("The zone (example.com).");
  t.setting("", "type")
      .choice(&R::type, {"a", "aaaa", "both"})
      .byDefault("a")
      .help("a, aaaa or both.");
  t.setting("", "ipv6_suffix")
      .text(&R::ipv6Suffix)
      .help(
          "AAAA: publish the discovered /64 prefix followed by this interface identifier "
          "(::1234:5678:9abc:def0), for a host behind the router that discovers the "
          "prefix; empty: the discovered address itself.");
  t.setting("", "force_refresh")
      .seconds(&R::forceRefresh)
      .range(0, 365 * 86400)
      .help("Overrides [Global] force_refresh.");
  t.setting("", "verify_interval")
      .seconds(&R::verifyInterval)
      .range(0, 7 * 86400)
      .help("Overrides [Global] verify_interval.");
  t.setting("", "propagation_delay")
      .seconds(&R::propagationDelay)
      .range(0, 86400)
      .help("Overrides [Global] propagation_delay.");
  t.setting("", "nameservers")
      .list(&R::nameServers)
      .help(
          "Authoritative servers to read the record back from when the provider's API cannot "
          "(host, host:port or [IPv6]:port); empty: the zone's NS records. Never a caching "
          "resolver.");
  return t;
}

const SettingTable<RecordSection>& recordSettings() {
  static const SettingTable<RecordSection> table = makeRecordSettings();
  return table;
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

// An error about the record's names or suffix, or empty.
std::string checkRecord(const std::string& name, const RecordSection& r, const std::string& where,
                        const std::string& domain, const std::string& host) {
  if (domain.empty() || domain.find('.') == std::string::npos || !validName(domain, false)) {
    return where + ": [" + name + "] domain \"" + r.domain.substr(0, 60) +
           "\" is not a domain name";
  }
  if (!validName(host, true)) {
    return where + ": [" + name + "] host \"" + r.host.substr(0, 60) + "\" is not a host name";
  }
  for (const auto& server : r.nameServers) {
    const bool ok = !server.empty() && server.size() <= 260 &&
                    std::all_of(server.begin(), server.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' ||
                             c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
                    });
    if (!ok) {
      return where + ": [" + name + "] nameservers: \"" + server.substr(0, 60) +
             "\" is not a server (host, host:port or [IPv6]:port)";
    }
  }
  if (r.ipv6Suffix.empty()) {
    return {};
  }
  const auto suffix = IpAddress::parse(r.ipv6Suffix);
  if (!suffix || !suffix->isV6() ||
      std::any_of(suffix->bytes(), suffix->bytes() + 8, [](uint8_t b) { return b != 0; })) {
    return where + ": [" + name + "] ipv6_suffix \"" + r.ipv6Suffix.substr(0, 60) +
           "\" is not an interface identifier (IPv6 text whose first 64 bits are "
           "zero, like ::1234:5678:9abc:def0)";
  }
  if (lowercase(r.type) == "a") {
    return where + ": [" + name + "] ipv6_suffix needs type = aaaa or both";
  }
  return {};
}

// What records are added from: the providers and accounts, and where to report.
struct RecordContext {
  const std::vector<ProviderDecl>& providers;
  UpdaterConfig& config;
  std::vector<std::string>& errors;
};

// Adds the records (one, or A and AAAA) that `r` asks for through account `r.provider`;
// `accountWhere` is where that account was named.
void addRecords(RecordContext& c, const std::string& name, const RecordSection& r,
                const std::string& accountWhere, const std::string& where) {
  const AccountConfig* account = findAccount(c.config.accounts, r.provider);
  if (account == nullptr) {
    c.errors.push_back(missingAccountError(accountWhere, r.provider, c.providers));
    return;
  }
  const std::string domain = lowercase(r.domain);
  const std::string host = relativeHost(r.host, domain);
  const std::string problem = checkRecord(name, r, where, domain, host);
  if (!problem.empty()) {
    c.errors.push_back(problem);
    return;
  }
  for (const auto& [label, v6] : recordsOfType(name, r.type)) {
    RecordConfig record;
    record.name = label;
    record.account = account->section;
    record.provider = account->provider;
    record.host = host;
    record.domain = domain;
    record.ipv6 = v6;
    record.ipv6Suffix = v6 ? r.ipv6Suffix : std::string();
    record.forceRefresh = r.forceRefresh.value_or(c.config.forceRefresh);
    record.verifyInterval = r.verifyInterval.value_or(c.config.verifyInterval);
    record.propagationDelay = r.propagationDelay.value_or(c.config.propagationDelay);
    record.nameServers = r.nameServers;
    record.where = where;
    c.config.records.push_back(std::move(record));
  }
}

void loadRecordSection(RecordContext& c, const std::string& path, const IniSection& section,
                       const Settings& settings) {
  const std::string where = path + ":" + std::to_string(section.line);
  RecordSection r;
  recordSettings().apply(settings, r, section.name);
  std::string accountWhere = settings.where(section.name, "provider");
  if (r.provider.empty()) {
    r.provider = c.config.defaultProvider;
    accountWhere = settings.where("dDNS", "provider");
  }
  if (r.provider.empty()) {
    c.errors.push_back(where + ": [" + section.name +
                       "] names no provider (set provider here or [dDNS] provider)");
    return;
  }
  addRecords(c, section.name.substr(7), r, accountWhere, where);
}

// The original client's one-record form: [dDNS] provider = linode, [linode] host, domain.
void loadLegacyRecord(RecordContext& c, const Settings& settings) {
  const std::string& provider = c.config.defaultProvider;
  const AccountConfig* account = findAccount(c.config.accounts, provider);
  RecordSection r;
  r.type = "a";
  if (account == nullptr) {
    r.provider = provider;
    addRecords(c, provider, r, settings.where("dDNS", "provider"), "");
    return;
  }
  const auto setting = [&](const std::string& key, const std::string& otherwise) {
    const auto it = account->settings.find(key);
    return it == account->settings.end() ? otherwise : it->second;
  };
  if (setting("domain", "").empty()) {
    if (c.config.updateDns) {
      c.errors.push_back(account->where + ": [" + account->section +
                         "] has no domain (and there is no [record:NAME] section)");
    }
    return;
  }
  r.provider = account->section;
  r.host = setting("host", "");
  r.domain = setting("domain", "");
  r.type = setting("type", "a");
  addRecords(c, account->section, r, account->where, account->where);
}

}  // namespace

bool isRecordSection(const std::string& lowerName) {
  return isInstanceSection(lowerName, kRecordPrefix);
}

void addRecordSection(Schema& schema, const std::string& section) {
  recordSettings().declare(schema, section);
}

void loadRecords(const std::string& path, const std::vector<ProviderDecl>& providers,
                 const IniDocument& doc, const Schema& schema, const Settings& settings,
                 UpdaterConfig& config, std::vector<std::string>& errors, bool earlierErrors) {
  const size_t before = errors.size();
  config.accounts = providerAccounts(path, providers, doc, schema, settings);
  RecordContext c{providers, config, errors};
  std::set<std::string> seen;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (isRecordSection(s) && seen.insert(s).second) {
      loadRecordSection(c, path, section, settings);
    }
  }
  // The shortest file: one provider section holding host and domain, and nothing else.
  if (config.records.empty() && config.defaultProvider.empty() && config.accounts.size() == 1) {
    const auto domain = config.accounts[0].settings.find("domain");
    if (domain != config.accounts[0].settings.end() && !domain->second.empty()) {
      config.defaultProvider = config.accounts[0].section;
    }
  }
  if (config.records.empty() && !config.defaultProvider.empty()) {
    loadLegacyRecord(c, settings);
  }
  if (config.updateDns && config.records.empty() && config.wireguard.empty() && !earlierErrors &&
      errors.size() == before) {
    errors.push_back(settings.where("Global", "update_dns") +
                     ": update_dns is on but no record is configured (add [record:NAME] or "
                     "[dDNS] provider with host and domain in its section)");
  }
  std::set<std::string> keys;
  for (const auto& r : config.records) {
    const std::string key = r.account + " " + r.host + "." + r.domain + (r.ipv6 ? " AAAA" : " A");
    if (!keys.insert(key).second) {
      errors.push_back(r.where + ": record " + r.name +
                       " duplicates another record (same provider, name and type)");
    }
  }
}

}  // namespace chipmunk::config::updater_steps
