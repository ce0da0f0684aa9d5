// SPDX-License-Identifier: MIT
#include "api/group_commit.hpp"

#include "common/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chipmunk::api {
namespace {

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

std::string tmpName(const std::string& name) {
  return "." + name + ".tmp";
}

}  // namespace

GroupCommit::GroupCommit(int dirFd, Counters& counters, std::function<void(int dirFd)> touch)
    : dirFd_(dirFd), counters_(counters), touch_(std::move(touch)) {}

size_t GroupCommit::queued() {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

bool GroupCommit::stage(const File& file, std::string& error) {
  counters_.fsyncs.fetch_add(1, std::memory_order_relaxed);
  return stageFileDurably(dirFd_, file.name, file.content, error);
}

bool GroupCommit::write(const std::vector<File>& files, bool touchUpdated, size_t& renamed,
                        std::string& error) {
  renamed = 0;
  Pending p;
  p.touch = touchUpdated;
  for (const auto& f : files) {
    if (!stage(f, error)) {
      break;
    }
    p.names.push_back(f.name);
  }
  const bool allStaged = p.names.size() == files.size();
  if (p.names.empty()) {
    return false;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  queue_.push_back(&p);
  while (!p.done) {
    if (leading_) {
      cv_.wait(lock);
      continue;
    }
    leading_ = true;
    std::vector<Pending*> batch;
    batch.swap(queue_);
    lock.unlock();
    runBatch(batch);
    lock.lock();
    for (Pending* q : batch) {
      q->done = true;
    }
    leading_ = false;
    cv_.notify_all();
  }
  if (!p.error.empty()) {
    error = p.error;
  }
  renamed = p.renamed;
  return allStaged && p.error.empty();
}

void GroupCommit::runBatch(std::vector<Pending*>& batch) {
  bool touch = false;
  for (Pending* p : batch) {
    for (const auto& name : p->names) {
      if (::renameat(dirFd_, tmpName(name).c_str(), dirFd_, name.c_str()) != 0) {
        p->error = errnoText("rename");
        for (size_t i = p->renamed; i < p->names.size(); ++i) {
          ::unlinkat(dirFd_, tmpName(p->names[i]).c_str(), 0);
        }
        break;
      }
      ++p->renamed;
    }
    touch = touch || (p->touch && p->renamed > 0);
  }
  counters_.fsyncs.fetch_add(1, std::memory_order_relaxed);
  counters_.batches.fetch_add(1, std::memory_order_relaxed);
  if (::fsync(dirFd_) != 0) {
    // The new contents are in place; only their durability across a power cut is in doubt,
    // and that is a failure to report (writeFileDurably does the same).
    const std::string why = errnoText("fsync directory");
    for (Pending* p : batch) {
      p->error = why;
    }
  }
  for (Pending* p : batch) {
    counters_.filesWritten.fetch_add(p->renamed, std::memory_order_relaxed);
  }
  if (touch && touch_) {
    touch_(dirFd_);
  }
}

}  // namespace chipmunk::api
