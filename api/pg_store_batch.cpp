// SPDX-License-Identifier: MIT
#include "api/pg_store_batch.hpp"

#include <algorithm>
#include <exception>
#include <utility>

namespace chipmunk::api::pg {

WriteCombiner::WriteCombiner(RunBatch run, size_t inFlight)
    : run_(std::move(run)), inFlight_(std::max<size_t>(inFlight, 1)) {}

std::vector<QueuedChange*> WriteCombiner::take() {
  std::vector<QueuedChange*> batch;
  std::unordered_set<std::string> names;
  size_t bytes = 0;
  for (auto it = queue_.begin(); it != queue_.end() && batch.size() < kMaxBatch;) {
    QueuedChange* change = *it;
    // Deferred, in order: its name is running, or an older change of it is in this batch.
    if (running_.count(change->name) > 0 || names.count(change->name) > 0) {
      ++it;
      continue;
    }
    if (!batch.empty() && bytes + change->bytes > kMaxBytes) {
      break;
    }
    bytes += change->bytes;
    names.insert(change->name);
    batch.push_back(change);
    it = queue_.erase(it);
  }
  for (auto* change : batch) {
    running_.insert(change->name);
  }
  // In name order: batches of different replicas lock the rows they share in one order.
  std::sort(batch.begin(), batch.end(),
            [](const QueuedChange* a, const QueuedChange* b) { return a->name < b->name; });
  return batch;
}

void WriteCombiner::finish(const std::vector<QueuedChange*>& batch,
                           std::shared_ptr<const Result> result, const QueuedChange& own,
                           std::vector<std::shared_ptr<std::condition_variable>>& wakes) {
  ++stats_.batches;
  stats_.changes += batch.size();
  stats_.largest = std::max(stats_.largest, batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    QueuedChange* change = batch[i];
    running_.erase(change->name);
    change->result = result;
    change->rowIndex = static_cast<int>(i);
    change->done = true;
    if (change != &own) {
      wakes.push_back(change->wake);
    }
  }
  // A batch may start now (this one's place, names it released): the oldest waiting caller
  // takes it (this caller too, when its own change is still queued).
  if (!queue_.empty() && queue_.front() != &own) {
    wakes.push_back(queue_.front()->wake);
  }
}

void WriteCombiner::write(QueuedChange& change) {
  std::unique_lock<std::mutex> lock(mutex_);
  queue_.push_back(&change);
  while (!change.done) {
    std::vector<QueuedChange*> batch;
    if (batchesRunning_ < inFlight_) {
      batch = take();
    }
    if (batch.empty()) {
      change.wake->wait(lock);
      continue;
    }
    ++batchesRunning_;
    lock.unlock();
    std::shared_ptr<const Result> result;
    try {
      result = run_(batch);
    } catch (const std::exception&) {
      result.reset();  // the batch failed: every change of it is answered so
    }
    lock.lock();
    --batchesRunning_;
    std::vector<std::shared_ptr<std::condition_variable>> wakes;
    finish(batch, std::move(result), change, wakes);
    if (!wakes.empty()) {
      const bool done = change.done;  // read under the mutex: another batch may set it
      lock.unlock();
      for (const auto& wake : wakes) {
        wake->notify_one();
      }
      if (done) {
        return;
      }
      lock.lock();
    }
  }
}

WriteCombiner::Stats WriteCombiner::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace chipmunk::api::pg
