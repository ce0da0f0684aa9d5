// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace chipmunk::config {

// One `key = value` line of an INI file, with where it came from.
struct IniEntry {
  std::string section;
  std::string key;
  std::string value;
  int line = 0;
};

struct IniSection {
  std::string name;
  int line = 0;
};

struct IniDocument {
  std::string path;
  std::vector<IniSection> sections;  // in file order, duplicates kept
  std::vector<IniEntry> entries;     // in file order, duplicates kept
};

// The longest line the packaged inih accepts (INI_MAX_LINE - 1, less the newline).
// Longer lines are refused with this limit, except `key = value` lines (a long command,
// regex or hook): those pass inih a placeholder and keep their value, up to
// kMaxSettingLineLength characters.
inline constexpr int kMaxIniLineLength = 198;
inline constexpr size_t kMaxSettingLineLength = 16384;

// Parses INI text through inih. Syntax problems are appended to `errors` as
// "path:line: message"; parsing goes on so that every problem is reported at once.
// Returns false when any error was found.
bool parseIniText(const std::string& text, const std::string& path, IniDocument& doc,
                  std::vector<std::string>& errors);

// Reads and parses a file; an unreadable file is one error "path: message".
bool parseIniFile(const std::string& path, IniDocument& doc, std::vector<std::string>& errors);

}  // namespace chipmunk::config
