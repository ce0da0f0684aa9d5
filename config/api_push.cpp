// SPDX-License-Identifier: MIT
// chipmunk-api's gateway mode: [push:LABEL] sections push a record of this server to DNS
// through a provider account ([linode], [rfc2136:lan], ...).
#include <algorithm>

#include "common/strings.hpp"
#include "config/api_steps.hpp"

namespace chipmunk::config::api_steps {
namespace {

constexpr const char* kPushPrefix = "push:";

// One [push:LABEL] section as written.
struct PushSection {
  std::string record;
  std::string provider;
  std::string host;
  std::string domain;
  std::string type;
};

SettingTable<PushSection> makePushSettings() {
  using P = PushSection;
  SettingTable<P> t;
  t.setting("", "record")
      .text(&P::record)
      .required()
      .help(
          "The record on this server: a user or a host, of the INI or of the user directory "
          "(a directory host in lower case).");
  t.setting("", "provider")
      .text(&P::provider)
      .required()
      .help("Provider section ([linode], [rfc2136:lan], ...).");
  t.setting("", "host").text(&P::host).help("Name relative to domain (empty: the apex).");
  t.setting("", "domain").text(&P::domain).required().help("The zone, e.g. example.com.");
  t.setting("", "type")
      .choice(&P::type, {"a", "aaaa", "both"})
      .byDefault("a")
      .help("a: the IPv4 address, aaaa: the IPv6 one, both.");
  return t;
}

const SettingTable<PushSection>& pushSettings() {
  static const SettingTable<PushSection> table = makePushSettings();
  return table;
}

bool validLabel(const std::string& label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*';
  });
}

bool validPushHost(const std::string& host) {
  bool ok = host.size() <= 190;
  for (size_t start = 0; ok && !host.empty() && start <= host.size();) {
    size_t dot = host.find('.', start);
    dot = dot == std::string::npos ? host.size() : dot;
    ok = validLabel(host.substr(start, dot - start));
    start = dot + 1;
  }
  return ok;
}

// The record a section names: a user as written, or a [Hosts] name lower-cased; empty when
// it is neither.
std::string pushedName(const ApiConfig& config, const std::string& record) {
  const bool isUser = std::any_of(config.users.begin(), config.users.end(),
                                  [&](const ApiUser& u) { return u.name == record; });
  const std::string name = isUser ? record : lowercase(record);
  return isUser || config.hostOwners.count(name) != 0 ? name : std::string();
}

// The targets of one [push:LABEL] section, or an error.
void loadPushSection(const std::vector<ProviderDecl>& providers, const IniSection& section,
                     const Settings& settings, ApiConfig& config,
                     std::vector<std::string>& errors) {
  const std::string& s = section.name;
  PushSection push;
  pushSettings().apply(settings, push, s);
  std::string name = pushedName(config, push.record);
  if (name.empty()) {
    if (!isValidUserName(push.record) && !isValidHostName(push.record)) {
      errors.push_back(settings.where(s, "record") + ": [" + s + "] record \"" +
                       push.record.substr(0, 64) + "\" is neither a user nor a host name");
      return;
    }
    name = push.record;  // a directory user or host, as written (checked later)
    config.ruleNames.push_back({name, "[" + s + "] record", settings.where(s, "record"), true});
  }
  const std::string accountName = lowercase(push.provider);
  const AccountConfig* account = findAccount(config.pushAccounts, accountName);
  if (account == nullptr) {
    errors.push_back(missingAccountError(settings.where(s, "provider"), accountName, providers));
    return;
  }
  const std::string domain = lowercase(push.domain);
  std::string host = lowercase(push.host);
  if (host == "@") {
    host.clear();
  }
  if (!isValidHostName(domain)) {
    errors.push_back(settings.where(s, "domain") + ": [" + s + "] domain \"" +
                     domain.substr(0, 60) + "\" is not a domain name");
    return;
  }
  if (!validPushHost(host)) {
    errors.push_back(settings.where(s, "host") + ": [" + s + "] host \"" + host.substr(0, 60) +
                     "\" is not a host name");
    return;
  }
  for (const auto& [label, v6] : recordsOfType(s.substr(5), push.type)) {
    PushTarget target;
    target.label = label;
    target.name = name;
    target.account = account->section;
    target.provider = account->provider;
    target.host = host;
    target.domain = domain;
    target.ipv6 = v6;
    target.where = settings.where(section);
    config.pushTargets.push_back(std::move(target));
  }
}

}  // namespace

void addPushSection(Schema& schema, const std::string& section) {
  pushSettings().declare(schema, section);
}

bool isPushSection(const std::string& lowerName) {
  return isInstanceSection(lowerName, kPushPrefix);
}

void loadPush(const std::vector<ProviderDecl>& providers, const IniDocument& doc,
              const Schema& schema, const Settings& settings, ApiConfig& config,
              std::vector<std::string>& errors) {
  config.pushAccounts = providerAccounts(providers, doc, schema, settings);
  std::vector<std::string> seen;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (!isPushSection(s) || std::find(seen.begin(), seen.end(), s) != seen.end()) {
      continue;
    }
    seen.push_back(s);
    loadPushSection(providers, section, settings, config, errors);
  }
}

}  // namespace chipmunk::config::api_steps
