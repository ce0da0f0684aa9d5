// SPDX-License-Identifier: MIT
// chipmunk-updater's IP discovery sources: [ChipmunkAPIServer] and [source:NAME], and
// [Discovery] order.
#include <algorithm>
#include <set>

#include "common/pattern.hpp"
#include "common/strings.hpp"
#include "config/builtin_sources.hpp"
#include "config/setting_table.hpp"
#include "config/updater_steps.hpp"

namespace chipmunk::config::updater_steps {
namespace {

constexpr const char* kSourcePrefix = "source:";

const std::vector<std::pair<std::string, SourceKind>>& kinds() {
  static const std::vector<std::pair<std::string, SourceKind>> list = {
      {"chipmunk", SourceKind::kChipmunk},
      {"web", SourceKind::kWeb},
      {"interface", SourceKind::kInterface},
      {"command", SourceKind::kCommand}};
  return list;
}

SettingTable<SourceConfig> makeSourceSettings() {
  using S = SourceConfig;
  SettingTable<S> t;
  t.setting("", "type")
      .choice(&S::kind, kinds())
      .required()
      .help(
          "chipmunk (a chipmunk-api server), web (any URL), interface (a local interface) "
          "or command (its output).");
  t.setting("", "url").text(&S::url).help("chipmunk: the server's base URL; web: the URL to read.");
  t.setting("", "username").text(&S::username).help("HTTP Basic user (chipmunk, web).");
  t.setting("", "password").secret(&S::password).help("HTTP Basic password (chipmunk, web).");
  t.setting("", "method")
      .choice(&S::chipmunkSet, {{"get", false}, {"set", true}})
      .byDefault("get")
      .help("chipmunk: get or set.");
  t.setting("", "json_field")
      .text(&S::jsonField)
      .help("web: the reply is JSON; the address is this field (dotted path).");
  t.setting("", "regex")
      .text(&S::regex)
      .help("web, command: the address is the first capture group (or the whole match).");
  t.setting("", "interface").text(&S::interface).help("interface: the interface name (eth0).");
  t.setting("", "command").text(&S::command).help("command: run with sh -c; prints the address.");
  t.setting("", "family")
      .choice(&S::family, {{"any", FamilyFilter::kAny},
                           {"ipv4", FamilyFilter::kIPv4},
                           {"ipv6", FamilyFilter::kIPv6}})
      .byDefault("any")
      .help("Which address family this source is asked for: any, ipv4 or ipv6.");
  t.setting("", "operator")
      .text(&S::operatorName)
      .help(
          "Who runs this source, for [Discovery] consensus (two sources of one operator "
          "count once); empty: the source's own name.");
  return t;
}

const SettingTable<SourceConfig>& sourceSettings() {
  static const SettingTable<SourceConfig> table = makeSourceSettings();
  return table;
}

std::string kindName(SourceKind kind) {
  for (const auto& [name, k] : kinds()) {
    if (k == kind) {
      return name;
    }
  }
  return {};
}

// A [source:NAME] section: what its type needs, and whether its regex compiles.
void checkSource(const Settings& settings, const std::string& section, const SourceConfig& src,
                 std::vector<std::string>& errors) {
  const std::string key = src.kind == SourceKind::kInterface ? "interface"
                          : src.kind == SourceKind::kCommand ? "command"
                                                             : "url";
  const std::string value = src.kind == SourceKind::kInterface ? src.interface
                             : src.kind == SourceKind::kCommand ? src.command
                                                                : src.url;
  if (value.empty()) {
    errors.push_back(src.where + ": [" + section + "] type = " + kindName(src.kind) + " needs " +
                     key);
  }
  if (!src.jsonField.empty() && !src.regex.empty()) {
    errors.push_back(settings.where(section, "regex") + ": [" + section +
                     "] set json_field or regex, not both");
  }
  std::string why;
  if (!src.regex.empty() && !checkPattern(src.regex, why)) {
    errors.push_back(settings.where(section, "regex") + ": [" + section +
                     "] regex does not compile: " + why);
  }
}

// The source a section declares, if it is one.
bool readSource(const IniSection& section, const Settings& settings, SourceConfig& src,
                std::vector<std::string>& errors) {
  const std::string s = lowercase(section.name);
  src.where = settings.where(section);
  if (s == "chipmunkapiserver") {
    return chipmunkServerSource(settings, section.name, src);
  }
  if (!isSourceSection(s)) {
    return false;
  }
  src.name = section.name.substr(7);
  src.kind = SourceKind::kCommand;  // what a missing or bad type stands for meanwhile
  sourceSettings().apply(settings, src, section.name);
  checkSource(settings, section.name, src, errors);
  return true;
}

SourceConfig builtinSource(const std::string& name, const std::string& where) {
  SourceConfig src;
  src.name = lowercase(name);
  src.kind = SourceKind::kBuiltin;
  for (const auto& row : builtinSources()) {
    if (row.name == src.name) {
      src.operatorName = row.operator_;
    }
  }
  src.where = where;
  return src;
}

// Consensus needs that many operators among the sources.
void checkConsensus(const Settings& settings, UpdaterConfig& config,
                    std::vector<std::string>& errors) {
  std::set<std::string> operators;
  for (auto& s : config.sources) {
    if (s.operatorName.empty()) {
      s.operatorName = s.name;
    }
    operators.insert(lowercase(s.operatorName));
  }
  if (config.effectiveConsensus() > static_cast<int>(operators.size())) {
    errors.push_back(settings.where("Discovery", "consensus") + ": [Discovery] consensus = " +
                     std::to_string(config.effectiveConsensus()) + " needs as many operators, " +
                     "the sources have " + std::to_string(operators.size()));
  }
}

}  // namespace

bool isSourceSection(const std::string& lowerName) {
  return isInstanceSection(lowerName, kSourcePrefix);
}

void addSourceSection(Schema& schema, const std::string& section) {
  sourceSettings().declare(schema, section);
}

void loadSources(const std::string& path, const IniDocument& doc, const Settings& settings,
                 UpdaterConfig& config, std::vector<std::string>& errors) {
  std::vector<SourceConfig> sources;  // in file order
  std::set<std::string> seen;
  for (const auto& section : doc.sections) {
    SourceConfig src;
    if (!seen.insert(lowercase(section.name)).second ||
        !readSource(section, settings, src, errors)) {
      continue;
    }
    if ((src.kind == SourceKind::kChipmunk || src.kind == SourceKind::kWeb) &&
        src.url.rfind("http://", 0) != 0 && src.url.rfind("https://", 0) != 0) {
      errors.push_back(src.where + ": [" + section.name +
                       "] url/endpoint must start with http:// or https://");
    }
    sources.push_back(std::move(src));
  }
  for (const auto& name : config.discoveryOrder) {
    const auto it = std::find_if(sources.begin(), sources.end(), [&](const SourceConfig& s) {
      return lowercase(s.name) == lowercase(name);
    });
    if (it != sources.end()) {
      config.sources.push_back(*it);
    } else if (isBuiltinSource(name)) {
      config.sources.push_back(builtinSource(name, settings.where("Discovery", "order")));
    } else {
      errors.push_back(settings.where("Discovery", "order") +
                       ": [Discovery] order: no source named \"" + name.substr(0, 60) + "\"");
    }
  }
  if (config.discoveryOrder.empty()) {
    config.sources = sources;
  }
  if (config.sources.empty() && config.discoveryOrder.empty()) {
    config.builtinDefaults = true;
    for (const auto& row : builtinSources()) {
      if (config.sources.empty() || config.sources.back().name != row.name) {
        config.sources.push_back(builtinSource(row.name, path));
      }
    }
  }
  checkConsensus(settings, config, errors);
}

}  // namespace chipmunk::config::updater_steps
