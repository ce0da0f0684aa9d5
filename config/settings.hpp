// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/ini.hpp"

namespace chipmunk::config {

enum class SettingType {
  kString,
  kSecret,     // like kString, but its value never appears in messages
  kBool,       // yes/no, true/false, on/off, 1/0
  kInteger,    // within [min, max]
  kSeconds,    // integer with optional unit s, m, h, d; within [min, max] seconds
  kPath,       // relative paths resolve against the config file's directory
  kDirectory,  // a kPath that must name an existing directory
  kHostPort,   // 127.0.0.1:8080, [::]:8080, localhost:8080
  kCidrList,   // comma- or space-separated CIDRs or addresses
  kChoice,     // one of `choices`
};

// One setting, declared once: the loader validates against it, --help-config prints it.
struct SettingSpec {
  std::string section;
  std::string key;
  SettingType type = SettingType::kString;
  std::string defaultValue;  // empty: no default
  std::string help;
  bool required = false;
  long long min = 0;
  long long max = 0;
  std::vector<std::string> choices;
};

// A setting of a section read by key (a DNS provider's account section), named field by
// field rather than by position:
//
//   Setting("port", SettingType::kInteger).range(1, 65535).byDefault("53").help("DNS port.")
//
// It converts to the SettingSpec the schema holds (the section is filled in where the
// provider's section is declared).
class Setting {
 public:
  Setting(std::string key, SettingType type) {
    spec_.key = std::move(key);
    spec_.type = type;
  }
  Setting& byDefault(std::string value) {
    spec_.defaultValue = std::move(value);
    return *this;
  }
  Setting& help(std::string text) {
    spec_.help = std::move(text);
    return *this;
  }
  Setting& required() {
    spec_.required = true;
    return *this;
  }
  Setting& range(long long min, long long max) {
    spec_.min = min;
    spec_.max = max;
    return *this;
  }
  Setting& choices(std::vector<std::string> words) {
    spec_.choices = std::move(words);
    return *this;
  }
  operator SettingSpec() const { return spec_; }  // NOLINT: a row converts where it is listed

 private:
  SettingSpec spec_;
};

// A section whose keys are names chosen by the user ([Users] name = password).
struct DynamicSectionSpec {
  std::string section;
  std::string keyHelp;
  std::string valueHelp;
  // Returns an error message for a bad entry, or an empty string.
  std::function<std::string(const std::string& key, const std::string& value)> validate;
};

class Schema {
 public:
  Schema& add(SettingSpec spec);
  Schema& addDynamicSection(DynamicSectionSpec spec);

  const SettingSpec* find(const std::string& section, const std::string& key) const;
  const DynamicSectionSpec* findDynamic(const std::string& section) const;
  bool hasSection(const std::string& section) const;
  const std::vector<SettingSpec>& settings() const { return settings_; }
  // Every section the schema declares, as written there, each once.
  std::vector<std::string> sectionNames() const;

  // The settings reference as plain text (for --help-config and the docs).
  std::string reference() const;

 private:
  std::vector<SettingSpec> settings_;
  std::vector<DynamicSectionSpec> dynamic_;
};

// Validated values of one config file. Getters take the declared section/key; asking for
// an undeclared one is a programmer error (throws std::logic_error).
class Settings {
 public:
  const std::string& path() const { return path_; }
  std::string getString(const std::string& section, const std::string& key) const;
  bool getBool(const std::string& section, const std::string& key) const;
  long long getInt(const std::string& section, const std::string& key) const;
  std::chrono::seconds getSeconds(const std::string& section, const std::string& key) const;
  // kPath/kDirectory values, made absolute against the config file's directory.
  std::string getPath(const std::string& section, const std::string& key) const;
  std::vector<std::string> getList(const std::string& section, const std::string& key) const;
  // True when the file sets the key (not only its default).
  bool isSet(const std::string& section, const std::string& key) const;
  // "path:line" of the key (in the file that set it last: the main file or a drop-in), or
  // the main file's path when it comes from its default.
  std::string where(const std::string& section, const std::string& key) const;
  // "path:line" of a section header or a dynamic section's entry.
  std::string where(const IniSection& section) const { return where(section.file, section.line); }
  std::string where(const IniEntry& entry) const { return where(entry.file, entry.line); }
  // Entries of a dynamic section, in file order (valid as long as these Settings).
  const std::vector<IniEntry>& entries(const std::string& section) const;

 private:
  friend class SettingsBuilder;  // config/load_settings.cpp
  struct Value {
    std::string text;
    int line = 0;
    SettingType type = SettingType::kString;
    int file = 0;
  };
  const Value& value(const std::string& section, const std::string& key) const;
  std::string where(int file, int line) const;

  std::string path_;
  std::vector<std::string> files_;  // the main file, then its drop-ins
  std::string baseDir_;
  std::map<std::pair<std::string, std::string>, Value> values_;
  std::map<std::string, std::vector<IniEntry>> dynamic_;
};

// Checks a parsed document against the schema: unknown sections and keys, duplicates,
// bad values, missing required settings. Every problem is appended to `errors` as
// "path:line: message". Returns false when there was any.
// A key set in a drop-in replaces the value an earlier file gave it (a list too, whole);
// set twice in one file, it is an error. A secret setting `X` may be given as `X_file`
// (config/secret_file.hpp).
bool loadSettings(const Schema& schema, const IniDocument& doc, Settings& out,
                  std::vector<std::string>& errors);

// The words of both programs' log level settings, from the most verbose to off.
inline std::vector<std::string> logLevelWords() {
  return {"trace", "debug", "info", "warn", "error", "off"};
}

namespace detail {
// An error message, or empty when `value` fits `spec` (relative paths against `baseDir`).
std::string checkValue(const SettingSpec& spec, const std::string& value,
                       const std::string& baseDir);
}  // namespace detail

// Parses a yes/no word; false on anything else.
bool parseBool(const std::string& text, bool& value);
// Parses "90", "90s", "15m", "2h", "25d" into seconds; false on anything else.
bool parseSeconds(const std::string& text, long long& seconds);
// Splits on commas and white space, dropping empty items.
std::vector<std::string> splitList(const std::string& text);

}  // namespace chipmunk::config
