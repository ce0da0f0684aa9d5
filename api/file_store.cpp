#include "file_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "logging.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api {
namespace {

constexpr size_t kMaxRecordFileSize = 64 * 1024;

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

bool readSmallFile(int dirFd, const std::string& name, std::string& out) {
  const int fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return false;
  }
  out.clear();
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() < kMaxRecordFileSize) {
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return n >= 0;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

bool writeFileDurably(int dirFd, const std::string& name, const std::string& content,
                      std::string& error) {
  const std::string tmp = "." + name + ".tmp";
  const int fd =
      ::openat(dirFd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    error = errnoText("create temporary file");
    return false;
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      error = errnoText("write");
      ::close(fd);
      ::unlinkat(dirFd, tmp.c_str(), 0);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    error = errnoText("fsync");
    ::close(fd);
    ::unlinkat(dirFd, tmp.c_str(), 0);
    return false;
  }
  if (::close(fd) != 0) {
    error = errnoText("close");
    ::unlinkat(dirFd, tmp.c_str(), 0);
    return false;
  }
  if (::renameat(dirFd, tmp.c_str(), dirFd, name.c_str()) != 0) {
    error = errnoText("rename");
    ::unlinkat(dirFd, tmp.c_str(), 0);
    return false;
  }
  if (::fsync(dirFd) != 0) {
    // The new content is in place; only its durability across a power cut is in doubt.
    error = errnoText("fsync directory");
    return false;
  }
  return true;
}

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
}

FileStore::~FileStore() {
  flush();
  ::close(lockFd_);
  ::close(dirFd_);
}

std::shared_ptr<FileStore::Entry> FileStore::entry(const std::string& user) {
  std::lock_guard<std::mutex> lock(mapMutex_);
  auto& slot = entries_[user];
  if (!slot) {
    slot = std::make_shared<Entry>();
    slot->record.name = user;
    load(user, slot->record);
  }
  return slot;
}

void FileStore::load(const std::string& user, HostRecord& record) {
  std::string text;
  if (readSmallFile(dirFd_, user + ".cm", text)) {
    record.ip = IpAddress::parse(trimmed(text));
  }
  if (!readSmallFile(dirFd_, user + ".json", text)) {
    return;
  }
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    logging::get("store")->warn("ignoring unreadable metadata file={}/{}.json", dir_, user);
    return;
  }
  auto readIp = [&](const char* key) -> std::optional<IpAddress> {
    const auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || !it->value.IsString()) {
      return std::nullopt;
    }
    return IpAddress::parse(it->value.GetString());
  };
  auto readTime = [&](const char* key) -> int64_t {
    const auto it = doc.FindMember(key);
    return it != doc.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
  };
  record.ipv4 = readIp("ipv4");
  record.ipv6 = readIp("ipv6");
  record.firstSeen = readTime("first_seen");
  record.changedAt = readTime("changed_at");
  record.lastSeen = readTime("last_seen");
}

bool FileStore::writeMeta(const HostRecord& record, std::string& error) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("name");
  w.String(record.name.c_str());
  w.Key("ip");
  record.ip ? w.String(record.ip->toString().c_str()) : w.Null();
  w.Key("ipv4");
  record.ipv4 ? w.String(record.ipv4->toString().c_str()) : w.Null();
  w.Key("ipv6");
  record.ipv6 ? w.String(record.ipv6->toString().c_str()) : w.Null();
  w.Key("first_seen");
  w.Int64(record.firstSeen);
  w.Key("changed_at");
  w.Int64(record.changedAt);
  w.Key("last_seen");
  w.Int64(record.lastSeen);
  w.EndObject();
  return writeFileDurably(dirFd_, record.name + ".json", std::string(buf.GetString()) + "\n",
                          error);
}

SetOutcome FileStore::recordIp(const std::string& user, const IpAddress& ip, int64_t now) {
  const auto e = entry(user);
  std::lock_guard<std::mutex> lock(e->mutex);
  HostRecord& record = e->record;
  if (record.ip && *record.ip == ip) {
    record.lastSeen = now;
    e->dirty = true;
    return SetOutcome::kUnchanged;
  }
  std::string error;
  if (!writeFileDurably(dirFd_, user + ".cm", ip.toString() + "\n", error)) {
    logging::get("store")->error("record write failed user={} file={}/{}.cm error=\"{}\"", user,
                                 dir_, user, error);
    return SetOutcome::kFailed;
  }
  HostRecord updated = record;
  updated.ip = ip;
  (ip.isV4() ? updated.ipv4 : updated.ipv6) = ip;
  if (updated.firstSeen == 0) {
    updated.firstSeen = now;
  }
  updated.changedAt = now;
  updated.lastSeen = now;
  record = updated;
  if (!writeMeta(record, error)) {
    logging::get("store")->warn("metadata write failed user={} error=\"{}\"", user, error);
    e->dirty = true;
  } else {
    e->dirty = false;
  }
  const int fd = ::openat(dirFd_, "updated", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd >= 0) {
    ::futimens(fd, nullptr);
    ::close(fd);
  } else {
    logging::get("store")->warn("cannot touch {}/updated: {}", dir_, std::strerror(errno));
  }
  return SetOutcome::kSaved;
}

std::optional<HostRecord> FileStore::get(const std::string& user) {
  const auto e = entry(user);
  std::lock_guard<std::mutex> lock(e->mutex);
  if (!e->record.ip) {
    return std::nullopt;
  }
  return e->record;
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
    if (!e->dirty || !e->record.ip) {
      continue;
    }
    std::string error;
    if (writeMeta(e->record, error)) {
      e->dirty = false;
    } else {
      logging::get("store")->warn("metadata write failed user={} error=\"{}\"", e->record.name,
                                  error);
    }
  }
}

}  // namespace chipmunk::api
