// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "api/group_commit.hpp"
#include "api/store.hpp"
#include "common/durable_file.hpp"

namespace chipmunk::api {

using chipmunk::writeFileDurably;  // durable_file.hpp

// The embedded default store, compatible with the original Chipmunk (docs/STORE.md):
//   <dir>/<name>.cm    the current IP and a newline, rewritten only when it changes
//   <dir>/updated      touched whenever any record's address changes
//   <dir>/<name>.json  first seen, changed at, last seen, IPv4, IPv6, TTL, metadata
//   <dir>/.last_seen   last-seen times newer than those in the .json files (soft data,
//                      written by flush() in one file)
// One process owns a directory at a time (an flock on <dir>/.chipmunk.lock). Every record
// is loaded at start and kept in a sorted map; writes of concurrent callers share their
// directory fsync (GroupCommit); expiry pops a heap keyed by expiry time.
class FileStore final : public Store {
 public:
  // Throws std::runtime_error when the directory cannot be opened or is locked by another
  // process.
  explicit FileStore(const std::string& dir);
  ~FileStore() override;
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  // Store
  UpdateResult update(const std::string& name, const RecordUpdate& update, int64_t now) override;
  std::optional<HostRecord> get(const std::string& name) override;
  std::vector<HostRecord> list() override;
  std::vector<HostRecord> listAfter(const std::string& after, size_t limit) override;
  std::vector<HostRecord> expireDue(int64_t now) override;
  void flush() override;
  bool put(const HostRecord& record) override;
  size_t count() override;

  // What the store wrote since it opened (tests and benchmarks count fsyncs with it).
  const GroupCommit::Counters& counters() const { return counters_; }
  // Records waiting in the expiry heap (stale entries included).
  size_t scheduledExpiries();

 private:
  struct Entry {
    HostRecord record;         // its name is the map's key (not stored twice)
    bool exists = false;       // on disk (a .cm or .json was read or written)
    bool metaStale = false;    // <name>.json is behind the record (a failed write)
    int64_t jsonLastSeen = 0;  // last_seen in <name>.json
    int64_t scheduled = 0;     // smallest expiry time in the heap for it (0: none); heapMutex_
  };
  using Map = std::map<std::string, std::unique_ptr<Entry>, std::less<>>;
  // A map node: its address stays valid (entries are never removed).
  using Node = Map::value_type;

  // The lock of a record's entry: one of a fixed set, chosen by name.
  std::mutex& lockFor(const std::string& name);
  Node* find(const std::string& name);
  Node* findOrCreate(const std::string& name);
  void loadAll();
  void load(const std::string& name, Entry& entry);
  void readSoftData();
  std::string metaJson(const std::string& name, const HostRecord& record) const;
  bool writeFiles(const std::vector<GroupCommit::File>& files, bool touch, size_t& renamed,
                  std::string& error);
  HostRecord named(const std::string& name, const HostRecord& record) const;
  // Puts the record on the expiry heap when it can expire; caller holds its lock.
  void schedule(Node& node);
  // Expires the record when it is due by `now` (else puts it back on the heap); caller
  // holds its lock.
  bool expireOne(Node& node, int64_t now, HostRecord& was);
  UpdateResult apply(Node& node, const RecordUpdate& update, int64_t now);

  std::string dir_;
  int dirFd_ = -1;
  int lockFd_ = -1;
  GroupCommit::Counters counters_;
  std::unique_ptr<GroupCommit> commit_;
  std::array<std::mutex, 1024> locks_;
  std::mutex mapMutex_;
  Map entries_;
  std::mutex heapMutex_;
  using Due = std::pair<int64_t, Node*>;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> heap_;
  std::atomic<bool> softDirty_{false};
  std::mutex flushMutex_;
};

}  // namespace chipmunk::api
