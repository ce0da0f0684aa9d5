// SPDX-License-Identifier: MIT
// FileStore's unchanged update on an HTTP I/O thread (Store::updateIfUnchanged): from
// memory, never waiting for a lock, nothing written.
#include <functional>

#include "api/file_store.hpp"
#include "api/record_update.hpp"

namespace chipmunk::api {

uint64_t FileStore::nextSerial() {
  static std::atomic<uint64_t> next{1};  // 0: a memo slot never filled
  return next.fetch_add(1, std::memory_order_relaxed);
}

FileStore::NodeMemo* FileStore::nodeMemo() {
  thread_local NodeMemo memo[kNodeMemoSlots];
  return memo;
}

FileStore::Node* FileStore::foundBefore(const std::string& name, size_t hash) const {
  const NodeMemo& memo = nodeMemo()[hash % kNodeMemoSlots];
  return memo.store == serial_ && memo.node->first == name ? memo.node : nullptr;
}

bool FileStore::updateIfUnchanged(const std::string& name, const RecordUpdate& update,
                                  int64_t now) {
  const size_t hash = std::hash<std::string>()(name);
  Node* node = foundBefore(name, hash);
  if (node == nullptr) {
    // A listing (count(), list()) holds the map for a while: that caller does not wait.
    std::unique_lock<std::mutex> map(mapMutex_, std::try_to_lock);
    if (!map.owns_lock()) {
      return false;
    }
    const auto it = entries_.find(name);
    if (it == entries_.end()) {
      return false;  // a new record: a write
    }
    node = &*it;
    nodeMemo()[hash % kNodeMemoSlots] = {serial_, node};
  }
  // The record's lock is held across a write's fsync: a busy lock means a writer is at it.
  std::unique_lock<std::mutex> lock(lockForHash(hash), std::try_to_lock);
  Entry& e = node->second;
  if (!lock.owns_lock() || !e.exists ||
      changesStored({e.ip, e.ipv4, e.ipv6, e.expired, e.metadata.get(), e.ttl}, update)) {
    return false;
  }
  // What apply() does with an update that changes nothing. Written only when it moves (once
  // a second at most), and the flag read first: two I/O threads storing them at every
  // request would pass their cache lines back and forth. When lastSeen is `now` already,
  // whoever stored it set the flag then (or flush() has written it since).
  if (e.lastSeen != now) {
    e.lastSeen = now;
    if (!softDirty_.load(std::memory_order_relaxed)) {
      softDirty_ = true;
    }
  }
  return true;
}

}  // namespace chipmunk::api
