// SPDX-License-Identifier: MIT
#include "config/provider_sections.hpp"

#include <set>

#include "common/strings.hpp"

namespace chipmunk::config {

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

const ProviderDecl* findProvider(const std::vector<ProviderDecl>& providers,
                                 const std::string& section) {
  const std::string p = providerOfSection(providers, section);
  for (const auto& decl : providers) {
    if (!p.empty() && decl.name == p) {
      return &decl;
    }
  }
  return nullptr;
}

bool addProviderSection(Schema& schema, const std::vector<ProviderDecl>& providers,
                        const std::string& section) {
  const ProviderDecl* decl = findProvider(providers, section);
  if (decl == nullptr) {
    return false;
  }
  for (auto spec : decl->settings) {
    spec.section = section;
    schema.add(std::move(spec));
  }
  return true;
}

std::vector<AccountConfig> providerAccounts(const std::vector<ProviderDecl>& providers,
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
    account.where = doc.where(section);
    for (const auto& spec : schema.settings()) {
      if (lowercase(spec.section) == s) {
        account.settings[lowercase(spec.key)] = settings.getString(spec.section, spec.key);
      }
    }
    accounts.push_back(std::move(account));
  }
  return accounts;
}

const AccountConfig* findAccount(const std::vector<AccountConfig>& accounts,
                                 const std::string& name) {
  const std::string wanted = lowercase(name);
  for (const auto& a : accounts) {
    if (a.section == wanted) {
      return &a;
    }
  }
  return nullptr;
}

std::string missingAccountError(const std::string& where, const std::string& name,
                                const std::vector<ProviderDecl>& providers) {
  std::string names;
  std::vector<std::string> known;
  for (const auto& p : providers) {
    names += (names.empty() ? "" : ", ") + p.name;
    known.push_back(p.name);
  }
  // [TYPE] or [TYPE:LABEL]: the type is what may be misspelt.
  const size_t colon = name.find(':');
  std::string meant = closestMatch(name.substr(0, colon), known);
  if (!meant.empty() && colon != std::string::npos) {
    meant += name.substr(colon, 60);
  }
  return where + ": provider section [" + name.substr(0, 60) + "] is not in the file (" +
         (meant.empty() ? "" : "did you mean " + meant + "? ") + "providers: " + names + ")";
}

std::vector<std::pair<std::string, bool>> recordsOfType(const std::string& label,
                                                        const std::string& type) {
  const std::string t = lowercase(type);
  std::vector<std::pair<std::string, bool>> out;
  for (const bool v6 : {false, true}) {
    if ((v6 && t == "a") || (!v6 && t == "aaaa")) {
      continue;
    }
    out.emplace_back(t == "both" ? label + (v6 ? "/AAAA" : "/A") : label, v6);
  }
  return out;
}

bool isInstanceSection(const std::string& lowerName, const std::string& prefix) {
  return lowerName.size() > prefix.size() && lowerName.rfind(prefix, 0) == 0;
}

}  // namespace chipmunk::config
