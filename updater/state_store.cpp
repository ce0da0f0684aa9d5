// SPDX-License-Identifier: MIT
#include "updater/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chipmunk::updater {
namespace {

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

bool makeDirs(const std::string& path) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (!partial.empty() && ::mkdir(partial.c_str(), 0750) != 0 && errno != EEXIST) {
      return false;
    }
  }
  return true;
}

}  // namespace

StateStore::StateStore(std::string dir) : dir_(std::move(dir)) {}

StateStore::~StateStore() {
  if (dirFd_ >= 0) {
    ::close(dirFd_);
  }
}

bool StateStore::open(std::string& error) {
  if (dir_.empty()) {
    error = "no state directory";
    return false;
  }
  if (!makeDirs(dir_)) {
    error = errnoText(("cannot create " + dir_).c_str());
    return false;
  }
  dirFd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd_ < 0) {
    error = errnoText(("cannot open " + dir_).c_str());
    return false;
  }
  return true;
}

bool StateStore::openExisting() {
  if (!dir_.empty()) {
    dirFd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  return dirFd_ >= 0;
}

std::string StateStore::fileName(const std::string& record) {
  std::string out;
  for (const char c : record.substr(0, 100)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  if (out.empty() || out[0] == '.') {
    out.insert(0, "_");
  }
  return out + ".state";
}

std::optional<RecordState> StateStore::load(const std::string& record) const {
  if (dirFd_ < 0) {
    return std::nullopt;
  }
  // Only a regular file is read: a FIFO there would block the updater for ever. Anything
  // unreadable counts as no state; the next push replaces it.
  std::string text;
  std::string error;
  if (readRegularFile(dirFd_, fileName(record), 64 * 1024, text, error) != ReadStatus::kOk) {
    return std::nullopt;
  }
  return providers::parseSyncState(text);
}

bool StateStore::save(const std::string& record, const RecordState& state, std::string& error) {
  if (dirFd_ < 0) {
    error = "state directory not open";
    return false;
  }
  return writeFileDurably(dirFd_, fileName(record), providers::formatSyncState(record, state),
                          error, 0640);
}

}  // namespace chipmunk::updater
