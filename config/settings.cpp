// SPDX-License-Identifier: MIT
#include "config/settings.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "common/ip.hpp"
#include "common/strings.hpp"

namespace chipmunk::config {
namespace {

std::string typeName(const SettingSpec& spec) {
  switch (spec.type) {
    case SettingType::kString:
    case SettingType::kSecret:
      return "string";
    case SettingType::kBool:
      return "yes|no";
    case SettingType::kInteger:
      return "integer " + std::to_string(spec.min) + ".." + std::to_string(spec.max);
    case SettingType::kSeconds:
      return "duration (s, m, h, d) " + std::to_string(spec.min) + "s.." +
             std::to_string(spec.max) + "s";
    case SettingType::kPath:
      return "path";
    case SettingType::kDirectory:
      return "existing directory";
    case SettingType::kHostPort:
      return "host:port";
    case SettingType::kCidrList:
      return "list of CIDRs";
    case SettingType::kChoice: {
      std::string out;
      for (const auto& choice : spec.choices) {
        out += (out.empty() ? "" : "|") + choice;
      }
      return out;
    }
  }
  return "string";
}

bool parseInteger(const std::string& text, long long& value) {
  if (text.empty() || text.size() > 18) {
    return false;
  }
  long long out = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    out = out * 10 + (c - '0');
  }
  value = out;
  return true;
}

std::string resolvePath(const std::string& baseDir, const std::string& path) {
  if (path.empty() || path[0] == '/') {
    return path;
  }
  return baseDir + "/" + path;
}

std::string quoted(const SettingSpec& spec, const std::string& value) {
  if (spec.type == SettingType::kSecret) {
    return "(value hidden)";
  }
  return "\"" + value.substr(0, 80) + "\"";
}

// Returns an error message, or empty when `value` fits `spec`.
std::string checkValue(const SettingSpec& spec, const std::string& value,
                       const std::string& baseDir) {
  switch (spec.type) {
    case SettingType::kString:
    case SettingType::kSecret:
    case SettingType::kPath:
      return {};
    case SettingType::kBool: {
      bool b = false;
      return parseBool(value, b) ? "" : "expected yes or no, got " + quoted(spec, value);
    }
    case SettingType::kInteger: {
      long long n = 0;
      if (!parseInteger(value, n) || n < spec.min || n > spec.max) {
        return "expected an integer from " + std::to_string(spec.min) + " to " +
               std::to_string(spec.max) + ", got " + quoted(spec, value);
      }
      return {};
    }
    case SettingType::kSeconds: {
      long long n = 0;
      if (!parseSeconds(value, n) || n < spec.min || n > spec.max) {
        return "expected a duration from " + std::to_string(spec.min) + "s to " +
               std::to_string(spec.max) + "s (units s, m, h, d), got " + quoted(spec, value);
      }
      return {};
    }
    case SettingType::kDirectory: {
      if (value.empty()) {
        return "expected a directory, got an empty value";
      }
      const std::string path = resolvePath(baseDir, value);
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        return "directory " + quoted(spec, path) + " does not exist";
      }
      if (!S_ISDIR(st.st_mode)) {
        return quoted(spec, path) + " is not a directory";
      }
      return {};
    }
    case SettingType::kHostPort: {
      std::string host;
      uint16_t port = 0;
      return parseHostPort(value, host, port)
                 ? ""
                 : "expected HOST:PORT (127.0.0.1:8080, [::]:8080, localhost:8080), got " +
                       quoted(spec, value);
    }
    case SettingType::kCidrList: {
      for (const auto& item : splitList(value)) {
        if (!Cidr::parse(item)) {
          return "not an address or CIDR: \"" + item.substr(0, 60) + "\"";
        }
      }
      return {};
    }
    case SettingType::kChoice: {
      const auto it = std::find(spec.choices.begin(), spec.choices.end(), lowercase(value));
      return it != spec.choices.end()
                 ? ""
                 : "expected " + typeName(spec) + ", got " + quoted(spec, value);
    }
  }
  return {};
}

}  // namespace

bool parseBool(const std::string& text, bool& value) {
  const std::string t = lowercase(text);
  if (t == "yes" || t == "true" || t == "on" || t == "1") {
    value = true;
    return true;
  }
  if (t == "no" || t == "false" || t == "off" || t == "0") {
    value = false;
    return true;
  }
  return false;
}

bool parseSeconds(const std::string& text, long long& seconds) {
  if (text.empty()) {
    return false;
  }
  long long unit = 1;
  std::string digits = text;
  switch (std::tolower(static_cast<unsigned char>(text.back()))) {
    case 's':
      unit = 1;
      digits.pop_back();
      break;
    case 'm':
      unit = 60;
      digits.pop_back();
      break;
    case 'h':
      unit = 3600;
      digits.pop_back();
      break;
    case 'd':
      unit = 86400;
      digits.pop_back();
      break;
    default:
      break;
  }
  long long n = 0;
  if (digits.size() > 9 || !parseInteger(digits, n)) {
    return false;
  }
  seconds = n * unit;
  return true;
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (const char c : text) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!item.empty()) {
        out.push_back(item);
        item.clear();
      }
    } else {
      item += c;
    }
  }
  if (!item.empty()) {
    out.push_back(item);
  }
  return out;
}

Schema& Schema::add(SettingSpec spec) {
  if (find(spec.section, spec.key) != nullptr) {
    throw std::logic_error("setting declared twice: " + spec.section + "." + spec.key);
  }
  settings_.push_back(std::move(spec));
  return *this;
}

Schema& Schema::addDynamicSection(DynamicSectionSpec spec) {
  dynamic_.push_back(std::move(spec));
  return *this;
}

const SettingSpec* Schema::find(const std::string& section, const std::string& key) const {
  const std::string s = lowercase(section);
  const std::string k = lowercase(key);
  for (const auto& spec : settings_) {
    if (lowercase(spec.section) == s && lowercase(spec.key) == k) {
      return &spec;
    }
  }
  return nullptr;
}

const DynamicSectionSpec* Schema::findDynamic(const std::string& section) const {
  const std::string s = lowercase(section);
  for (const auto& spec : dynamic_) {
    if (lowercase(spec.section) == s) {
      return &spec;
    }
  }
  return nullptr;
}

bool Schema::hasSection(const std::string& section) const {
  const std::string s = lowercase(section);
  return findDynamic(section) != nullptr ||
         std::any_of(settings_.begin(), settings_.end(),
                     [&](const SettingSpec& spec) { return lowercase(spec.section) == s; });
}

std::string Schema::reference() const {
  std::ostringstream out;
  std::string section;
  auto printDynamic = [&](const std::string& name) {
    if (const auto* dyn = findDynamic(name)) {
      out << "  <" << dyn->keyHelp << "> = <" << dyn->valueHelp << ">\n";
    }
  };
  for (const auto& spec : settings_) {
    if (spec.section != section) {
      if (!section.empty()) {
        printDynamic(section);
      }
      section = spec.section;
      out << "\n[" << section << "]\n";
    }
    out << "  " << spec.key << " = " << (spec.defaultValue.empty() ? "" : spec.defaultValue)
        << "    (" << typeName(spec) << (spec.required ? ", required" : "") << ")\n"
        << "      " << spec.help << "\n";
  }
  printDynamic(section);
  for (const auto& dyn : dynamic_) {
    const bool printed = std::any_of(settings_.begin(), settings_.end(), [&](const auto& spec) {
      return lowercase(spec.section) == lowercase(dyn.section);
    });
    if (!printed) {
      out << "\n[" << dyn.section << "]\n  <" << dyn.keyHelp << "> = <" << dyn.valueHelp << ">\n";
    }
  }
  return out.str();
}

const Settings::Value& Settings::value(const std::string& section, const std::string& key) const {
  const auto it = values_.find({lowercase(section), lowercase(key)});
  if (it == values_.end()) {
    throw std::logic_error("undeclared setting: " + section + "." + key);
  }
  return it->second;
}

std::string Settings::getString(const std::string& section, const std::string& key) const {
  return value(section, key).text;
}

bool Settings::getBool(const std::string& section, const std::string& key) const {
  bool b = false;
  parseBool(value(section, key).text, b);
  return b;
}

long long Settings::getInt(const std::string& section, const std::string& key) const {
  return std::stoll(value(section, key).text);
}

std::chrono::seconds Settings::getSeconds(const std::string& section,
                                          const std::string& key) const {
  long long n = 0;
  parseSeconds(value(section, key).text, n);
  return std::chrono::seconds(n);
}

std::string Settings::getPath(const std::string& section, const std::string& key) const {
  return resolvePath(baseDir_, value(section, key).text);
}

std::vector<std::string> Settings::getList(const std::string& section,
                                           const std::string& key) const {
  return splitList(value(section, key).text);
}

bool Settings::isSet(const std::string& section, const std::string& key) const {
  return value(section, key).line > 0;
}

std::string Settings::where(const std::string& section, const std::string& key) const {
  const int line = value(section, key).line;
  return line > 0 ? path_ + ":" + std::to_string(line) : path_;
}

const std::vector<IniEntry>& Settings::entries(const std::string& section) const {
  static const std::vector<IniEntry> kNone;
  const auto it = dynamic_.find(lowercase(section));
  return it == dynamic_.end() ? kNone : it->second;
}

namespace {

// What the schema knows of a section, looked up once per section name rather than once per
// line: a [Users] of a million lines would otherwise walk the schema a million times.
struct SectionInfo {
  std::string lower;
  bool known = false;
  bool hasFixed = false;  // declares fixed settings (a dynamic section may, too)
  const DynamicSectionSpec* dynamic = nullptr;
};

class SectionLookup {
 public:
  explicit SectionLookup(const Schema& schema) : schema_(schema) {}
  const SectionInfo& get(const std::string& name) {
    auto it = sections_.find(name);
    if (it == sections_.end()) {
      SectionInfo info{lowercase(name), schema_.hasSection(name), false, schema_.findDynamic(name)};
      info.hasFixed = std::any_of(
          schema_.settings().begin(), schema_.settings().end(),
          [&](const SettingSpec& spec) { return lowercase(spec.section) == info.lower; });
      it = sections_.emplace(name, std::move(info)).first;
    }
    return it->second;
  }

 private:
  const Schema& schema_;
  std::unordered_map<std::string, SectionInfo> sections_;
};

}  // namespace

bool loadSettings(const Schema& schema, const IniDocument& doc, Settings& out,
                  std::vector<std::string>& errors) {
  const size_t before = errors.size();
  out = Settings();
  out.path_ = doc.path;
  const auto slash = doc.path.rfind('/');
  out.baseDir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : doc.path.substr(0, slash));

  auto err = [&](int line, const std::string& message) {
    errors.push_back(doc.path + (line > 0 ? ":" + std::to_string(line) : "") + ": " + message);
  };

  for (const auto& section : doc.sections) {
    if (!schema.hasSection(section.name)) {
      err(section.line, "unknown section [" + section.name + "]");
    }
  }
  for (const auto& spec : schema.settings()) {
    out.values_[{lowercase(spec.section), lowercase(spec.key)}] = {spec.defaultValue, 0, spec.type};
  }

  SectionLookup sections(schema);
  std::set<std::pair<std::string, std::string>> seen;  // declared settings, lower-cased
  // Names in dynamic sections, exact: views of doc's keys, which outlive this loop.
  std::unordered_map<std::string, std::unordered_set<std::string_view>> seenNames;
  for (const auto& entry : doc.entries) {
    const SectionInfo& section = sections.get(entry.section);
    if (!section.known) {
      continue;  // reported with its section header
    }
    const std::string& s = section.lower;
    const SettingSpec* declared =
        section.hasFixed ? schema.find(entry.section, entry.key) : nullptr;
    const DynamicSectionSpec* dyn = declared ? nullptr : section.dynamic;
    const bool first =
        dyn ? seenNames[s].insert(entry.key).second : seen.insert({s, lowercase(entry.key)}).second;
    if (!first) {
      err(entry.line, "[" + entry.section + "] " + entry.key + " is set more than once");
      continue;
    }
    if (const auto* spec = declared) {
      const std::string k = lowercase(entry.key);
      const std::string problem = checkValue(*spec, entry.value, out.baseDir_);
      if (!problem.empty()) {
        err(entry.line, "[" + spec->section + "] " + spec->key + ": " + problem);
        // Present but wrong: do not also call it missing.
        out.values_[{s, k}].line = entry.line;
        continue;
      }
      out.values_[{s, k}] = {entry.value, entry.line, spec->type};
      continue;
    }
    if (dyn != nullptr) {
      const std::string problem = dyn->validate ? dyn->validate(entry.key, entry.value) : "";
      if (!problem.empty()) {
        err(entry.line, "[" + dyn->section + "] " + problem);
        continue;
      }
      out.dynamic_[s].push_back(entry);
      continue;
    }
    err(entry.line,
        "unknown setting \"" + entry.key.substr(0, 60) + "\" in [" + entry.section + "]");
  }

  for (const auto& spec : schema.settings()) {
    const auto& v = out.values_[{lowercase(spec.section), lowercase(spec.key)}];
    if (spec.required && v.line == 0) {
      err(0, "missing required setting [" + spec.section + "] " + spec.key);
    }
  }
  return errors.size() == before;
}

}  // namespace chipmunk::config
