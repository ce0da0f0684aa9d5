// SPDX-License-Identifier: MIT
// A Store in memory that counts what is read from it, so that a test can assert what a
// route COSTS (how many records it reads) instead of timing it.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/store.hpp"

namespace chipmunk::test {

class CountingStore final : public api::Store {
 public:
  std::atomic<long> gets{0};         // calls of get()
  std::atomic<long> lists{0};        // calls of list(): a read of every record
  std::atomic<long> listedAfter{0};  // records returned by listAfter()

  void resetCounts() {
    gets = 0;
    lists = 0;
    listedAfter = 0;
  }

  // A record named `name` with address `ip`, written as put() would.
  void add(const std::string& name, const char* ip, int64_t now = 1700000000) {
    api::HostRecord r;
    r.name = name;
    r.ip = r.ipv4 = IpAddress::parse(ip);
    r.firstSeen = r.changedAt = r.lastSeen = now;
    put(r);
  }

  api::UpdateResult update(const std::string& name, const api::RecordUpdate& u,
                           int64_t now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    api::HostRecord& r = records_[name];
    api::UpdateResult result;
    result.before = r;
    r.name = name;
    r.ipv4 = u.ipv4 ? u.ipv4 : r.ipv4;
    r.ipv6 = u.ipv6 ? u.ipv6 : r.ipv6;
    r.ip = u.primary ? u.primary : r.ip;
    r.lastSeen = now;
    result.after = r;
    result.outcome =
        result.addressChanged() ? api::SetOutcome::kSaved : api::SetOutcome::kUnchanged;
    return result;
  }
  std::optional<api::HostRecord> get(const std::string& name) override {
    ++gets;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = records_.find(name);
    return it == records_.end() ? std::nullopt : std::make_optional(it->second);
  }
  std::vector<api::HostRecord> list() override {
    ++lists;
    return listAfterLocked("", SIZE_MAX);
  }
  std::vector<api::HostRecord> listAfter(const std::string& after, size_t limit) override {
    auto page = listAfterLocked(after, limit);
    listedAfter += static_cast<long>(page.size());
    return page;
  }
  bool put(const api::HostRecord& record) override {
    std::lock_guard<std::mutex> lock(mutex_);
    records_[record.name] = record;
    return true;
  }
  std::vector<api::HostRecord> expireDue(int64_t) override { return {}; }
  void flush() override {}

 private:
  std::vector<api::HostRecord> listAfterLocked(const std::string& after, size_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<api::HostRecord> page;
    for (auto it = records_.upper_bound(after); it != records_.end() && page.size() < limit; ++it) {
      page.push_back(it->second);
    }
    return page;
  }

  std::mutex mutex_;
  std::map<std::string, api::HostRecord> records_;
};

}  // namespace chipmunk::test
