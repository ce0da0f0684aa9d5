// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace chipmunk::api {

// Runs slow password checks (a KDF on a cache miss) off the I/O threads.
//
// A flood of wrong passwords must not starve a user with valid credentials whose hash is
// not cached yet, so the queue is fair by source (the client's IPv4 address or IPv6 /64,
// LoginLimiter::key): one queue per source, served round robin, at most maxPerSource
// waiting per source and maxQueue in all. A newcomer therefore waits for about one check
// per other busy source, not for everything queued before it. A task that waited longer
// than maxWait is not run: it is told so (run = false) and answers 503 at once.
//
// Which check will succeed cannot be known before it runs, but a source that has failed
// recently (`suspect`) is likely to fail again: sources whose next task is not suspect are
// served first, suspect ones when no other work waits. A flood has to come from fresh
// addresses to compete with real users, and each fresh address is fresh only once.
class SlowAuthPool {
 public:
  struct Options {
    size_t workers = 1;
    size_t maxQueue = 256;
    size_t maxPerSource = 4;
    std::chrono::milliseconds maxWait{10000};
  };
  // `task(true)`: do the work; `task(false)`: it waited too long or the pool is stopping,
  // answer without it.
  using Task = std::function<void(bool run)>;

  explicit SlowAuthPool(const Options& options);
  ~SlowAuthPool();
  SlowAuthPool(const SlowAuthPool&) = delete;
  SlowAuthPool& operator=(const SlowAuthPool&) = delete;

  // False (task not taken) when `source` already has maxPerSource waiting, the queue is
  // full or the pool is stopping.
  bool post(const std::string& source, Task task, bool suspect = false);
  // Waits for the running tasks; tasks still queued get run = false.
  void stop();

  size_t waiting();
  // Workers waiting for a task.
  size_t idle();
  // Workers for this machine: one per core (at least 1, at most 16).
  static size_t defaultWorkers();

 private:
  struct Item {
    Task task;
    std::chrono::steady_clock::time_point queued;
    bool suspect = false;
  };
  // A worker's own wake-up: the idle ones wait on a stack, and post() wakes the one that
  // went idle last (its stack and caches are warm, the scheduler likely left it on the
  // CPU it ran on), where one shared condition variable wakes the longest idle. With one
  // client writing, one writer does every write instead of 64 taking turns.
  struct Worker {
    std::condition_variable cv;
    bool woken = false;
  };
  void run(Worker& self);
  // Puts `source` at the back of the ring its next task belongs to.
  void enqueueSource(const std::string& source, const Item& next);
  // Under mutex_: the worker that went idle last, now taken off the idle stack (null when
  // every worker is busy); the caller notifies it after unlocking.
  Worker* takeIdle();

  Options options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;  // most recently idle last
  std::unordered_map<std::string, std::deque<Item>> queues_;
  // Sources with something queued, in serving order: first those whose next task is not
  // suspect, then the others.
  std::deque<std::string> ring_;
  std::deque<std::string> suspectRing_;
  size_t waiting_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace chipmunk::api
