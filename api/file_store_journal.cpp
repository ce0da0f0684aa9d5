// SPDX-License-Identifier: MIT
// FileStore's journal side (layout: api/file_store.hpp): the replay of a journal a crash
// left, the checkpoint that makes journalled records durable in their own files, and the
// thread that runs checkpoints.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string_view>

#include "api/file_store.hpp"
#include "common/durable_file.hpp"
#include "common/logging.hpp"

#include <spdlog/spdlog.h>

namespace chipmunk::api {
namespace {

// Above this many records a checkpoint syncs the whole file system once (syncfs) instead
// of each record's files.
constexpr size_t kSyncEachUpTo = 256;

std::string errnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// fdatasync of dirFd/name when it is a regular file; a missing one needs none.
bool syncFile(int dirFd, const std::string& name, std::string& error) {
  const int fd =
      ::openat(dirFd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) {
      return true;
    }
    error = errnoText("open " + name);
    return false;
  }
  struct stat st {};
  bool ok = true;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::fdatasync(fd) != 0) {
    error = errnoText("fdatasync " + name);
    ok = false;
  }
  ::close(fd);
  return ok;
}

bool isRegularAt(int dirFd, const std::string& name) {
  struct stat st {};
  return ::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

// Writes `content` to dirFd/.<name>.tmp: over the spare a previous write left there, or,
// when there is none or it is not a regular file, to a new file. On failure nothing is left
// at the temporary name.
bool writeSpare(int dirFd, const std::string& name, const std::string& content,
                std::string& error) {
  const std::string tmp = "." + name + ".tmp";
  // O_NONBLOCK: a FIFO there fails (ENXIO) instead of blocking; then it is replaced.
  // No O_TRUNC: the content is written over the spare's blocks and the file cut to its
  // length after (a record's files keep about their size, so no block is freed). Truncating
  // to zero freed the blocks at every write, and ext4 then made the new data wait on
  // its journal: 0.25-0.4 ms per file (strace -T), more than the fdatasync of the change.
  const int fd =
      ::openat(dirFd, tmp.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) {
      ::close(fd);
    }
    return stageFileDurably(dirFd, name, content, error, 0644, false);
  }
  bool ok = ::pwrite(fd, content.data(), content.size(), 0) == static_cast<ssize_t>(content.size());
  if (!ok) {
    error = errnoText("write");
  } else if (st.st_size > static_cast<off_t>(content.size()) &&
             ::ftruncate(fd, static_cast<off_t>(content.size())) != 0) {
    error = errnoText("truncate");
    ok = false;
  }
  if (::close(fd) != 0 && ok) {
    error = errnoText("close");
    ok = false;
  }
  if (!ok) {
    ::unlinkat(dirFd, tmp.c_str(), 0);
  }
  return ok;
}

}  // namespace

bool FileStore::writeFiles(const std::vector<File>& files, size_t& renamed, std::string& error) {
  renamed = 0;
  for (const auto& f : files) {
    // Not fsynced here: the journal entry written next is what makes the change durable.
    const std::string tmp = "." + f.name + ".tmp";
    if (!writeSpare(dirFd_, f.name, f.content, error)) {
      return false;
    }
    // An exchange with the file in place leaves its older content at the spare, to be
    // written over next time: no inode is created or freed per write (ext4 spends more on
    // that, under the directory's lock, than on anything else of a /set).
    const bool exchange = isRegularAt(dirFd_, f.name);
    if ((exchange ? ::renameat2(dirFd_, tmp.c_str(), dirFd_, f.name.c_str(), RENAME_EXCHANGE)
                  : ::renameat(dirFd_, tmp.c_str(), dirFd_, f.name.c_str())) != 0) {
      error = errnoText("rename");
      ::unlinkat(dirFd_, tmp.c_str(), 0);
      return false;
    }
    ++renamed;
    counters_.filesWritten.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

void FileStore::undoFiles(const std::vector<File>& files, size_t renamed) {
  for (size_t i = std::min(renamed, files.size()); i-- > 0;) {
    const std::string& name = files[i].name;
    const std::string tmp = "." + name + ".tmp";
    const bool undone = isRegularAt(dirFd_, tmp) ? ::renameat2(dirFd_, tmp.c_str(), dirFd_,
                                                               name.c_str(), RENAME_EXCHANGE) == 0
                                                 : ::unlinkat(dirFd_, name.c_str(), 0) == 0;
    if (!undone) {
      logging::get("store")->error("cannot put back file={}/{} error=\"{}\"", dir_, name,
                                   std::strerror(errno));
    }
  }
}

bool FileStore::journal(const std::string& name, const std::string& json, bool touch,
                        std::string& error) {
  return journal_->append(name, json, touch, error);
}

void FileStore::removeSpares(const std::unordered_set<std::string>& names) {
  // The older contents the writes left: one inode per record file at rest.
  for (const auto& name : names) {
    std::lock_guard<std::mutex> record(lockFor(name));
    for (const char* suffix : {".cm.tmp", ".json.tmp"}) {
      ::unlinkat(dirFd_, ("." + name + suffix).c_str(), 0);
    }
  }
}

bool FileStore::syncRecordFiles(const std::unordered_set<std::string>& names, std::string& error) {
  if (names.size() > kSyncEachUpTo) {
    counters_.fsyncs.fetch_add(1, std::memory_order_relaxed);
    if (::syncfs(dirFd_) != 0) {
      error = errnoText("syncfs");
      return false;
    }
  } else {
    for (const auto& name : names) {
      counters_.fsyncs.fetch_add(2, std::memory_order_relaxed);
      if (!syncFile(dirFd_, name + ".cm", error) || !syncFile(dirFd_, name + ".json", error)) {
        return false;
      }
    }
  }
  counters_.fsyncs.fetch_add(1, std::memory_order_relaxed);
  if (::fsync(dirFd_) != 0) {
    error = errnoText("fsync directory");
    return false;
  }
  return true;
}

// Long function: the journals a crash left (.journal.old, then .journal; the last entry of
// a record wins) written to the record files, durably, then removed.
size_t FileStore::replay() {
  auto log = logging::get("store");
  std::map<std::string, HostRecord> replayed;
  for (const char* file : {Journal::kOldFile, Journal::kFile}) {
    // Each entry read in place (a view into the file's text) and parsed once.
    const size_t ignored = Journal::read(dirFd_, file, [&](std::string_view payload) {
      HostRecord record;
      if (!parseJournalEntry(payload, record)) {
        log->warn("ignoring an unreadable journal entry file={}/{}", dir_, file);
        return;
      }
      std::string name = std::move(record.name);
      replayed[std::move(name)] = std::move(record);
    });
    if (ignored > 0) {
      log->warn("ignoring a torn journal tail file={}/{} bytes={}", dir_, file, ignored);
    }
  }
  std::unordered_set<std::string> names;
  for (const auto& [name, record] : replayed) {
    std::string error;
    size_t renamed = 0;
    std::vector<File> files;
    if (record.ip) {
      files.push_back({name + ".cm", record.ip->toString() + "\n"});
    } else if (::unlinkat(dirFd_, (name + ".cm").c_str(), 0) != 0 && errno != ENOENT) {
      error = errnoText("cannot remove " + name + ".cm");
    }
    files.push_back({name + ".json", metaJson(name, record)});
    if (!error.empty() || !writeFiles(files, renamed, error)) {
      throw std::runtime_error("cannot replay the journal in " + dir_ + " (record " + name +
                               "): " + error);
    }
    names.insert(name);
  }
  std::string error;
  if (!replayed.empty() && !syncRecordFiles(names, error)) {
    throw std::runtime_error("cannot replay the journal in " + dir_ + ": " + error);
  }
  removeSpares(names);
  for (const char* file : {Journal::kOldFile, Journal::kFile}) {
    if (::unlinkat(dirFd_, file, 0) != 0 && errno != ENOENT) {
      throw std::runtime_error(errnoText("cannot remove " + dir_ + "/" + file));
    }
  }
  for (auto& [name, record] : replayed) {
    auto& node = *entries_.try_emplace(name).first;
    node.second.assign(std::move(record));
    node.second.exists = true;
    node.second.jsonLastSeen = node.second.lastSeen;
    schedule(node);
  }
  if (!replayed.empty()) {
    log->info("journal replayed dir={} records={}", dir_, replayed.size());
  }
  return replayed.size();
}

bool FileStore::checkpoint() {
  std::lock_guard<std::mutex> lock(checkpointMutex_);
  std::string error;
  if (!oldPending_) {
    if (journal_->entries() == 0) {
      return true;
    }
    if (!journal_->rotate(oldKeys_, error)) {
      logging::get("store")->error("checkpoint failed dir={} error=\"{}\"", dir_, error);
      return false;
    }
    oldPending_ = true;
  }
  if (!syncRecordFiles(oldKeys_, error)) {
    logging::get("store")->error("checkpoint failed dir={} error=\"{}\"", dir_, error);
    return false;
  }
  journal_->retire();
  removeSpares(oldKeys_);
  oldKeys_.clear();
  oldPending_ = false;
  counters_.checkpoints.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void FileStore::runCheckpoints() {
  using Clock = std::chrono::steady_clock;
  auto last = Clock::now();
  std::unique_lock<std::mutex> lock(wakeMutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || wakeFull_; });
    const bool full = wakeFull_;
    wakeFull_ = false;
    if (stopping_ || (!full && Clock::now() - last < kCheckpointInterval)) {
      continue;
    }
    lock.unlock();
    // A journal that filled again while the checkpoint ran gets the next one at once.
    const bool again = checkpoint() && (journal_->bytes() >= limits_.checkpointBytes ||
                                        journal_->entries() >= limits_.checkpointEntries);
    last = Clock::now();
    lock.lock();
    wakeFull_ = wakeFull_ || again;
  }
}

}  // namespace chipmunk::api
