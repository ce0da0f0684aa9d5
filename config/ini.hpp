// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace chipmunk::config {

// One `key = value` line of an INI file, with where it came from: `file` indexes the
// document's files (0: the main file, then its drop-ins).
struct IniEntry {
  std::string section;
  std::string key;
  std::string value;
  int line = 0;
  int file = 0;
};

struct IniSection {
  std::string name;
  int line = 0;
  int file = 0;
};

struct IniDocument {
  std::string path;
  std::vector<std::string> dropIns;  // read after `path`, in order: file 1, 2...
  std::vector<IniSection> sections;  // in file order, duplicates kept
  std::vector<IniEntry> entries;     // in file order, duplicates kept

  // The name of file `index` (0: `path`).
  const std::string& fileName(int index) const {
    return index <= 0 || static_cast<size_t>(index) > dropIns.size() ? path : dropIns[index - 1];
  }
  // "file:line" of a section header.
  std::string where(const IniSection& section) const {
    return fileName(section.file) + ":" + std::to_string(section.line);
  }
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

// Drop-ins: the directory of a configuration file's drop-ins, its path with the extension
// replaced by ".d" and a leading "chipmunk-" dropped from the file name
// (/etc/chipmunk/chipmunk-updater.ini -> /etc/chipmunk/updater.d, /etc/x/my.ini -> /etc/x/my.d).
std::string dropInDirectory(const std::string& configPath);
inline constexpr size_t kMaxDropIns = 128;
inline constexpr size_t kMaxDropInBytes = 16 * 1024 * 1024;

// Parses every "*.ini" of dropInDirectory(doc.path) (hidden names skipped) in lexical order
// and appends its sections and entries to `doc`, each marked with its file. A missing
// directory is no drop-in; an unreadable one, a non-regular or over-long file, or more
// than kMaxDropIns files are errors. Returns false when any error was found.
bool parseDropIns(IniDocument& doc, std::vector<std::string>& errors);

}  // namespace chipmunk::config
