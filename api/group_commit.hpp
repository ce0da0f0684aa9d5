// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace chipmunk::api {

// Durable replacement of files in one directory, with the guarantees of writeFileDurably
// (common/durable_file.hpp: a crash leaves the old or the new content of each file, never a
// torn one) but with the directory's fsync shared by concurrent writers (group commit).
//
// Each caller writes and fsyncs its temporary files on its own thread (concurrent fsyncs
// share the file system's journal commits), then queues the renames. The first caller that
// finds no batch running leads one: it renames every queued file into place, fsyncs the
// directory once, touches <dir>/updated once when asked, and wakes the whole batch. A
// caller returns only when its files are in place and durable, so an acknowledged write
// survives a crash as before; callers that queued while a batch ran form the next batch.
class GroupCommit {
 public:
  struct File {
    std::string name;
    std::string content;
  };
  struct Counters {
    std::atomic<uint64_t> filesWritten{0};
    std::atomic<uint64_t> fsyncs{0};
    std::atomic<uint64_t> batches{0};
  };

  // `touch` is called by a batch's leader, once, when a write of the batch asked for it.
  GroupCommit(int dirFd, Counters& counters, std::function<void(int dirFd)> touch);
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Replaces `files` in order; true when all are in place and durable. Otherwise `error`
  // says why and `renamed` how many of them (a prefix) replaced their targets; 0: none did.
  // The caller holds a lock that keeps other writers of these names away (the temporary
  // names are ".<name>.tmp").
  bool write(const std::vector<File>& files, bool touchUpdated, size_t& renamed,
             std::string& error);
  // Writes queued for the next batch (tests watch batches form with it).
  size_t queued();

 private:
  struct Pending {
    std::vector<std::string> names;
    bool touch = false;
    size_t renamed = 0;
    std::string error;
    bool done = false;
  };
  bool stage(const File& file, std::string& error);
  void runBatch(std::vector<Pending*>& batch);

  int dirFd_;
  Counters& counters_;
  std::function<void(int)> touch_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Pending*> queue_;
  bool leading_ = false;
};

}  // namespace chipmunk::api
