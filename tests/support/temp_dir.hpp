// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>

namespace chipmunk::test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void writeFile(const std::string& path, const std::string& content);
std::string readFile(const std::string& path);
bool fileExists(const std::string& path);
// How many times `needle` occurs in `text` (a log, a file read whole), without overlaps.
size_t countOf(const std::string& text, const std::string& needle);

}  // namespace chipmunk::test
