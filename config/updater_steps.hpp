// SPDX-License-Identifier: MIT
#pragma once

// The steps of loadUpdaterConfig (config/updater_config.cpp), one file per settings group.

#include <string>
#include <vector>

#include "config/ini.hpp"
#include "config/settings.hpp"
#include "config/updater_config.hpp"

namespace chipmunk::config::updater_steps {

// config/updater_settings.cpp: [Global], [ChipmunkAPIServer], [Daemon], [dDNS], [Discovery],
// [Hooks].
void declareFixedSettings(Schema& schema);
void applyFixedSettings(const Settings& settings, UpdaterConfig& config);
// Checks between fixed settings (retry_max against retry_min) and their warnings.
void checkFixedSettings(const Settings& settings, UpdaterConfig& config,
                        std::vector<std::string>& errors);
// The [ChipmunkAPIServer] source; false when its endpoint is empty (not a source).
bool chipmunkServerSource(const Settings& settings, const std::string& section,
                          SourceConfig& source);

// config/updater_sources.cpp: [source:NAME], and the order sources are tried in.
bool isSourceSection(const std::string& lowerName);
void addSourceSection(Schema& schema, const std::string& section);
void loadSources(const std::string& path, const IniDocument& doc, const Settings& settings,
                 UpdaterConfig& config, std::vector<std::string>& errors);

// config/updater_wireguard.cpp: [wireguard:IFACE] (needs [ChipmunkAPIServer] endpoint).
bool isWireguardSection(const std::string& lowerName);
void addWireguardSection(Schema& schema, const std::string& section);
void loadWireguard(const std::string& path, const IniDocument& doc, const Settings& settings,
                   UpdaterConfig& config, std::vector<std::string>& errors);

// config/updater_records.cpp: [record:NAME], the original client's one-record form, and
// the records' cross-checks. "No record" is only worth saying when nothing else was wrong
// (`earlierErrors`: the steps before found a problem).
bool isRecordSection(const std::string& lowerName);
void addRecordSection(Schema& schema, const std::string& section);
void loadRecords(const std::string& path, const std::vector<ProviderDecl>& providers,
                 const IniDocument& doc, const Schema& schema, const Settings& settings,
                 UpdaterConfig& config, std::vector<std::string>& errors, bool earlierErrors);

}  // namespace chipmunk::config::updater_steps
