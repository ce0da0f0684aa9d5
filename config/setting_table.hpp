// SPDX-License-Identifier: MIT
#pragma once

// A setting said once: one named row holds its section, key, type, range, default, help and
// the field it fills. From the rows come the schema (validation, --help-config, docs/CONFIG.md)
// and the values: both a loaded file's and the struct's defaults.
//
//   table.setting("Server", "threads").integer(&ApiConfig::threads).range(1, 64)
//       .byDefault("2").help("HTTP worker threads.");
//
// A row declared with an empty section belongs to a section that has many instances
// ([source:NAME], [record:NAME]); the instance is named when the table is used.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/ip.hpp"
#include "common/strings.hpp"
#include "config/settings.hpp"

namespace chipmunk::config {

template <class Target>
class SettingRow {
 public:
  SettingRow(std::string section, std::string key) {
    spec_.section = std::move(section);
    spec_.key = std::move(key);
  }

  // What the row says besides its destination.
  SettingRow& byDefault(std::string value) {
    spec_.defaultValue = std::move(value);
    return *this;
  }
  SettingRow& help(std::string text) {
    spec_.help = std::move(text);
    return *this;
  }
  SettingRow& range(long long min, long long max) {
    spec_.min = min;
    spec_.max = max;
    return *this;
  }
  SettingRow& required() {
    spec_.required = true;
    return *this;
  }
  // The type --help-config shows, when it is not the destination's (call it last).
  SettingRow& listedAs(SettingType type) {
    spec_.type = type;
    return *this;
  }

  // Destinations: each sets the row's type and how its value reaches the field.
  SettingRow& text(std::string Target::*field) {
    return to(SettingType::kString, [field](const Settings& s, const SettingSpec& spec, Target& t) {
      t.*field = s.getString(spec.section, spec.key);
    });
  }
  SettingRow& secret(std::string Target::*field) {
    text(field);
    spec_.type = SettingType::kSecret;
    return *this;
  }
  // Comma- or space-separated words, kept as written.
  SettingRow& list(std::vector<std::string> Target::*field) {
    return to(SettingType::kString, [field](const Settings& s, const SettingSpec& spec, Target& t) {
      t.*field = s.getList(spec.section, spec.key);
    });
  }
  SettingRow& flag(bool Target::*field) {
    return to(SettingType::kBool, [field](const Settings& s, const SettingSpec& spec, Target& t) {
      t.*field = s.getBool(spec.section, spec.key);
    });
  }
  template <class Number>
  SettingRow& integer(Number Target::*field) {
    return to(SettingType::kInteger,
              [field](const Settings& s, const SettingSpec& spec, Target& t) {
                t.*field = static_cast<Number>(s.getInt(spec.section, spec.key));
              });
  }
  SettingRow& seconds(std::chrono::seconds Target::*field) {
    return to(SettingType::kSeconds,
              [field](const Settings& s, const SettingSpec& spec, Target& t) {
                t.*field = s.getSeconds(spec.section, spec.key);
              });
  }
  // Filled only when the file sets the key (an override of another setting).
  SettingRow& seconds(std::optional<std::chrono::seconds> Target::*field) {
    return to(SettingType::kSeconds,
              [field](const Settings& s, const SettingSpec& spec, Target& t) {
                t.*field = s.isSet(spec.section, spec.key)
                               ? std::optional(s.getSeconds(spec.section, spec.key))
                               : std::nullopt;
              });
  }
  // Made absolute against the config file's directory; empty stays empty.
  SettingRow& path(std::string Target::*field) {
    return to(SettingType::kPath, [field](const Settings& s, const SettingSpec& spec, Target& t) {
      t.*field = s.getPath(spec.section, spec.key);
    });
  }
  // An existing directory, made absolute and free of symbolic links.
  SettingRow& directory(std::string Target::*field) {
    return to(SettingType::kDirectory,
              [field](const Settings& s, const SettingSpec& spec, Target& t) {
                t.*field = s.getPath(spec.section, spec.key);
                if (char* real = ::realpath((t.*field).c_str(), nullptr)) {
                  t.*field = real;
                  std::free(real);
                }
              });
  }
  SettingRow& hostPort(std::string Target::*host, uint16_t Target::*port) {
    return to(SettingType::kHostPort,
              [host, port](const Settings& s, const SettingSpec& spec, Target& t) {
                parseHostPort(s.getString(spec.section, spec.key), t.*host, t.*port);
              });
  }
  SettingRow& cidrs(std::vector<Cidr> Target::*field) {
    return to(SettingType::kCidrList,
              [field](const Settings& s, const SettingSpec& spec, Target& t) {
                (t.*field).clear();
                for (const auto& item : s.getList(spec.section, spec.key)) {
                  (t.*field).push_back(*Cidr::parse(item));
                }
              });
  }
  // One of `words`, stored lower-cased.
  SettingRow& choice(std::string Target::*field, std::vector<std::string> words) {
    spec_.choices = std::move(words);
    return to(SettingType::kChoice, [field](const Settings& s, const SettingSpec& spec, Target& t) {
      t.*field = lowercase(s.getString(spec.section, spec.key));
    });
  }
  // One of the words of `values`, stored as the value it names.
  template <class Value>
  SettingRow& choice(Value Target::*field, std::vector<std::pair<std::string, Value>> values) {
    spec_.choices.clear();
    for (const auto& [word, value] : values) {
      spec_.choices.push_back(word);
    }
    return to(SettingType::kChoice,
              [field, values](const Settings& s, const SettingSpec& spec, Target& t) {
                const std::string word = lowercase(s.getString(spec.section, spec.key));
                for (const auto& [name, value] : values) {
                  if (name == word) {
                    t.*field = value;
                  }
                }
              });
  }

  // The row as the schema holds it, in `section` when the row names none.
  SettingSpec spec(const std::string& section) const {
    SettingSpec out = spec_;
    if (out.section.empty()) {
      out.section = section;
    }
    return out;
  }
  void apply(const Settings& settings, const std::string& section, Target& target) const {
    if (apply_) {
      apply_(settings, spec(section), target);
    }
  }

 private:
  using Apply = std::function<void(const Settings&, const SettingSpec&, Target&)>;
  SettingRow& to(SettingType type, Apply apply) {
    spec_.type = type;
    apply_ = std::move(apply);
    return *this;
  }

  SettingSpec spec_;
  Apply apply_;
};

template <class Target>
class SettingTable {
 public:
  SettingRow<Target>& setting(std::string section, std::string key) {
    return rows_.emplace_back(std::move(section), std::move(key));
  }

  // Declares every row in `schema`; `section` names the instance for rows that name none.
  void declare(Schema& schema, const std::string& section = std::string()) const {
    for (const auto& row : rows_) {
      schema.add(row.spec(section));
    }
  }
  // Fills the fields from validated settings.
  void apply(const Settings& settings, Target& target,
             const std::string& section = std::string()) const {
    for (const auto& row : rows_) {
      row.apply(settings, section, target);
    }
  }
  // Fills the fields with the declared defaults, as a file that sets none of them would.
  void applyDefaults(Target& target) const {
    const std::string section = "defaults";
    Schema schema;
    declare(schema, section);
    Settings settings;
    std::vector<std::string> unused;  // required settings are missing, and that is fine here
    loadSettings(schema, IniDocument{}, settings, unused);
    apply(settings, target, section);
  }

 private:
  std::deque<SettingRow<Target>> rows_;  // a deque: a row stays put while the next is added
};

}  // namespace chipmunk::config
