// SPDX-License-Identifier: MIT
#include "config/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "common/durable_file.hpp"

namespace chipmunk::config {
namespace {

std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Where `pathText` points; empty with `error` set when it cannot be resolved.
std::string resolve(const std::string& pathText, const std::string& baseDir, bool& credential,
                    std::string& error) {
  const std::string prefix = kCredentialsPrefix;
  credential = pathText.compare(0, prefix.size(), prefix) == 0;
  if (credential) {
    const std::string name = pathText.substr(prefix.size());
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || dir[0] != '/') {
      error =
          "$CREDENTIALS_DIRECTORY is not set (it is when systemd starts the service with "
          "LoadCredential=)";
      return {};
    }
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      error = "expected $CREDENTIALS_DIRECTORY/NAME, a credential's name without '/'";
      return {};
    }
    return std::string(dir) + "/" + name;
  }
  if (pathText.empty()) {
    error = "expected the path of a file";
    return {};
  }
  return pathText[0] == '/' ? pathText : baseDir + "/" + pathText;
}

// The refusal of a regular file (readRegularFile checked that) others could read or replace;
// empty when it is private.
std::string checkPrivate(const struct stat& st, bool credential) {
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return "owned by uid " + std::to_string(st.st_uid) + ", neither this program's user nor root";
  }
  const mode_t forbidden = credential ? 007 : 077;
  if ((st.st_mode & forbidden) != 0) {
    return "mode " + octal(st.st_mode) + " lets " + (credential ? "others" : "group or others") +
           " at it; a secret file must be private (chmod 0600)";
  }
  return {};
}

}  // namespace

std::string readSecretFile(const std::string& pathText, const std::string& baseDir,
                           std::string& value) {
  bool credential = false;
  std::string error;
  const std::string path = resolve(pathText, baseDir, credential, error);
  if (path.empty()) {
    return error;
  }
  const std::string shown = path.substr(0, 200);
  std::string content;
  std::string problem;
  const ReadOptions options{
      true, [credential](const struct stat& st) { return checkPrivate(st, credential); }};
  if (readRegularFile(AT_FDCWD, path, kMaxSecretFileBytes, content, problem, options) ==
      ReadStatus::kOk) {
    if (!content.empty() && content.back() == '\n') {
      content.pop_back();
      if (!content.empty() && content.back() == '\r') {
        content.pop_back();
      }
    }
    if (content.empty()) {
      problem = "the file is empty";
    } else if (content.find_first_of(std::string("\n\r\0", 3)) != std::string::npos) {
      problem = "the file holds more than one line (or a NUL byte)";
    }
  }
  if (!problem.empty()) {
    return shown + ": " + problem;
  }
  value = std::move(content);
  return {};
}

}  // namespace chipmunk::config
