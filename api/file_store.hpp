// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
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
//   <dir>/.journal     the write-ahead journal (api/group_commit.hpp): every change's
//                      whole record, appended; <dir>/.journal.old while a checkpoint runs
// One process owns a directory at a time (an flock on <dir>/.chipmunk.lock). Every record
// is loaded at start and kept in a sorted map; expiry pops a heap keyed by expiry time.
//
// A change is written in this order: <name>.cm and <name>.json replaced in place (the new
// content written over the spare .<file>.tmp and exchanged with the file, RENAME_EXCHANGE,
// so a reader sees the old or the new file, never a torn one, and no inode is created per
// write; not yet fsynced), then the record appended to the journal, whose fdatasync is
// shared by every writer of the moment (group commit). The write is acknowledged after that
// fdatasync: a changed address costs a share of ONE fdatasync instead of three fsyncs. A
// checkpoint (a thread of the store: when the journal passes 8 MB or 16384 entries
// (Journal::Limits), every kCheckpointInterval it is not empty, and when the store closes)
// rotates the journal, makes the record files it covers durable (fdatasync of each, or one
// syncfs when there are many, then the directory), deletes the old journal and the spares.
// At start a journal left by a crash is replayed: its whole entries (a torn tail is
// ignored) are written to their record files durably before the store serves, and the
// journal is removed. So an acknowledged write survives kill -9 (its files are in place) and
// power loss (its entry is durable, and the replay rewrites any file the cut left behind).
class FileStore final : public Store {
 public:
  static constexpr std::chrono::seconds kCheckpointInterval{30};

  // Throws std::runtime_error when the directory cannot be opened, is locked by another
  // process, or its journal cannot be replayed or created. `limits`: when the journal is
  // checkpointed (Journal::Limits' defaults: 8 MB or 16384 entries) and how far it may grow.
  explicit FileStore(const std::string& dir, Journal::Limits limits = Journal::Limits());
  ~FileStore() override;
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  // Store
  UpdateResult update(const std::string& name, const RecordUpdate& update, int64_t now) override;
  // From memory: try_lock on the map and the record's lock, nothing written (the last-seen
  // time goes out with the next flush(), as update()'s does).
  bool updateIfUnchanged(const std::string& name, const RecordUpdate& update, int64_t now) override;
  bool answersUnchanged() const override { return true; }
  std::optional<HostRecord> get(const std::string& name) override;
  std::vector<HostRecord> list() override;
  std::vector<HostRecord> listAfter(const std::string& after, size_t limit) override;
  std::vector<HostRecord> expireDue(int64_t now) override;
  void flush() override;
  bool put(const HostRecord& record) override;
  size_t count() override;

  // What the store wrote since it opened (tests and benchmarks count fsyncs with it).
  const Journal::Counters& counters() const { return counters_; }
  // Makes every journalled change durable in its record files and empties the journal
  // (the checkpoint thread calls it; tests too). False when a file could not be synced: the
  // old journal stays and the next checkpoint tries again.
  bool checkpoint();
  // Bytes in the active journal.
  size_t journalBytes() { return journal_->bytes(); }
  // Records waiting in the expiry heap (stale entries included).
  size_t scheduledExpiries();

 private:
  // One record, compact (RSS at 1M records): its name is the map's key (not stored twice),
  // its metadata allocated only when it has some, and it lives in the map's node.
  struct Entry {
    std::optional<IpAddress> ip;
    std::optional<IpAddress> ipv4;
    std::optional<IpAddress> ipv6;
    bool expired = false;
    bool exists = false;     // on disk (a .cm or .json was read or written)
    bool metaStale = false;  // <name>.json is behind the record (a failed write)
    int64_t firstSeen = 0;
    int64_t changedAt = 0;
    int64_t lastSeen = 0;
    int64_t ttl = 0;
    int64_t expiredAt = 0;
    int64_t jsonLastSeen = 0;  // last_seen in <name>.json
    int64_t scheduled = 0;     // smallest expiry time in the heap for it (0: none); heapMutex_
    std::unique_ptr<Metadata> metadata;

    HostRecord record(const std::string& name) const;
    void assign(HostRecord&& r);
    bool canExpire() const { return !expired && ttl > 0 && ip.has_value(); }
  };
  using Map = std::map<std::string, Entry, std::less<>>;
  // A map node: its address stays valid (entries are never removed).
  using Node = Map::value_type;

  // The lock of a record's entry: one of a fixed set, chosen by name (its std::hash).
  std::mutex& lockFor(const std::string& name);
  std::mutex& lockForHash(size_t hash) { return locks_[hash % locks_.size()]; }  // of the name
  // A node the calling thread found in this store before, by name and its std::hash; null
  // when not remembered. updateIfUnchanged() remembers what it finds: a map node stays its
  // name's while the store lives (entries are never removed), so an I/O thread asked for the
  // same records again skips the map and its mutex. `store` tells stores apart (a new store
  // may have an old one's address).
  struct NodeMemo {
    uint64_t store = 0;
    Node* node = nullptr;
  };
  static constexpr size_t kNodeMemoSlots = 64;
  static NodeMemo* nodeMemo();  // the calling thread's kNodeMemoSlots
  static uint64_t nextSerial();
  Node* foundBefore(const std::string& name, size_t hash) const;
  Node* find(const std::string& name);
  Node* findOrCreate(const std::string& name);
  void loadAll();
  void load(const std::string& name, Entry& entry);
  // Reads <name>.json's fields into `record`; false (logged) when it is no JSON object.
  bool parseMeta(const std::string& name, std::string_view text, HostRecord& record) const;
  // A journal entry, parsed once: the record it names (record.name, a file name of the data
  // directory) with <name>.json's fields and its primary address "ip". False (not logged)
  // when it is no JSON object or names no such file.
  bool parseJournalEntry(std::string_view payload, HostRecord& record) const;
  // What both read of a parsed object (`primary`: "ip" too). In file_store_load.cpp.
  template <typename Object>
  void readMeta(const std::string& name, const Object& doc, HostRecord& record, bool primary) const;
  std::optional<IpAddress> usable(std::optional<IpAddress> ip, const std::string& file) const;
  void readSoftData();
  std::string metaJson(const std::string& name, const HostRecord& record) const;
  struct File {
    std::string name;
    std::string content;
  };
  // Replaces `files` in order (not yet durable); `renamed` says how many did.
  bool writeFiles(const std::vector<File>& files, size_t& renamed, std::string& error);
  // Puts back what the first `renamed` of `files` replaced (the spare an exchange left), or
  // removes a file that was new: a write whose journal entry failed leaves no trace.
  void undoFiles(const std::vector<File>& files, size_t renamed);
  // Appends the record (its metaJson, as written to <name>.json) to the journal: durable
  // when true.
  bool journal(const std::string& name, const std::string& json, bool touch, std::string& error);
  // Touches <dir>/updated (a regular file only, never blocking).
  static void touchUpdated(int dirFd);
  // Returns how many records it wrote back.
  size_t replay();
  bool syncRecordFiles(const std::unordered_set<std::string>& names, std::string& error);
  void removeSpares(const std::unordered_set<std::string>& names);
  void runCheckpoints();
  // Puts the record on the expiry heap when it can expire; caller holds its lock.
  void schedule(Node& node);
  // Expires the record when it is due by `now` (else puts it back on the heap); caller
  // holds its lock.
  bool expireOne(Node& node, int64_t now, HostRecord& was);
  UpdateResult apply(Node& node, const RecordUpdate& update, int64_t now);

  std::string dir_;
  int dirFd_ = -1;
  int lockFd_ = -1;
  Journal::Counters counters_;
  Journal::Limits limits_;
  std::unique_ptr<Journal> journal_;
  std::mutex checkpointMutex_;               // one checkpoint at a time
  std::unordered_set<std::string> oldKeys_;  // names in .journal.old; checkpointMutex_
  bool oldPending_ = false;                  // .journal.old exists; checkpointMutex_
  std::mutex wakeMutex_;
  std::condition_variable wake_;
  bool wakeFull_ = false;
  bool stopping_ = false;
  std::thread checkpointer_;
  std::array<std::mutex, 1024> locks_;
  std::mutex mapMutex_;
  Map entries_;
  std::mutex heapMutex_;
  using Due = std::pair<int64_t, Node*>;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> heap_;
  std::atomic<bool> softDirty_{false};
  std::mutex flushMutex_;
  const uint64_t serial_;  // this store's NodeMemo::store
};

}  // namespace chipmunk::api
