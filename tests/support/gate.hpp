// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace chipmunk::test {

// Where threads wait until the test opens it, counting those that came: work parked off the
// I/O threads, such as a store stuck on a slow disk. Every wait is bounded.
class Gate {
 public:
  // Counts the caller in, then waits until open() (at most `limit`).
  void pass(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> lock(mutex_);
    ++entered_;
    cv_.notify_all();
    cv_.wait_for(lock, limit, [this] { return open_; });
  }
  // True once `count` callers came (within 10 s).
  bool waitEntered(int count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return entered_ >= count; });
  }
  int entered() {
    std::lock_guard<std::mutex> lock(mutex_);
    return entered_;
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

}  // namespace chipmunk::test
