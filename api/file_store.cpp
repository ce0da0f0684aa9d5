// SPDX-License-Identifier: MIT
#include "api/file_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "api/record_update.hpp"
#include "common/logging.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api {
namespace {

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

void FileStore::touchUpdated(int dirFd) {
  // O_NONBLOCK: a FIFO named 'updated' must not block a /set that holds the record's lock
  // (opening one for writing waits for a reader). Only a regular file is touched.
  const int fd = ::openat(
      dirFd, "updated", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0644);
  if (fd < 0) {
    const bool notRegular = errno == ENXIO || errno == ELOOP || errno == EISDIR;
    logging::get("store")->error("cannot touch updated in the data directory: {}",
                                 notRegular ? "not a regular file" : std::strerror(errno));
    return;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    logging::get("store")->error("cannot touch updated in the data directory: not a regular file");
  } else {
    ::futimens(fd, nullptr);
  }
  ::close(fd);
}

FileStore::FileStore(const std::string& dir, Journal::Limits limits)
    : dir_(dir), limits_(limits), serial_(nextSerial()) {
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
  try {
    // Load every record now: expiry only looks at loaded records, and a record stored
    // before a restart must still expire when its TTL runs out. A journal a crash left is
    // replayed (and removed) on the way.
    loadAll();
    journal_ = std::make_unique<Journal>(dirFd_, counters_, limits_, touchUpdated, [this] {
      std::lock_guard<std::mutex> lock(wakeMutex_);
      wakeFull_ = true;
      wake_.notify_one();
    });
  } catch (...) {
    ::close(lockFd_);
    ::close(dirFd_);
    throw;
  }
  checkpointer_ = std::thread([this] { runCheckpoints(); });
}

FileStore::~FileStore() {
  {
    std::lock_guard<std::mutex> lock(wakeMutex_);
    stopping_ = true;
    wake_.notify_one();
  }
  checkpointer_.join();
  flush();
  // Both journals, when a failed checkpoint left the old one (bounded: two syncs at most).
  if (checkpoint()) {
    checkpoint();
  }
  journal_.reset();
  ::close(lockFd_);
  ::close(dirFd_);
}

std::mutex& FileStore::lockFor(const std::string& name) {
  return lockForHash(std::hash<std::string>()(name));
}

FileStore::Node* FileStore::find(const std::string& name) {
  std::lock_guard<std::mutex> lock(mapMutex_);
  const auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &*it;
}

FileStore::Node* FileStore::findOrCreate(const std::string& name) {
  std::lock_guard<std::mutex> lock(mapMutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    it = entries_.try_emplace(name).first;
  }
  return &*it;
}

void FileStore::schedule(Node& node) {
  Entry& e = node.second;
  if (!e.exists || !e.canExpire()) {
    return;
  }
  const int64_t due = e.lastSeen + e.ttl;
  std::lock_guard<std::mutex> lock(heapMutex_);
  if (e.scheduled != 0 && e.scheduled <= due) {
    return;  // an earlier check is queued: it finds the later time then
  }
  heap_.emplace(due, &node);
  e.scheduled = due;
}

size_t FileStore::scheduledExpiries() {
  std::lock_guard<std::mutex> lock(heapMutex_);
  return heap_.size();
}

UpdateResult FileStore::update(const std::string& name, const RecordUpdate& update, int64_t now) {
  Node* node = findOrCreate(name);
  std::lock_guard<std::mutex> lock(lockFor(name));
  return apply(*node, update, now);
}

// Long function: one update from the fields given to the files written, in the order the
// original's tools expect (<name>.cm before <name>.json).
UpdateResult FileStore::apply(Node& node, const RecordUpdate& update, int64_t now) {
  const std::string& name = node.first;
  Entry& e = node.second;
  UpdateResult result;
  result.before = e.record(name);
  PlannedUpdate plan = planUpdate(result.before, e.exists, update, now);
  if (!plan.changed) {
    e.lastSeen = now;
    softDirty_ = true;
    result.after = e.record(name);
    result.outcome = SetOutcome::kUnchanged;
    return result;
  }
  HostRecord& next = plan.next;
  // <name>.cm is rewritten when the primary address moved (or came back after expiry).
  const bool cmChanged = next.ip != result.before.ip || (result.before.expired && next.ip);
  const bool addressChanged =
      cmChanged || next.ipv4 != result.before.ipv4 || next.ipv6 != result.before.ipv6;
  std::vector<File> files;
  const bool writeCm = cmChanged && next.ip;
  if (writeCm) {
    files.push_back({name + ".cm", next.ip->toString() + "\n"});
  }
  files.push_back({name + ".json", metaJson(name, next)});
  std::string error;
  size_t renamed = 0;
  bool ok = writeFiles(files, renamed, error);
  std::string journalError;
  if ((ok || (writeCm && renamed == 1)) &&
      !journal(name, files.back().content, addressChanged, journalError)) {
    // Not durable, so not done: the files go back to what readers saw before.
    undoFiles(files, renamed);
    ok = false;
    renamed = 0;
    error = journalError;
  }
  if (!ok && !(writeCm && renamed == 1)) {
    logging::get("store")->error("record write failed name={} file={}/{} error=\"{}\"", name, dir_,
                                 files[std::min(renamed, files.size() - 1)].name, error);
    result.after = result.before;
    result.outcome = SetOutcome::kFailed;
    return result;
  }
  if (!ok) {
    // The address itself is stored (and journalled); the side data follows on the next flush.
    logging::get("store")->warn("metadata write failed name={} error=\"{}\"", name, error);
  }
  e.metaStale = !ok;
  softDirty_ = softDirty_ || !ok;  // the flush retries the .json
  e.jsonLastSeen = ok ? now : e.jsonLastSeen;
  result.after = next;
  e.assign(std::move(next));
  e.exists = true;
  schedule(node);
  result.outcome = SetOutcome::kSaved;
  return result;
}

bool FileStore::put(const HostRecord& record) {
  Node* node = findOrCreate(record.name);
  std::lock_guard<std::mutex> lock(lockFor(record.name));
  Entry& e = node->second;
  std::vector<File> files;
  if (record.ip) {
    files.push_back({record.name + ".cm", record.ip->toString() + "\n"});
  }
  files.push_back({record.name + ".json", metaJson(record.name, record)});
  std::string error;
  if (!record.ip && ::unlinkat(dirFd_, (record.name + ".cm").c_str(), 0) != 0 && errno != ENOENT) {
    // A record without an address (expired) has no <name>.cm: an old one must not survive.
    logging::get("store")->error("record write failed name={} error=\"cannot remove {}.cm: {}\"",
                                 record.name, record.name, std::strerror(errno));
    return false;
  }
  size_t renamed = 0;
  const bool written = writeFiles(files, renamed, error);
  if (!written || !journal(record.name, files.back().content, true, error)) {
    if (written) {
      undoFiles(files, renamed);
    }
    logging::get("store")->error("record write failed name={} error=\"{}\"", record.name, error);
    return false;
  }
  e.assign(HostRecord(record));
  e.exists = true;
  e.metaStale = false;
  e.jsonLastSeen = record.lastSeen;
  softDirty_ = true;  // a .last_seen line of an older record must not outlive it
  schedule(*node);
  return true;
}

std::optional<HostRecord> FileStore::get(const std::string& name) {
  Node* node = find(name);
  if (node == nullptr) {
    // Not loaded at start nor written since: another program may have put it there.
    Entry fresh;
    load(name, fresh);
    if (!fresh.exists) {
      return std::nullopt;
    }
    {
      std::lock_guard<std::mutex> lock(mapMutex_);
      node = &*entries_.emplace(name, std::move(fresh)).first;
    }
    std::lock_guard<std::mutex> lock(lockFor(name));
    schedule(*node);
  }
  std::lock_guard<std::mutex> lock(lockFor(name));
  if (!node->second.exists) {
    return std::nullopt;
  }
  return node->second.record(name);
}

size_t FileStore::count() {
  std::vector<Node*> nodes;
  {
    std::lock_guard<std::mutex> lock(mapMutex_);
    nodes.reserve(entries_.size());
    for (auto& node : entries_) {
      nodes.push_back(&node);
    }
  }
  size_t n = 0;
  for (Node* node : nodes) {
    std::lock_guard<std::mutex> lock(lockFor(node->first));
    n += node->second.exists ? 1 : 0;
  }
  return n;
}

std::vector<HostRecord> FileStore::list() {
  return listAfter("", SIZE_MAX);
}

std::vector<HostRecord> FileStore::listAfter(const std::string& after, size_t limit) {
  // Nodes are stable and never removed: collect the page's nodes under the map's lock,
  // read each under its own.
  std::vector<Node*> nodes;
  {
    std::lock_guard<std::mutex> lock(mapMutex_);
    for (auto it = entries_.upper_bound(after); it != entries_.end() && nodes.size() < limit;
         ++it) {
      nodes.push_back(&*it);
    }
  }
  std::vector<HostRecord> out;
  out.reserve(nodes.size());
  for (Node* node : nodes) {
    std::lock_guard<std::mutex> lock(lockFor(node->first));
    if (node->second.exists) {
      out.push_back(node->second.record(node->first));
    }
  }
  return out;
}

bool FileStore::expireOne(Node& node, int64_t now, HostRecord& was) {
  const std::string& name = node.first;
  Entry& e = node.second;
  if (!e.exists || !e.canExpire()) {
    return false;
  }
  if (e.lastSeen + e.ttl > now) {
    schedule(node);  // refreshed since it was queued
    return false;
  }
  HostRecord next = e.record(name);
  next.expired = true;
  next.expiredAt = now;
  next.ip.reset();
  // The address file goes first: tools that watch <name>.cm must stop using it.
  if (::unlinkat(dirFd_, (name + ".cm").c_str(), 0) != 0 && errno != ENOENT) {
    logging::get("store")->error("expiry failed name={} error=\"{}\"", name, std::strerror(errno));
    return false;
  }
  std::string error;
  size_t renamed = 0;
  // The journal entry makes the unlink and the new .json durable (a replay repeats both).
  const std::string json = metaJson(name, next);
  if (!writeFiles({{name + ".json", json}}, renamed, error)) {
    logging::get("store")->warn("metadata write failed name={} error=\"{}\"", name, error);
  }
  if (!journal(name, json, true, error)) {
    logging::get("store")->warn("journal write failed name={} error=\"{}\"", name, error);
  }
  e.metaStale = renamed == 0;
  softDirty_ = softDirty_ || e.metaStale;
  e.jsonLastSeen = renamed == 0 ? e.jsonLastSeen : next.lastSeen;
  was = e.record(name);
  e.assign(std::move(next));
  return true;
}

std::vector<HostRecord> FileStore::expireDue(int64_t now) {
  std::vector<HostRecord> expired;
  for (;;) {
    Node* node = nullptr;
    {
      std::lock_guard<std::mutex> lock(heapMutex_);
      if (heap_.empty() || heap_.top().first > now) {
        break;
      }
      const auto [due, top] = heap_.top();
      heap_.pop();
      if (top->second.scheduled != due) {
        continue;  // superseded by an earlier time, already handled
      }
      top->second.scheduled = 0;
      node = top;
    }
    std::lock_guard<std::mutex> lock(lockFor(node->first));
    HostRecord was;
    if (expireOne(*node, now, was)) {
      expired.push_back(std::move(was));
    }
  }
  return expired;
}

void FileStore::flush() {
  std::lock_guard<std::mutex> flushing(flushMutex_);
  if (!softDirty_.exchange(false)) {
    return;
  }
  std::vector<Node*> nodes;
  {
    std::lock_guard<std::mutex> lock(mapMutex_);
    nodes.reserve(entries_.size());
    for (auto& node : entries_) {
      nodes.push_back(&node);
    }
  }
  // One file for every last-seen time newer than its .json: a bounded write (one file, two
  // fsyncs) however many records were seen, instead of a .json rewrite per record.
  std::string soft = "chipmunk-last-seen 1\n";
  size_t lines = 0;
  for (Node* node : nodes) {
    std::lock_guard<std::mutex> lock(lockFor(node->first));
    Entry& e = node->second;
    if (!e.exists) {
      continue;
    }
    if (e.metaStale) {
      std::string error;
      size_t renamed = 0;
      const std::string json = metaJson(node->first, e.record(node->first));
      if (writeFiles({{node->first + ".json", json}}, renamed, error) &&
          journal(node->first, json, false, error)) {
        e.metaStale = false;
        e.jsonLastSeen = e.lastSeen;
      }
    }
    if (e.lastSeen > e.jsonLastSeen) {
      soft += node->first;
      soft += ' ';
      soft += std::to_string(e.lastSeen);
      soft += '\n';
      ++lines;
    }
  }
  std::string error;
  counters_.fsyncs.fetch_add(2, std::memory_order_relaxed);
  if (writeFileDurably(dirFd_, ".last_seen", soft, error)) {
    counters_.filesWritten.fetch_add(1, std::memory_order_relaxed);
  } else {
    softDirty_ = true;  // tried again on the next flush
    logging::get("store")->warn("soft data write failed file={}/.last_seen records={} error=\"{}\"",
                                dir_, lines, error);
  }
}

}  // namespace chipmunk::api
