// SPDX-License-Identifier: MIT
// FileStore's reading side: the records at start (<name>.cm, <name>.json), the soft data
// file (.last_seen), and the .json text a write produces. Formats: docs/STORE.md.
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <set>

#include "api/file_store.hpp"
#include "common/json.hpp"
#include "common/logging.hpp"

#include <spdlog/spdlog.h>
#include "common/strings.hpp"
#include "common/utf8.hpp"

namespace chipmunk::api {
namespace {

constexpr size_t kMaxRecordFileSize = 64 * 1024;
// A line per record: room for 2M records of long names.
constexpr size_t kMaxSoftFileSize = 256ULL * 1024 * 1024;
// Ten years: above any TTL the configuration allows (max_ttl is at most 365 days).
constexpr int64_t kMaxTtl = 10LL * 366 * 86400;

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

// Record names are user and host names (ASCII): another file is not a record.
bool isRecordName(std::string_view name) {
  return !name.empty() && name[0] != '.' && std::none_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e;
  });
}

std::set<std::string> recordNamesIn(int dirFd) {
  std::set<std::string> names;
  if (DIR* d = ::fdopendir(::dup(dirFd))) {
    ::rewinddir(d);
    while (const dirent* ent = ::readdir(d)) {
      const std::string_view file = ent->d_name;
      if (!isRecordName(file)) {
        continue;
      }
      for (const std::string_view sfx : {".cm", ".json"}) {
        if (file.size() > sfx.size() && file.substr(file.size() - sfx.size()) == sfx) {
          names.emplace(file.substr(0, file.size() - sfx.size()));
        }
      }
    }
    ::closedir(d);
  }
  return names;
}

}  // namespace

HostRecord FileStore::Entry::record(const std::string& name) const {
  HostRecord r;
  r.name = name;
  r.ip = ip;
  r.ipv4 = ipv4;
  r.ipv6 = ipv6;
  r.firstSeen = firstSeen;
  r.changedAt = changedAt;
  r.lastSeen = lastSeen;
  r.ttl = ttl;
  r.expired = expired;
  r.expiredAt = expiredAt;
  if (metadata) {
    r.metadata = *metadata;
  }
  return r;
}

void FileStore::Entry::assign(HostRecord&& r) {
  ip = r.ip;
  ipv4 = r.ipv4;
  ipv6 = r.ipv6;
  firstSeen = r.firstSeen;
  changedAt = r.changedAt;
  lastSeen = r.lastSeen;
  ttl = r.ttl;
  expired = r.expired;
  expiredAt = r.expiredAt;
  metadata = r.metadata.empty() ? nullptr : std::make_unique<Metadata>(std::move(r.metadata));
}

void FileStore::loadAll() {
  for (const auto& name : recordNamesIn(dirFd_)) {
    Entry e;
    load(name, e);
    if (e.exists) {
      auto* slot = &*entries_.emplace(name, std::move(e)).first;
      schedule(*slot);
    }
  }
  if (replay() > 0) {
    touchUpdated(dirFd_);  // record files changed: tools that watch 'updated' look again
  }
  readSoftData();
  // Loading parses every file: hand the parsers' memory back (RSS at 100k records). Here,
  // at open, before the store serves anything: no request waits for it.
  ::malloc_trim(0);
}

// .last_seen: "chipmunk-last-seen 1" then "<name> <unix seconds>" lines. A time newer than
// the .json's wins; anything unreadable is skipped (it is soft data: a lost line only makes
// a record look seen earlier).
void FileStore::readSoftData() {
  std::string text;
  std::string error;
  const auto status = readRegularFile(dirFd_, ".last_seen", kMaxSoftFileSize, text, error);
  if (status != ReadStatus::kOk) {
    if (status != ReadStatus::kMissing) {
      logging::get("store")->error("ignoring soft data file={}/.last_seen error=\"{}\"", dir_,
                                   error);
    }
    return;
  }
  const int64_t loadedAt = static_cast<int64_t>(::time(nullptr));
  std::string_view rest = text;
  bool header = true;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (header) {
      header = false;
      if (line != "chipmunk-last-seen 1") {
        logging::get("store")->error("ignoring soft data of another format file={}/.last_seen",
                                     dir_);
        return;
      }
      continue;
    }
    const size_t space = line.find(' ');
    int64_t seen = 0;
    if (space == std::string_view::npos) {
      continue;
    }
    const auto number = line.substr(space + 1);
    const auto parsed = std::from_chars(number.data(), number.data() + number.size(), seen);
    if (parsed.ec != std::errc() || parsed.ptr != number.data() + number.size()) {
      continue;
    }
    const auto it = entries_.find(line.substr(0, space));
    if (it != entries_.end()) {
      auto& e = it->second;
      e.lastSeen = std::max(e.lastSeen, std::clamp<int64_t>(seen, 0, loadedAt));
    }
  }
}

// Long function: one reading of <name>.cm and <name>.json, each field bounded where read.
// The one rule for stored addresses (common/ip.hpp) holds for what is on disk too: an
// address no host can have (written by hand, or by an older version) is dropped.
std::optional<IpAddress> FileStore::usable(std::optional<IpAddress> ip,
                                           const std::string& file) const {
  if (ip && !isPublishable(*ip, true)) {
    logging::get("store")->error("ignoring an address that is no host's file={}/{} ip={}", dir_,
                                 file, ip->toString());
    ip.reset();
  }
  return ip;
}

void FileStore::load(const std::string& name, Entry& e) {
  HostRecord record;
  std::string text;
  if (readRecordFile(dirFd_, dir_, name + ".cm", text)) {
    record.ip = usable(IpAddress::parse(std::string(trimAscii(text))), name + ".cm");
    e.exists = true;
  }
  if (!readRecordFile(dirFd_, dir_, name + ".json", text)) {
    if (record.ip) {
      (record.ip->isV4() ? record.ipv4 : record.ipv6) = record.ip;
    }
  } else {
    e.exists = true;
    parseMeta(name, text, record);
  }
  e.assign(std::move(record));
  e.jsonLastSeen = e.lastSeen;
}

// Long function: the fields of one <name>.json (or a journal entry, whose "ip" is the
// primary address), each bounded where read.
template <typename Object>
void FileStore::readMeta(const std::string& name, const Object& doc, HostRecord& record,
                         bool primary) const {
  auto readIp = [&](const char* key) -> std::optional<IpAddress> {
    const auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || !it->value.IsString()) {
      return std::nullopt;
    }
    return usable(IpAddress::parse(it->value.GetString()), name + ".json");
  };
  if (primary) {
    record.ip = readIp("ip");
  }
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

bool FileStore::parseMeta(const std::string& name, std::string_view text,
                          HostRecord& record) const {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(doc, text, error) || !doc.IsObject()) {
    logging::get("store")->warn("ignoring unreadable metadata file={}/{}.json error=\"{}\"", dir_,
                                name, error.empty() ? "not an object" : error);
    return false;
  }
  readMeta(name, doc, record, false);
  return true;
}

bool FileStore::parseJournalEntry(std::string_view payload, HostRecord& record) const {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(doc, payload, error) || !doc.IsObject()) {
    return false;
  }
  const auto it = doc.FindMember("name");
  if (it == doc.MemberEnd() || !it->value.IsString()) {
    return false;
  }
  std::string name(it->value.GetString(), it->value.GetStringLength());
  const bool fileName = !name.empty() && name.size() <= 200 && name[0] != '.' &&
                        name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
  if (!fileName) {
    return false;
  }
  readMeta(name, doc, record, true);
  record.name = std::move(name);
  return true;
}

std::string FileStore::metaJson(const std::string& name, const HostRecord& record) const {
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
  w.String(name.c_str());
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
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

}  // namespace chipmunk::api
