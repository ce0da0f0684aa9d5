// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace chipmunk::api {

// The file store's write-ahead journal, <dir>/.journal: concurrent writers append one entry
// each and share ONE fdatasync per group (group commit). A writer that finds no sync running
// leads one: it writes every queued entry in one write(), fdatasyncs the file once, touches
// <dir>/updated once when asked, and wakes the whole group; entries queued meanwhile form
// the next group. append() returns true only once its entry is durable.
//
// An entry is "CMJ1", the payload's length and its CRC-32 (both 32-bit little-endian), then
// the payload. The file is extended with written zeros 1 MB at a time, so that an entry
// overwrites existing blocks and its fdatasync has no file-system metadata to commit.
// Reading stops at the first entry that is short, too long or fails its checksum (or at the
// zeros): a tail torn by a crash mid-append is ignored (it was never acknowledged). A failed
// write or fdatasync is cut back off the file, so nothing acknowledged ever follows a torn
// entry and a group that was refused is never replayed; the next group tries again (a disk
// that fails for good fails every write, never acknowledging one).
//
// A checkpoint (FileStore) retires the active file: rotate() renames it to .journal.old
// and starts a new one, returning the names whose entries the old file holds; once their
// record files are durable the checkpoint calls retire(), which deletes .journal.old.
class Journal {
 public:
  struct Counters {
    std::atomic<uint64_t> filesWritten{0};
    std::atomic<uint64_t> fsyncs{0};
    std::atomic<uint64_t> batches{0};
    std::atomic<uint64_t> checkpoints{0};
  };
  struct Limits {
    size_t checkpointBytes = 8u << 20;  // the checkpointer is woken past these
    size_t checkpointEntries = 16384;
    size_t maxBytes = 64u << 20;  // appends wait (then fail) for a checkpoint past this
    std::chrono::milliseconds maxWait{5000};
    // The group's sync: fdatasync(2) when empty. Tests put a failing disk here.
    std::function<int(int fd)> dataSync;
  };
  static constexpr const char* kFile = ".journal";
  static constexpr const char* kOldFile = ".journal.old";
  static constexpr size_t kMaxPayload = 64 * 1024;

  // Creates a new, empty <dir>/.journal (the caller replayed and removed any earlier one)
  // and makes its name durable. Throws std::runtime_error when it cannot.
  // `touch` is called by a group's leader, once, when an entry of the group asked for it;
  // `full` when the file passes the checkpoint limits (by the appender that passed them).
  Journal(int dirFd, Counters& counters, Limits limits, std::function<void(int dirFd)> touch,
          std::function<void()> full);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends `payload` (at most kMaxPayload bytes) for record `key`; true when it is durable.
  bool append(const std::string& key, const std::string& payload, bool touch, std::string& error);
  // Entries queued for the next group (tests watch groups form with it).
  size_t queued();
  // Bytes and entries in the active file.
  size_t bytes();
  size_t entries();
  // Renames the active file to .journal.old and starts a new one; `keys` gets the names
  // written to the old one. False (nothing changed) when the new file cannot be made.
  bool rotate(std::unordered_set<std::string>& keys, std::string& error);
  // Deletes .journal.old (its records are durable in their own files).
  void retire();

  // One entry as written to the file.
  static std::string frame(std::string_view payload);
  // Calls `each` with the entries of dirFd/file in order (views into the file's text, valid
  // during the call: no entry is copied), up to the first torn or damaged one; returns how
  // many bytes followed it. A missing file has none; one that cannot be read (not a regular
  // file, over 256 MiB, an I/O error) throws std::runtime_error.
  static size_t read(int dirFd, const char* file,
                     const std::function<void(std::string_view payload)>& each);

 private:
  struct Pending {
    const std::string* key;
    std::string framed;
    bool touch = false;
    bool done = false;
    std::string error;
  };
  int openActive(std::string& error);
  void runBatch(int fd, std::vector<Pending*>& batch);

  int dirFd_;
  Counters& counters_;
  Limits limits_;
  std::function<void(int)> touch_;
  std::function<void()> full_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Pending*> queue_;
  bool leading_ = false;
  bool rotating_ = false;
  int fd_ = -1;
  off_t end_ = 0;       // where the next group goes; the leader's (or rotate()'s)
  off_t capacity_ = 0;  // the file's size: zeros from end_ on
  size_t bytes_ = 0;
  size_t entries_ = 0;
  std::unordered_set<std::string> keys_;
};

}  // namespace chipmunk::api
