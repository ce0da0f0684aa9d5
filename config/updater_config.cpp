// SPDX-License-Identifier: MIT
// chipmunk-updater's config: the schema of a file and its loading, step by step (the steps
// live in one file per settings group, declared in config/updater_steps.hpp).
#include "config/updater_config.hpp"

#include <set>

#include "common/strings.hpp"
#include "config/loader.hpp"
#include "config/updater_steps.hpp"

namespace chipmunk::config {
namespace {

// Everything after the settings check: sources, records, cross-checks.
void interpretUpdaterConfig(const std::string& path, const std::vector<ProviderDecl>& providers,
                            const IniDocument& doc, const Schema& schema, const Settings& settings,
                            UpdaterConfig& config, std::vector<std::string>& errors) {
  const size_t before = errors.size();
  config.path = path;
  updater_steps::applyFixedSettings(settings, config);
  updater_steps::checkFixedSettings(settings, config, errors);
  updater_steps::loadSources(path, doc, settings, config, errors);
  updater_steps::loadWireguard(path, doc, settings, config, errors);
  updater_steps::loadRecords(path, providers, doc, schema, settings, config, errors,
                             errors.size() != before);
}

}  // namespace

Schema updaterSchema(const std::vector<ProviderDecl>& providers, const IniDocument& doc) {
  Schema schema;
  updater_steps::declareFixedSettings(schema);
  std::set<std::string> done;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (!done.insert(s).second) {
      continue;
    }
    if (updater_steps::isRecordSection(s)) {
      updater_steps::addRecordSection(schema, section.name);
    } else if (updater_steps::isSourceSection(s)) {
      updater_steps::addSourceSection(schema, section.name);
    } else if (updater_steps::isWireguardSection(s)) {
      updater_steps::addWireguardSection(schema, section.name);
    } else {
      addProviderSection(schema, providers, section.name);
    }
  }
  return schema;
}

bool loadUpdaterConfig(const std::string& path, const std::vector<ProviderDecl>& providers,
                       UpdaterConfig& out, std::vector<std::string>& errors) {
  UpdaterConfig config;
  bool interpreted = false;
  ConfigSteps steps;
  steps.schemaFor = [&](const IniDocument& doc) { return updaterSchema(providers, doc); };
  steps.interpret = [&](const IniDocument& doc, const Schema& schema, const Settings& settings,
                        std::vector<std::string>& errs) {
    interpretUpdaterConfig(path, providers, doc, schema, settings, config, errs);
    interpreted = true;
  };
  const bool ok = loadConfigFile(path, steps, errors);
  if (interpreted) {
    out = std::move(config);  // on failure too: what could be read, for further checks
  }
  return ok;
}

}  // namespace chipmunk::config
