// SPDX-License-Identifier: MIT
#include "api/slow_auth_pool.hpp"

#include <algorithm>

namespace chipmunk::api {

SlowAuthPool::SlowAuthPool(const Options& options) : options_(options) {
  options_.workers = std::max<size_t>(1, options_.workers);
  workers_.reserve(options_.workers);
  idle_.reserve(options_.workers);
  for (size_t i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>());
  }
  for (size_t i = 0; i < options_.workers; ++i) {
    threads_.emplace_back([this, w = workers_[i].get()] { run(*w); });
  }
}

SlowAuthPool::~SlowAuthPool() {
  stop();
}

size_t SlowAuthPool::defaultWorkers() {
  return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 16);
}

void SlowAuthPool::enqueueSource(const std::string& source, const Item& next) {
  (next.suspect ? suspectRing_ : ring_).push_back(source);
}

SlowAuthPool::Worker* SlowAuthPool::takeIdle() {
  if (idle_.empty()) {
    return nullptr;  // every worker is busy: the first to finish takes the task
  }
  Worker* w = idle_.back();
  idle_.pop_back();
  w->woken = true;
  return w;
}

bool SlowAuthPool::post(const std::string& source, Task task, bool suspect) {
  Worker* wake = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || waiting_ >= options_.maxQueue) {
      return false;
    }
    auto& queue = queues_[source];
    if (queue.size() >= options_.maxPerSource) {
      return false;
    }
    queue.push_back(Item{std::move(task), std::chrono::steady_clock::now(), suspect});
    if (queue.size() == 1) {
      enqueueSource(source, queue.front());
    }
    ++waiting_;
    wake = takeIdle();
  }
  if (wake != nullptr) {
    wake->cv.notify_one();  // unlocked: it does not wake into a held mutex
  }
  return true;
}

size_t SlowAuthPool::waiting() {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiting_;
}

size_t SlowAuthPool::idle() {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

void SlowAuthPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    idle_.clear();
    for (auto& w : workers_) {
      w->woken = true;
      w->cv.notify_one();
    }
  }
  for (auto& t : threads_) {
    if (t.joinable()) {
      t.join();
    }
  }
  threads_.clear();
}

void SlowAuthPool::run(Worker& self) {
  for (;;) {
    Item item;
    bool stopping = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!stopping_ && waiting_ == 0) {
        self.woken = false;
        idle_.push_back(&self);
        self.cv.wait(lock, [&self] { return self.woken; });
      }
      if (waiting_ == 0) {
        return;  // stopping, and nothing left
      }
      // Round robin: the source at the front gives one task and, if it has more, goes to
      // the back of the ring of its next task.
      auto& ring = ring_.empty() ? suspectRing_ : ring_;
      const std::string source = std::move(ring.front());
      ring.pop_front();
      auto it = queues_.find(source);
      item = std::move(it->second.front());
      it->second.pop_front();
      --waiting_;
      if (it->second.empty()) {
        queues_.erase(it);
      } else {
        enqueueSource(source, it->second.front());
      }
      stopping = stopping_;
    }
    const bool fresh = std::chrono::steady_clock::now() - item.queued <= options_.maxWait;
    item.task(fresh && !stopping);
  }
}

}  // namespace chipmunk::api
