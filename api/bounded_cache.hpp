// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace chipmunk::api {

// A map from names to V holding at most `capacity` entries: a new one evicts the least
// recently used. Not thread-safe (its owner locks).
template <typename V>
class BoundedCache {
 public:
  explicit BoundedCache(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {}
  BoundedCache(const BoundedCache&) = delete;  // the index views the list's keys
  BoundedCache& operator=(const BoundedCache&) = delete;

  // The entry (now the most recently used), or null.
  V* find(const std::string& key) {
    const auto it = index_.find(key);
    if (it == index_.end()) {
      return nullptr;
    }
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  // The entry without touching its place in the order (for upkeep, not for use).
  V* peek(const std::string& key) {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }
  // Adds an entry as the most recently used, or replaces one where it is in the order.
  void put(const std::string& key, V value) {
    if (V* old = peek(key)) {
      *old = std::move(value);
      return;
    }
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, std::move(value));
    index_.emplace(order_.front().first, order_.begin());
  }
  void erase(const std::string& key) {
    const auto it = index_.find(key);
    if (it != index_.end()) {
      const auto node = it->second;
      index_.erase(it);
      order_.erase(node);
    }
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    out.reserve(order_.size());
    for (const auto& entry : order_) {
      out.push_back(entry.first);
    }
    return out;
  }
  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  void clear() {
    index_.clear();
    order_.clear();
  }

 private:
  size_t capacity_;
  std::list<std::pair<std::string, V>> order_;  // most recently used first
  std::unordered_map<std::string_view, typename std::list<std::pair<std::string, V>>::iterator>
      index_;  // views of order_'s keys
};

}  // namespace chipmunk::api
