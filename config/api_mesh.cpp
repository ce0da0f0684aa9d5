// SPDX-License-Identifier: MIT
// chipmunk-api's [Mesh:NAME] sections: the records of a mesh's members are readable, read
// only, by every member of the same mesh (a WireGuard mesh's peers find each other through
// /hosts; docs/ADDRESS_BOOK.md, "Meshes"). Nobody outside a mesh gains anything.
#include <algorithm>

#include "common/strings.hpp"
#include "config/api_steps.hpp"
#include "config/provider_sections.hpp"

namespace chipmunk::config::api_steps {
namespace {

constexpr const char* kMeshPrefix = "mesh:";
constexpr size_t kMaxMembers = 1000;  // a mesh's members each read the others' records

SettingTable<MeshConfig> makeMeshSettings() {
  SettingTable<MeshConfig> t;
  t.setting("", "members")
      .list(&MeshConfig::members)
      .required()
      .help(
          "Users (comma-separated; [Users] or the user directory) whose records every "
          "member of this mesh may read (read only). One line, up to 16384 characters.");
  return t;
}

const SettingTable<MeshConfig>& meshSettings() {
  static const SettingTable<MeshConfig> table = makeMeshSettings();
  return table;
}

void loadMeshSection(const IniSection& section, const Settings& settings,
                     const OwnershipIndex& users, ApiConfig& config,
                     std::vector<std::string>& errors) {
  const std::string& s = section.name;
  MeshConfig mesh;
  meshSettings().apply(settings, mesh, s);
  mesh.name = s.substr(5);
  mesh.where = settings.where(s, "members");
  if (mesh.members.size() > kMaxMembers) {
    errors.push_back(mesh.where + ": [" + s + "] members: at most " + std::to_string(kMaxMembers) +
                     " users");
    return;
  }
  for (const auto& member : mesh.members) {
    if (users.isUser(member)) {
      continue;
    }
    if (!isValidUserName(member)) {
      errors.push_back(mesh.where + ": [" + s + "] members: \"" + member.substr(0, 64) +
                       "\" is not a valid user name");
    } else {  // perhaps a directory user: checked when the directory is merged in
      config.ruleNames.push_back({member, "[" + s + "] members", mesh.where, false});
    }
  }
  config.meshes.push_back(std::move(mesh));
}

}  // namespace

bool isMeshSection(const std::string& lowerName) {
  return isInstanceSection(lowerName, kMeshPrefix);
}

void addMeshSection(Schema& schema, const std::string& section) {
  meshSettings().declare(schema, section);
}

void loadMeshes(const IniDocument& doc, const Settings& settings, const OwnershipIndex& users,
                ApiConfig& config, std::vector<std::string>& errors) {
  std::vector<std::string> seen;
  for (const auto& section : doc.sections) {
    const std::string s = lowercase(section.name);
    if (!isMeshSection(s) || std::find(seen.begin(), seen.end(), s) != seen.end()) {
      continue;
    }
    seen.push_back(s);
    loadMeshSection(section, settings, users, config, errors);
  }
}

}  // namespace chipmunk::config::api_steps
