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

}  // namespace

namespace detail {

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

}  // namespace detail

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
  // A secret's `_file` form must not collide with a declared setting.
  const std::string& k = spec.key;
  const bool fileForm = k.size() > 5 && lowercase(k.substr(k.size() - 5)) == "_file";
  const SettingSpec* other = spec.type == SettingType::kSecret ? find(spec.section, k + "_file")
                             : fileForm ? find(spec.section, k.substr(0, k.size() - 5))
                                        : nullptr;
  if (other != nullptr &&
      (spec.type == SettingType::kSecret || other->type == SettingType::kSecret)) {
    throw std::logic_error("setting collides with a secret's _file form: " + spec.section + "." +
                           k);
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

std::vector<std::string> Schema::sectionNames() const {
  std::vector<std::string> names;
  auto add = [&names](const std::string& name) {
    if (std::none_of(names.begin(), names.end(),
                     [&](const std::string& n) { return equalsIgnoringCase(n, name); })) {
      names.push_back(name);
    }
  };
  for (const auto& spec : settings_) {
    add(spec.section);
  }
  for (const auto& dyn : dynamic_) {
    add(dyn.section);
  }
  return names;
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
    if (spec.type == SettingType::kSecret) {
      out << "  " << spec.key << "_file = "
          << "    (path)\n"
          << "      Instead of " << spec.key
          << ": the file holding it (mode 0600 or 0400; one line). "
             "$CREDENTIALS_DIRECTORY/NAME reads a systemd credential.\n";
    }
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
  const Value& v = value(section, key);
  return v.line > 0 ? where(v.file, v.line) : path_;
}

std::string Settings::where(int file, int line) const {
  const std::string& name =
      file > 0 && static_cast<size_t>(file) < files_.size() ? files_[file] : path_;
  return name + ":" + std::to_string(line);
}

const std::vector<IniEntry>& Settings::entries(const std::string& section) const {
  static const std::vector<IniEntry> kNone;
  const auto it = dynamic_.find(lowercase(section));
  return it == dynamic_.end() ? kNone : it->second;
}

}  // namespace chipmunk::config
