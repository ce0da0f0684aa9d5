// SPDX-License-Identifier: MIT
#pragma once

// The DNS provider sections both programs read: the updater's records and the API's gateway
// pushes go through a provider account ([linode], [linode:work]) declared the same way.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/ini.hpp"
#include "config/settings.hpp"

namespace chipmunk::config {

// What a DNS provider accepts in its account section (filled from the provider registry;
// the config library does not link the providers).
struct ProviderDecl {
  std::string name;
  std::vector<SettingSpec> settings;  // section left empty
  // What a [record:NAME] section served by it may set for that record alone.
  std::vector<SettingSpec> recordSettings;
};

// A provider account: [linode] or [linode:work].
struct AccountConfig {
  std::string section;                          // as written, lower-cased
  std::string provider;                         // "linode"
  std::map<std::string, std::string> settings;  // every declared key, defaults filled
  std::string where;
};

// "linode" or "linode:work" -> "linode"; empty when the section is not a provider's.
std::string providerOfSection(const std::vector<ProviderDecl>& providers,
                              const std::string& section);
// The declaration of the provider of section `section` ("linode:work"); nullptr when none.
const ProviderDecl* findProvider(const std::vector<ProviderDecl>& providers,
                                 const std::string& section);
// Declares provider section `section`'s settings in `schema`; false when it is none.
bool addProviderSection(Schema& schema, const std::vector<ProviderDecl>& providers,
                        const std::string& section);
// The provider sections (accounts) of a loaded document, every declared key filled.
std::vector<AccountConfig> providerAccounts(const std::vector<ProviderDecl>& providers,
                                            const IniDocument& doc, const Schema& schema,
                                            const Settings& settings);

// The account of provider section `name` (any case); nullptr when the file has none.
const AccountConfig* findAccount(const std::vector<AccountConfig>& accounts,
                                 const std::string& name);
// "<where>: provider section [NAME] is not in the file (providers: a, b, ...)", with "did
// you mean P? " before the list when NAME is a near miss of provider P.
std::string missingAccountError(const std::string& where, const std::string& name,
                                const std::vector<ProviderDecl>& providers);

// The records one section asks for: type a, aaaa or both (both: "LABEL/A" and
// "LABEL/AAAA"). Each is (record name, is IPv6).
std::vector<std::pair<std::string, bool>> recordsOfType(const std::string& label,
                                                        const std::string& type);

// [record:NAME], [source:NAME], [push:LABEL]: `lowerName` starts with `prefix` and names an
// instance after it.
bool isInstanceSection(const std::string& lowerName, const std::string& prefix);

}  // namespace chipmunk::config
