// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "api/store.hpp"
#include "common/durable_file.hpp"

namespace chipmunk::api {

using chipmunk::writeFileDurably;  // durable_file.hpp

// The embedded default store, compatible with the original Chipmunk:
//   <dir>/<name>.cm    the current IP and a newline, rewritten only when it changes
//   <dir>/updated      touched whenever any record's address changes
//   <dir>/<name>.json  first seen, changed at, last seen, IPv4, IPv6, TTL, metadata
// One process owns a directory at a time (an flock on <dir>/.chipmunk.lock).
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
  std::vector<HostRecord> expireDue(int64_t now) override;
  void flush() override;
  bool put(const HostRecord& record) override;

 private:
  struct Entry {
    std::mutex mutex;
    HostRecord record;
    bool exists = false;  // on disk (a .cm or .json was read or written)
    bool dirty = false;   // last-seen newer than on disk
  };

  std::shared_ptr<Entry> entry(const std::string& name);
  void load(const std::string& name, Entry& entry);
  bool writeMeta(const HostRecord& record, std::string& error);
  void touchUpdated();

  std::string dir_;
  int dirFd_ = -1;
  int lockFd_ = -1;
  std::mutex mapMutex_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace chipmunk::api
