// SPDX-License-Identifier: MIT
#include "api/pg_store_batch.hpp"

#include <algorithm>
#include <exception>
#include <utility>

namespace chipmunk::api::pg {

WriteCombiner::WriteCombiner(RunBatch run, size_t inFlight, std::chrono::microseconds gatherWait)
    : run_(std::move(run)), inFlight_(std::max<size_t>(inFlight, 1)), gatherWait_(gatherWait) {}

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
                           std::shared_ptr<const Result> result) {
  lastBatch_ = batch.size();
  ++stats_.batches;
  stats_.changes += batch.size();
  stats_.largest = std::max(stats_.largest, batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    QueuedChange* change = batch[i];
    running_.erase(change->name);
    change->result = result;
    change->rowIndex = static_cast<int>(i);
    change->done = true;
  }
}

void WriteCombiner::gather(std::unique_lock<std::mutex>& lock, const QueuedChange& mine) {
  // Alone (no batch running): at once, a lone caller never waits. Else the callers of the
  // batch that finished last are most likely on their way back with their next change:
  // wait a little for as many, so that batches stay full instead of one running alone.
  const size_t target = std::min(lastBatch_, kMaxBatch);
  if (batchesRunning_ == 0 || queue_.size() >= target || gatherWait_.count() == 0) {
    return;
  }
  ++gathering_;
  gatherTarget_ = target;
  cv_.wait_for(lock, gatherWait_, [&] { return mine.done || queue_.size() >= target; });
  --gathering_;
}

void WriteCombiner::write(QueuedChange& change) {
  std::unique_lock<std::mutex> lock(mutex_);
  queue_.push_back(&change);
  if (gathering_ > 0 && queue_.size() >= gatherTarget_) {
    cv_.notify_all();
  }
  while (!change.done) {
    std::vector<QueuedChange*> batch;
    if (batchesRunning_ < inFlight_) {
      gather(lock, change);  // another caller's batch may take `change` meanwhile
      if (change.done) {
        break;
      }
      batch = batchesRunning_ < inFlight_ ? take() : batch;
    }
    if (batch.empty()) {
      cv_.wait(lock);
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
    finish(batch, std::move(result));
    cv_.notify_all();
  }
}

WriteCombiner::Stats WriteCombiner::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace chipmunk::api::pg
