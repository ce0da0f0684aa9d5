// SPDX-License-Identifier: MIT
// Configuration drop-ins: <config>.d/*.ini read after the main file, in lexical order
// (chipmunk-updater.ini: updater.d, chipmunk-api.ini: api.d).
#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/durable_file.hpp"
#include "config/ini.hpp"

namespace chipmunk::config {
namespace {

bool isDropInName(const std::string& name) {
  return name.size() > 4 && name[0] != '.' && name.compare(name.size() - 4, 4, ".ini") == 0;
}

// The drop-in names of `dir`, sorted; false (with an error) when it cannot be listed.
bool listDropIns(const std::string& dir, std::vector<std::string>& names,
                 std::vector<std::string>& errors) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT) {
      return true;  // no drop-ins
    }
    errors.push_back(dir + ": cannot read the drop-in directory: " + std::strerror(errno));
    return false;
  }
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (isDropInName(name) && names.size() <= kMaxDropIns) {
      names.push_back(name);
    }
  }
  ::closedir(handle);
  if (names.size() > kMaxDropIns) {
    errors.push_back(dir + ": more than " + std::to_string(kMaxDropIns) + " drop-in files");
    return false;
  }
  std::sort(names.begin(), names.end());
  return true;
}

// The text of one drop-in, bounded; false (with an error) when it cannot be used.
bool readDropIn(const std::string& path, std::string& text, std::vector<std::string>& errors) {
  std::string error;
  if (readRegularFile(AT_FDCWD, path, kMaxDropInBytes, text, error, {true, nullptr}) !=
      ReadStatus::kOk) {
    errors.push_back(path + ": " + error);
    return false;
  }
  return true;
}

}  // namespace

std::string dropInDirectory(const std::string& configPath) {
  const auto slash = configPath.rfind('/');
  const auto dot = configPath.rfind('.');
  const bool hasExtension =
      dot != std::string::npos && dot > 0 && (slash == std::string::npos || dot > slash + 1);
  std::string stem = hasExtension ? configPath.substr(0, dot) : configPath;
  // In /etc/chipmunk the program's "chipmunk-" prefix says nothing: chipmunk-updater.ini
  // takes its drop-ins from updater.d, chipmunk-api.ini from api.d.
  const size_t base = slash == std::string::npos ? 0 : slash + 1;
  const std::string prefix = "chipmunk-";
  if (stem.compare(base, prefix.size(), prefix) == 0 && stem.size() > base + prefix.size()) {
    stem.erase(base, prefix.size());
  }
  return stem + ".d";
}

bool parseDropIns(IniDocument& doc, std::vector<std::string>& errors) {
  const std::string dir = dropInDirectory(doc.path);
  std::vector<std::string> names;
  if (!listDropIns(dir, names, errors)) {
    return false;
  }
  bool ok = true;
  for (const auto& name : names) {
    const std::string path = dir + "/" + name;
    std::string text;
    IniDocument part;
    if (!readDropIn(path, text, errors)) {
      ok = false;
      continue;
    }
    ok = parseIniText(text, path, part, errors) && ok;
    doc.dropIns.push_back(path);
    const int file = static_cast<int>(doc.dropIns.size());
    for (auto& section : part.sections) {
      section.file = file;
      doc.sections.push_back(std::move(section));
    }
    for (auto& entry : part.entries) {
      entry.file = file;
      doc.entries.push_back(std::move(entry));
    }
  }
  return ok;
}

}  // namespace chipmunk::config
