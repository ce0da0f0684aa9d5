// SPDX-License-Identifier: MIT
#include "updater/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstring>

#include "common/json.hpp"

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
  rapidjson::Document doc;
  if (!json::parse(doc, text, error) || !doc.IsObject()) {
    return std::nullopt;  // a damaged file is as good as none: the next push rewrites it
  }
  RecordState s;
  auto str = [&](const char* key, std::string& out) {
    if (doc.HasMember(key) && doc[key].IsString()) {
      out = doc[key].GetString();
    }
  };
  // Times are seconds since the epoch: a negative one (a damaged or hand-edited file) is
  // none, so that no later arithmetic on it can overflow.
  auto num = [&](const char* key, long long& out) {
    if (doc.HasMember(key) && doc[key].IsInt64() && doc[key].GetInt64() >= 0) {
      out = doc[key].GetInt64();
    }
  };
  str("fingerprint", s.fingerprint);
  str("ip", s.ip);
  num("pushed_at", s.pushedAt);
  str("last_result", s.lastResult);
  num("attempted_at", s.attemptedAt);
  str("detail", s.detail);
  return s;
}

bool StateStore::save(const std::string& record, const RecordState& state, std::string& error) {
  if (dirFd_ < 0) {
    error = "state directory not open";
    return false;
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("record");
  w.String(record.c_str());
  w.Key("fingerprint");
  w.String(state.fingerprint.c_str());
  w.Key("ip");
  w.String(state.ip.c_str());
  w.Key("pushed_at");
  w.Int64(state.pushedAt);
  w.Key("last_result");
  w.String(state.lastResult.c_str());
  w.Key("attempted_at");
  w.Int64(state.attemptedAt);
  w.Key("detail");
  w.String(state.detail.substr(0, 300).c_str());
  w.EndObject();
  return writeFileDurably(dirFd_, fileName(record), std::string(buf.GetString()) + "\n", error,
                          0640);
}

}  // namespace chipmunk::updater
