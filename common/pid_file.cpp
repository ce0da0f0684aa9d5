// SPDX-License-Identifier: MIT
#include "common/pid_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/durable_file.hpp"

namespace chipmunk {
namespace {

// The pid named by the file at `path`, or 0 when it is missing, unreadable or not a pid.
pid_t readPid(const std::string& path) {
  std::string text;
  std::string error;
  if (readRegularFile(AT_FDCWD, path, 64, text, error) != ReadStatus::kOk) {
    return 0;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  if (text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  const long pid = std::strtol(text.c_str(), nullptr, 10);
  return pid > 0 && pid <= 0x7fffffffL ? static_cast<pid_t>(pid) : 0;
}

std::string dirOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string baseOf(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool claimPidFile(const std::string& path, std::string& error) {
  const pid_t self = ::getpid();
  const pid_t other = readPid(path);
  if (other != 0 && other != self && (::kill(other, 0) == 0 || errno == EPERM)) {
    error = "another process (pid " + std::to_string(other) + ") holds it";
    return false;
  }
  const int dirFd = ::open(dirOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0) {
    error = std::string("cannot open its directory: ") + std::strerror(errno);
    return false;
  }
  const bool ok = writeFileDurably(dirFd, baseOf(path), std::to_string(self) + "\n", error);
  ::close(dirFd);
  return ok;
}

void releasePidFile(const std::string& path) {
  if (readPid(path) == ::getpid()) {
    ::unlink(path.c_str());
  }
}

}  // namespace chipmunk
