// SPDX-License-Identifier: MIT
// A list that copies share until one of them changes (copy on write): a configuration is
// copied into the server, the service, the push service and the reload path, and a million
// users must not be held once per copy.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

namespace chipmunk::config {

template <typename T>
class SharedList {
 public:
  SharedList() = default;
  SharedList(std::initializer_list<T> items) : items_(std::make_shared<std::vector<T>>(items)) {}
  SharedList& operator=(std::initializer_list<T> items) {
    items_ = std::make_shared<std::vector<T>>(items);
    return *this;
  }

  const std::vector<T>& items() const { return items_ ? *items_ : none(); }
  operator const std::vector<T>&() const { return items(); }  // NOLINT: reads as a vector
  typename std::vector<T>::const_iterator begin() const { return items().begin(); }
  typename std::vector<T>::const_iterator end() const { return items().end(); }
  size_t size() const { return items().size(); }
  bool empty() const { return items().empty(); }
  const T& operator[](size_t i) const { return items()[i]; }
  const T& front() const { return items().front(); }
  const T& back() const { return items().back(); }

  // The list as it is now, for holders that need it to stay as it is: a change through
  // this SharedList copies it first.
  std::shared_ptr<const std::vector<T>> shared() const {
    return items_ ? items_ : std::make_shared<const std::vector<T>>();
  }

  void push_back(T item) { own().push_back(std::move(item)); }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    return own().emplace_back(std::forward<Args>(args)...);
  }
  void reserve(size_t n) { own().reserve(n); }
  // Replaces item `i` (copies the list first if another copy shares it).
  void set(size_t i, T item) { own()[i] = std::move(item); }
  void clear() { items_.reset(); }

 private:
  static const std::vector<T>& none() {
    static const std::vector<T> kEmpty;
    return kEmpty;
  }
  // The list this copy may change: its own, copied first if another copy shares it.
  std::vector<T>& own() {
    if (!items_) {
      items_ = std::make_shared<std::vector<T>>();
    } else if (items_.use_count() > 1) {
      items_ = std::make_shared<std::vector<T>>(*items_);
    }
    return *items_;
  }

  std::shared_ptr<std::vector<T>> items_;
};

}  // namespace chipmunk::config
