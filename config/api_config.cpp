// SPDX-License-Identifier: MIT
// chipmunk-api's config: the schema of a file and its loading, step by step (the steps live
// in one file per settings group, declared in config/api_steps.hpp).
#include "config/api_config.hpp"

#include <algorithm>

#include "common/strings.hpp"
#include "config/api_steps.hpp"
#include "config/loader.hpp"

namespace chipmunk::config {
namespace {

Schema makeApiSchema() {
  Schema schema;
  api_steps::fixedSettings().declare(schema);
  api_steps::addNameSections(schema);
  return schema;
}

// The fixed sections plus, for every [push:LABEL] and provider section of the document,
// that section's settings.
Schema apiSchemaFor(const std::vector<ProviderDecl>& providers, const IniDocument& doc) {
  Schema schema = apiSchema();
  std::vector<std::string> done;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (std::find(done.begin(), done.end(), s) != done.end()) {
      continue;
    }
    done.push_back(s);
    if (api_steps::isPushSection(s)) {
      api_steps::addPushSection(schema, section.name);
    } else if (api_steps::isMeshSection(s)) {
      api_steps::addMeshSection(schema, section.name);
    } else {
      addProviderSection(schema, providers, section.name);
    }
  }
  return schema;
}

void interpretApiConfig(const std::string& path, const std::vector<ProviderDecl>& providers,
                        const IniDocument& doc, const Schema& schema, const Settings& settings,
                        ApiConfig& config, std::vector<std::string>& errors) {
  config.path = path;
  api_steps::fixedSettings().apply(settings, config);
  api_steps::checkTls(settings, config, errors);
  api_steps::checkStore(settings, config, errors);
  api_steps::loadUsers(path, settings, config);
  // The index's set of user names also answers the address book's "is it a user?".
  auto index = std::make_shared<OwnershipIndex>();
  index->setUsers(config.users.shared());
  api_steps::loadAddressBook(settings, config, *index, errors);
  api_steps::loadMeshes(doc, settings, *index, config, errors);
  index->setHosts(config.hostOwners, config.readAll);
  index->setMeshes(config.meshes);
  config.ownership = std::move(index);
  api_steps::loadPush(providers, doc, schema, settings, config, errors);
  if (config.users.empty()) {
    config.warnings.push_back(path + ": no [Users] defined; every authenticated request will fail");
  }
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

void ApiConfig::indexOwnership(std::shared_ptr<const OwnershipSource> source) {
  auto index = std::make_shared<OwnershipIndex>();
  index->setSource(std::move(source));
  index->build(users.shared(), hostOwners, readAll);
  index->setMeshes(meshes);
  ownership = std::move(index);
}

std::vector<std::string> ApiConfig::namesReadableBy(const std::string& reader) const {
  if (!ownership) {
    return {reader};
  }
  std::vector<std::string> names;
  for (const auto& owner : ownership->meshPeersOf(reader)) {
    const auto owned = ownership->namesOwnedBy(owner);
    names.insert(names.end(), owned.begin(), owned.end());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::chrono::seconds ApiConfig::ttlFor(const std::string& name) const {
  const auto it = ttlOverrides.find(name);
  if (it != ttlOverrides.end()) {
    return it->second;
  }
  if (ttlOverrides.empty()) {
    return defaultTtl;  // nothing to look up
  }
  // A host without its own TTL takes its owner's: the owner ownerOf() gives, whose updates
  // it accepts (on a host the INI and the directory both name, the directory's: one rule
  // for the TTL and the access, not hostOwners first).
  const std::string owner = ownerOf(name);
  const auto ttl = owner.empty() || owner == name ? ttlOverrides.end() : ttlOverrides.find(owner);
  return ttl != ttlOverrides.end() ? ttl->second : defaultTtl;
}

bool loadApiConfig(const std::string& path, ApiConfig& out, std::vector<std::string>& errors) {
  return loadApiConfig(path, {}, out, errors);
}

bool loadApiConfig(const std::string& path, const std::vector<ProviderDecl>& providers,
                   ApiConfig& out, std::vector<std::string>& errors) {
  ApiConfig config;
  ConfigSteps steps;
  steps.schemaFor = [&](const IniDocument& doc) { return apiSchemaFor(providers, doc); };
  steps.interpret = [&](const IniDocument& doc, const Schema& schema, const Settings& settings,
                        std::vector<std::string>& errs) {
    interpretApiConfig(path, providers, doc, schema, settings, config, errs);
  };
  if (!loadConfigFile(path, steps, errors)) {
    return false;
  }
  out = std::move(config);
  return true;
}

}  // namespace chipmunk::config
