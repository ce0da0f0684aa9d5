// SPDX-License-Identifier: MIT
#include "api/file_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <dirent.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include <algorithm>
#include <set>
#include <vector>

#include "common/json.hpp"
#include "common/logging.hpp"
#include "common/strings.hpp"
#include "common/utf8.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api {
namespace {

constexpr size_t kMaxRecordFileSize = 64 * 1024;
// Ten years: above any TTL the configuration allows (max_ttl is at most 365 days).
constexpr int64_t kMaxTtl = 10LL * 366 * 86400;

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// A record file: only a regular file is read (a FIFO would block start-up and /set), and
// anything else is logged and treated as absent; the next write replaces it.
bool readRecordFile(int dirFd, const std::string& dir, const std::string& name, std::string& out) {
  std::string error;
  const ReadStatus status = readRegularFile(dirFd, name, kMaxRecordFileSize, out, error);
  if (status == ReadStatus::kOk) {
    return true;
  }
  if (status != ReadStatus::kMissing) {
    logging::get("store")->error("ignoring record file file={}/{} error=\"{}\"", dir, name, error);
  }
  return false;
}

}  // namespace

FileStore::FileStore(const std::string& dir) : dir_(dir) {
  dirFd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd_ < 0) {
    throw std::runtime_error(errnoText(("cannot open data directory " + dir).c_str()));
  }
  lockFd_ = ::openat(dirFd_, ".chipmunk.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (lockFd_ < 0 || ::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
    const std::string why = errno == EWOULDBLOCK
                                ? "another chipmunk-api process uses data directory " + dir
                                : errnoText(("cannot lock data directory " + dir).c_str());
    if (lockFd_ >= 0) {
      ::close(lockFd_);
    }
    ::close(dirFd_);
    throw std::runtime_error(why);
  }
  // Load every record now: expiry only looks at loaded records, and a record stored before
  // a restart must still expire when its TTL runs out.
  list();
}

FileStore::~FileStore() {
  flush();
  ::close(lockFd_);
  ::close(dirFd_);
}

std::shared_ptr<FileStore::Entry> FileStore::entry(const std::string& name) {
  std::lock_guard<std::mutex> lock(mapMutex_);
  auto& slot = entries_[name];
  if (!slot) {
    slot = std::make_shared<Entry>();
    slot->record.name = name;
    load(name, *slot);
  }
  return slot;
}

void FileStore::load(const std::string& name, Entry& e) {
  HostRecord& record = e.record;
  // The one rule for stored addresses (common/ip.hpp) holds for what is on disk too: an
  // address no host can have (written by hand, or by an older version) is dropped.
  auto usable = [&](std::optional<IpAddress> ip, const std::string& file) {
    if (ip && !isPublishable(*ip, true)) {
      logging::get("store")->error("ignoring an address that is no host's file={}/{} ip={}", dir_,
                                   file, ip->toString());
      ip.reset();
    }
    return ip;
  };
  std::string text;
  if (readRecordFile(dirFd_, dir_, name + ".cm", text)) {
    record.ip = usable(IpAddress::parse(std::string(trimAscii(text))), name + ".cm");
    e.exists = true;
  }
  if (!readRecordFile(dirFd_, dir_, name + ".json", text)) {
    if (record.ip) {
      (record.ip->isV4() ? record.ipv4 : record.ipv6) = record.ip;
    }
    return;
  }
  e.exists = true;
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(doc, text, error) || !doc.IsObject()) {
    logging::get("store")->warn("ignoring unreadable metadata file={}/{}.json error=\"{}\"", dir_,
                                name, error.empty() ? "not an object" : error);
    return;
  }
  auto readIp = [&](const char* key) -> std::optional<IpAddress> {
    const auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || !it->value.IsString()) {
      return std::nullopt;
    }
    return usable(IpAddress::parse(it->value.GetString()), name + ".json");
  };
  // Numbers as another program (or a damaged file) may have left them: a time is between 0
  // and now (one in the future was written under a wrong clock and counts as now), a TTL
  // between 0 and kMaxTtl, so that no arithmetic on them (expiry, "seen ago") can overflow
  // and a record cannot be kept from expiring by a date far ahead.
  const int64_t loadedAt = static_cast<int64_t>(::time(nullptr));
  auto readInt = [&](const char* key, int64_t max) -> int64_t {
    const auto it = doc.FindMember(key);
    const int64_t v = it != doc.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
    return std::clamp<int64_t>(v, 0, max);
  };
  record.ipv4 = readIp("ipv4");
  record.ipv6 = readIp("ipv6");
  record.firstSeen = readInt("first_seen", loadedAt);
  record.changedAt = readInt("changed_at", loadedAt);
  record.lastSeen = readInt("last_seen", loadedAt);
  record.ttl = readInt("ttl", kMaxTtl);
  record.expiredAt = readInt("expired_at", loadedAt);
  const auto expired = doc.FindMember("expired");
  record.expired =
      expired != doc.MemberEnd() && expired->value.IsBool() && expired->value.GetBool();
  if (record.expired) {
    record.ip.reset();
  }
  // Text as another program (or an older version) may have left it: kept readable, and
  // written back as valid UTF-8 without controls or bidi overrides.
  const auto meta = doc.FindMember("metadata");
  if (meta != doc.MemberEnd() && meta->value.IsObject()) {
    for (const auto& m : meta->value.GetObject()) {
      if (m.value.IsString()) {
        record.metadata[sanitizeText({m.name.GetString(), m.name.GetStringLength()})] =
            sanitizeText({m.value.GetString(), m.value.GetStringLength()});
      }
    }
  }
}

bool FileStore::writeMeta(const HostRecord& record, std::string& error) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto ip = [&](const char* key, const std::optional<IpAddress>& value) {
    w.Key(key);
    value ? w.String(value->toString().c_str()) : w.Null();
  };
  auto number = [&](const char* key, int64_t value) {
    w.Key(key);
    w.Int64(value);
  };
  w.StartObject();
  w.Key("name");
  w.String(record.name.c_str());
  ip("ip", record.ip);
  ip("ipv4", record.ipv4);
  ip("ipv6", record.ipv6);
  number("first_seen", record.firstSeen);
  number("changed_at", record.changedAt);
  number("last_seen", record.lastSeen);
  number("ttl", record.ttl);
  w.Key("expired");
  w.Bool(record.expired);
  number("expired_at", record.expiredAt);
  w.Key("metadata");
  w.StartObject();
  for (const auto& [key, value] : record.metadata) {
    w.Key(key.c_str());
    w.String(value.c_str());
  }
  w.EndObject();
  w.EndObject();
  return writeFileDurably(dirFd_, record.name + ".json", std::string(buf.GetString()) + "\n",
                          error);
}

void FileStore::touchUpdated() {
  // O_NONBLOCK: a FIFO named 'updated' must not block a /set that holds the record's lock
  // (opening one for writing waits for a reader). Only a regular file is touched.
  const int fd = ::openat(
      dirFd_, "updated", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0644);
  if (fd < 0) {
    const bool notRegular = errno == ENXIO || errno == ELOOP || errno == EISDIR;
    logging::get("store")->error("cannot touch {}/updated: {}", dir_,
                                 notRegular ? "not a regular file" : std::strerror(errno));
    return;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    logging::get("store")->error("cannot touch {}/updated: not a regular file", dir_);
  } else {
    ::futimens(fd, nullptr);
  }
  ::close(fd);
}

UpdateResult FileStore::update(const std::string& name, const RecordUpdate& update, int64_t now) {
  const auto e = entry(name);
  std::lock_guard<std::mutex> lock(e->mutex);
  UpdateResult result;
  result.before = e->record;
  HostRecord next = e->record;
  if (update.ipv4) {
    next.ipv4 = update.ipv4;
  }
  if (update.ipv6) {
    next.ipv6 = update.ipv6;
  }
  const std::optional<IpAddress> primary =
      update.primary ? update.primary : (update.ipv4 ? update.ipv4 : update.ipv6);
  if (primary) {
    next.ip = primary;
  }
  if (update.metadata) {
    next.metadata = *update.metadata;
  }
  if (update.ttl) {
    next.ttl = *update.ttl;
  }
  next.lastSeen = now;
  const bool wasExpired = next.expired;
  next.expired = false;
  next.expiredAt = 0;
  const bool cmChanged = next.ip != result.before.ip || (wasExpired && next.ip);
  const bool changed = cmChanged || next.ipv4 != result.before.ipv4 ||
                       next.ipv6 != result.before.ipv6 || next.metadata != result.before.metadata ||
                       next.ttl != result.before.ttl || wasExpired || !e->exists;
  if (!changed) {
    e->record.lastSeen = now;
    e->dirty = true;
    result.after = e->record;
    result.outcome = SetOutcome::kUnchanged;
    return result;
  }
  const bool addressChanged =
      cmChanged || next.ipv4 != result.before.ipv4 || next.ipv6 != result.before.ipv6;
  if (addressChanged || next.firstSeen == 0) {
    next.changedAt = now;
  }
  if (next.firstSeen == 0) {
    next.firstSeen = now;
  }
  std::string error;
  if (cmChanged && next.ip &&
      !writeFileDurably(dirFd_, name + ".cm", next.ip->toString() + "\n", error)) {
    logging::get("store")->error("record write failed name={} file={}/{}.cm error=\"{}\"", name,
                                 dir_, name, error);
    result.after = result.before;
    result.outcome = SetOutcome::kFailed;
    return result;
  }
  if (!writeMeta(next, error)) {
    if (cmChanged) {
      // The address itself is stored; the side data follows on the next flush.
      logging::get("store")->warn("metadata write failed name={} error=\"{}\"", name, error);
      e->dirty = true;
    } else {
      logging::get("store")->error("record write failed name={} file={}/{}.json error=\"{}\"", name,
                                   dir_, name, error);
      result.after = result.before;
      result.outcome = SetOutcome::kFailed;
      return result;
    }
  } else {
    e->dirty = false;
  }
  e->record = next;
  e->exists = true;
  if (addressChanged) {
    touchUpdated();
  }
  result.after = next;
  result.outcome = SetOutcome::kSaved;
  return result;
}

bool FileStore::put(const HostRecord& record) {
  const auto e = entry(record.name);
  std::lock_guard<std::mutex> lock(e->mutex);
  std::string error;
  bool addressWritten = true;
  if (record.ip) {
    addressWritten =
        writeFileDurably(dirFd_, record.name + ".cm", record.ip->toString() + "\n", error);
  } else if (::unlinkat(dirFd_, (record.name + ".cm").c_str(), 0) == 0) {
    // A record without an address (expired) has no <name>.cm: an old one must not survive.
    addressWritten = ::fsync(dirFd_) == 0;
  } else if (errno != ENOENT) {
    addressWritten = false;
  }
  if (!addressWritten && error.empty()) {
    error = std::string("cannot remove ") + record.name + ".cm: " + std::strerror(errno);
  }
  if (!addressWritten || !writeMeta(record, error)) {
    logging::get("store")->error("record write failed name={} error=\"{}\"", record.name, error);
    return false;
  }
  e->record = record;
  e->exists = true;
  e->dirty = false;
  touchUpdated();
  return true;
}

std::optional<HostRecord> FileStore::get(const std::string& name) {
  const auto e = entry(name);
  std::lock_guard<std::mutex> lock(e->mutex);
  if (!e->exists) {
    return std::nullopt;
  }
  return e->record;
}

std::vector<HostRecord> FileStore::list() {
  std::set<std::string> names;
  if (DIR* d = ::fdopendir(::dup(dirFd_))) {
    ::rewinddir(d);
    while (const dirent* ent = ::readdir(d)) {
      std::string file = ent->d_name;
      if (file.empty() || file[0] == '.') {
        continue;
      }
      // Record names are user and host names (ASCII): another file is not a record.
      if (std::any_of(file.begin(), file.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e;
          })) {
        continue;
      }
      for (const char* suffix : {".cm", ".json"}) {
        const std::string sfx = suffix;
        if (file.size() > sfx.size() &&
            file.compare(file.size() - sfx.size(), sfx.size(), sfx) == 0) {
          names.insert(file.substr(0, file.size() - sfx.size()));
        }
      }
    }
    ::closedir(d);
  }
  {
    std::lock_guard<std::mutex> lock(mapMutex_);
    for (const auto& [name, e] : entries_) {
      names.insert(name);
    }
  }
  std::vector<HostRecord> out;
  for (const auto& name : names) {
    if (auto rec = get(name)) {
      out.push_back(std::move(*rec));
    }
  }
  return out;
}

std::vector<HostRecord> FileStore::expireDue(int64_t now) {
  std::vector<std::shared_ptr<Entry>> all;
  {
    std::lock_guard<std::mutex> lock(mapMutex_);
    for (auto& [name, e] : entries_) {
      all.push_back(e);
    }
  }
  std::vector<HostRecord> expired;
  for (auto& e : all) {
    std::lock_guard<std::mutex> lock(e->mutex);
    HostRecord& r = e->record;
    if (!e->exists || r.expired || r.ttl <= 0 || !r.ip || r.lastSeen + r.ttl > now) {
      continue;
    }
    HostRecord next = r;
    next.expired = true;
    next.expiredAt = now;
    next.ip.reset();
    std::string error;
    // The address file goes first: tools that watch <name>.cm must stop using it.
    if (::unlinkat(dirFd_, (r.name + ".cm").c_str(), 0) != 0 && errno != ENOENT) {
      logging::get("store")->error("expiry failed name={} error=\"{}\"", r.name,
                                   std::strerror(errno));
      continue;
    }
    ::fsync(dirFd_);
    if (!writeMeta(next, error)) {
      logging::get("store")->warn("metadata write failed name={} error=\"{}\"", r.name, error);
    }
    expired.push_back(r);
    r = next;
    e->dirty = false;
    touchUpdated();
  }
  return expired;
}

void FileStore::flush() {
  std::vector<std::shared_ptr<Entry>> all;
  {
    std::lock_guard<std::mutex> lock(mapMutex_);
    for (auto& [name, e] : entries_) {
      all.push_back(e);
    }
  }
  for (auto& e : all) {
    std::lock_guard<std::mutex> lock(e->mutex);
    if (!e->dirty || !e->exists) {
      continue;
    }
    std::string error;
    if (writeMeta(e->record, error)) {
      e->dirty = false;
    } else {
      logging::get("store")->warn("metadata write failed name={} error=\"{}\"", e->record.name,
                                  error);
    }
  }
}

}  // namespace chipmunk::api
