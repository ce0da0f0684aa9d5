// SPDX-License-Identifier: MIT
#pragma once

// The steps of loadApiConfig (config/api_config.cpp), one file per settings group.

#include <string>
#include <vector>

#include "config/api_config.hpp"
#include "config/ini.hpp"
#include "config/setting_table.hpp"
#include "config/settings.hpp"

namespace chipmunk::config::api_steps {

// config/api_server_settings.cpp: the rows of the fixed sections ([Server] ... [Push]).
const SettingTable<ApiConfig>& fixedSettings();
// [Server] tls_certificate and tls_key: both or neither, and readable.
void checkTls(const Settings& settings, const ApiConfig& config, std::vector<std::string>& errors);
// [Store]: backend = postgresql needs its postgresql = (an error), the file backend ignores
// one (a warning).
void checkStore(const Settings& settings, ApiConfig& config, std::vector<std::string>& errors);

// config/api_users.cpp: [Users], [Hosts] and [TTL], whose keys are names.
void addNameSections(Schema& schema);
void loadUsers(const std::string& path, const Settings& settings, ApiConfig& config);
// [Hosts], [Access] read_all and [TTL], checked against the users.
void loadAddressBook(const std::string& path, const Settings& settings, ApiConfig& config,
                     const OwnershipIndex& users, std::vector<std::string>& errors);

// config/api_mesh.cpp: [Mesh:NAME] (lower-cased `name`), whose members read each other's
// records; members are checked against the users.
bool isMeshSection(const std::string& lowerName);
void addMeshSection(Schema& schema, const std::string& section);
void loadMeshes(const IniDocument& doc, const Settings& settings, const OwnershipIndex& users,
                ApiConfig& config, std::vector<std::string>& errors);

// config/api_push.cpp: gateway mode.
// [push:LABEL] (lower-cased `name`), and its settings.
bool isPushSection(const std::string& lowerName);
void addPushSection(Schema& schema, const std::string& section);
// The provider accounts and [push:LABEL] sections, checked against the users and hosts.
void loadPush(const std::string& path, const std::vector<ProviderDecl>& providers,
              const IniDocument& doc, const Schema& schema, const Settings& settings,
              ApiConfig& config, std::vector<std::string>& errors);

}  // namespace chipmunk::config::api_steps
