// SPDX-License-Identifier: MIT
// loadSettings(): a parsed document (main file and drop-ins) checked against the schema.
#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "common/strings.hpp"
#include "config/secret_file.hpp"
#include "config/settings.hpp"

namespace chipmunk::config {
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

// The secret setting a `<key>_file` entry stands for, or nullptr.
const SettingSpec* secretOfFileKey(const Schema& schema, const IniEntry& entry) {
  const std::string suffix = kSecretFileSuffix;
  const std::string& key = entry.key;
  if (key.size() <= suffix.size() || lowercase(key.substr(key.size() - suffix.size())) != suffix) {
    return nullptr;
  }
  const SettingSpec* spec = schema.find(entry.section, key.substr(0, key.size() - suffix.size()));
  return spec != nullptr && spec->type == SettingType::kSecret ? spec : nullptr;
}

}  // namespace

class SettingsBuilder {
 public:
  SettingsBuilder(const Schema& schema, const IniDocument& doc, Settings& out,
                  std::vector<std::string>& errors)
      : schema_(schema), doc_(doc), out_(out), errors_(errors), sections_(schema) {}

  void run() {
    out_ = Settings();
    out_.path_ = doc_.path;
    out_.files_.push_back(doc_.path);
    out_.files_.insert(out_.files_.end(), doc_.dropIns.begin(), doc_.dropIns.end());
    const auto slash = doc_.path.rfind('/');
    out_.baseDir_ =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : doc_.path.substr(0, slash));
    for (const auto& section : doc_.sections) {
      if (!schema_.hasSection(section.name)) {
        const std::string meant = closestMatch(section.name, schema_.sectionNames());
        err(section.file, section.line,
            "unknown section [" + section.name.substr(0, 60) + "]" +
                (meant.empty() ? "" : " (did you mean [" + meant + "]?)"));
      }
    }
    for (const auto& spec : schema_.settings()) {
      out_.values_[{lowercase(spec.section), lowercase(spec.key)}] = {spec.defaultValue, 0,
                                                                      spec.type, 0};
    }
    for (const auto& entry : doc_.entries) {
      take(entry);
    }
    for (const auto& spec : schema_.settings()) {
      const auto& v = out_.values_[{lowercase(spec.section), lowercase(spec.key)}];
      if (spec.required && v.line == 0) {
        err(0, 0, "missing required setting [" + spec.section + "] " + spec.key);
      }
    }
  }

 private:
  void err(int file, int line, const std::string& message) {
    errors_.push_back(doc_.fileName(file) + (line > 0 ? ":" + std::to_string(line) : "") + ": " +
                      message);
  }

  void take(const IniEntry& entry) {
    const SectionInfo& section = sections_.get(entry.section);
    if (!section.known) {
      return;  // reported with its section header
    }
    const SettingSpec* declared =
        section.hasFixed ? schema_.find(entry.section, entry.key) : nullptr;
    const SettingSpec* secret =
        declared == nullptr && section.hasFixed ? secretOfFileKey(schema_, entry) : nullptr;
    if (declared != nullptr || secret != nullptr) {
      fixed(entry, section.lower, declared != nullptr ? *declared : *secret, secret != nullptr);
    } else if (section.dynamic != nullptr) {
      dynamic(entry, section.lower, *section.dynamic);
    } else {
      err(entry.file, entry.line,
          "unknown setting \"" + entry.key.substr(0, 60) + "\" in [" + entry.section + "]" +
              suggestion(entry.key, section.lower));
    }
  }

  // " (did you mean KEY?)" for a near key of the same section, else " (did you mean
  // [SECTION] KEY?)" for a near or equal key of another; empty when nothing is near.
  std::string suggestion(const std::string& key, const std::string& lowerSection) const {
    std::vector<std::string> here;
    std::vector<std::string> elsewhere;
    std::vector<const SettingSpec*> elsewhereSpecs;
    for (const auto& spec : schema_.settings()) {
      if (lowercase(spec.section) == lowerSection) {
        here.push_back(spec.key);
      } else {
        elsewhere.push_back(spec.key);
        elsewhereSpecs.push_back(&spec);
      }
    }
    if (std::string meant = didYouMean(key, here); !meant.empty()) {
      return meant;
    }
    const auto i = closestIndex(key, elsewhere);
    return i ? " (did you mean [" + elsewhereSpecs[*i]->section + "] " + elsewhere[*i] + "?)"
             : std::string();
  }

  // A declared setting, or its `_file` form: a later file's value replaces an earlier one's.
  void fixed(const IniEntry& entry, const std::string& s, const SettingSpec& spec, bool fromFile) {
    const std::pair<std::string, std::string> key{s, lowercase(spec.key)};
    const auto [it, first] = seen_.emplace(key, std::make_pair(entry.file, fromFile));
    if (!first && it->second.first == entry.file) {
      err(entry.file, entry.line,
          "[" + entry.section + "] " +
              (it->second.second == fromFile
                   ? entry.key + " is set more than once"
                   : spec.key + " and " + spec.key + kSecretFileSuffix + " are both set"));
      return;
    }
    it->second = {entry.file, fromFile};
    auto& value = out_.values_[key];
    std::string text = entry.value;
    const std::string problem = fromFile ? readSecretFile(entry.value, out_.baseDir_, text)
                                         : detail::checkValue(spec, entry.value, out_.baseDir_);
    if (!problem.empty()) {
      err(entry.file, entry.line, "[" + spec.section + "] " + entry.key + ": " + problem);
      value.line = entry.line;  // present but wrong: do not also call it missing
      value.file = entry.file;
      return;
    }
    value = {std::move(text), entry.line, spec.type, entry.file};
  }

  // An entry of a dynamic section ([Users] name = ...): a later file's replaces an earlier's.
  void dynamic(const IniEntry& entry, const std::string& s, const DynamicSectionSpec& dyn) {
    auto& names = names_[s];
    const auto [it, first] = names.emplace(entry.key, std::make_pair(entry.file, size_t{0}));
    if (!first && it->second.first == entry.file) {
      err(entry.file, entry.line,
          "[" + entry.section + "] " + entry.key + " is set more than once");
      return;
    }
    const std::string problem = dyn.validate ? dyn.validate(entry.key, entry.value) : "";
    if (!problem.empty()) {
      err(entry.file, entry.line, "[" + dyn.section + "] " + problem);
      return;
    }
    auto& list = out_.dynamic_[s];
    if (first) {
      it->second.second = list.size();
      list.push_back(entry);
    } else {
      it->second.first = entry.file;
      list[it->second.second] = entry;
    }
  }

  const Schema& schema_;
  const IniDocument& doc_;
  Settings& out_;
  std::vector<std::string>& errors_;
  SectionLookup sections_;
  // Declared settings seen, lower-cased: the file that set it and whether as `_file`.
  std::map<std::pair<std::string, std::string>, std::pair<int, bool>> seen_;
  // Names in dynamic sections, exact: views of doc's keys, which outlive the builder.
  std::unordered_map<std::string, std::unordered_map<std::string_view, std::pair<int, size_t>>>
      names_;
};

bool loadSettings(const Schema& schema, const IniDocument& doc, Settings& out,
                  std::vector<std::string>& errors) {
  const size_t before = errors.size();
  SettingsBuilder(schema, doc, out, errors).run();
  return errors.size() == before;
}

}  // namespace chipmunk::config
