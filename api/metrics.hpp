// SPDX-License-Identifier: MIT
#pragma once

// chipmunk-api's /metrics (Prometheus text format; docs/OPERATIONS.md lists the metrics).
// The request path only adds to relaxed atomics: no lock, no allocation. Labels are bounded:
// a route is the route table's name (never the path asked for), a code one of 100..599, and
// no metric names a record or a user.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace chipmunk {
class MetricsText;
}

namespace chipmunk::api {

class Store;
enum class SetOutcome;  // api/store.hpp

// What gateway push reports (api/push.hpp).
struct PushStats {
  uint64_t queued = 0;    // targets waiting to be pushed (a new address, or a retry)
  uint64_t stopped = 0;   // targets stopped until a reload
  uint64_t failures = 0;  // failed pushes since the service started
};

// What the PostgreSQL directory's cache reports (api/directory_cache.hpp).
struct DirectoryStats {
  uint64_t cachedUsers = 0;  // verified users held
  uint64_t cachedNames = 0;  // names (users, hosts, unknown) held
  uint64_t lookups = 0;      // queries for requests' cache misses since the start
};

// Response::route values besides an index of the route table.
inline constexpr int kRouteUnparsed = -1;   // refused before a route was looked up
inline constexpr int kRouteUnmatched = -2;  // no route serves the path (404)

// A count that several threads add to at every request (an unchanged /set on each I/O
// thread): each thread adds to a stripe of its own cache line, so the line does not move
// between cores at every add; read as the sum.
class StripedCounter {
 public:
  void add() noexcept { stripes_[stripe()].n.fetch_add(1, std::memory_order_relaxed); }
  uint64_t load() const noexcept;

 private:
  static constexpr size_t kStripes = 8;
  struct alignas(64) Stripe {
    std::atomic<uint64_t> n{0};
  };
  static size_t stripe() noexcept;  // the calling thread's, given out in turn
  std::array<Stripe, kStripes> stripes_{};
};

class ApiMetrics {
 public:
  ApiMetrics();

  // One answer: `route` an index of the route table or one of the kRoute* values.
  void countRequest(int route, int code) noexcept;
  void countAuthFailure() noexcept { authFailures_.fetch_add(1, std::memory_order_relaxed); }
  // Refused for the caller's rate: a locked-out address (429, or dyndns2's abuse), or a
  // full password-check or write queue (503 Server busy).
  void countLockout() noexcept { lockouts_.fetch_add(1, std::memory_order_relaxed); }
  void countBusy() noexcept { busy_.fetch_add(1, std::memory_order_relaxed); }
  // A connection stopped being read for its pipelining bounds (`on`), or was read again or
  // closed (api/server_parser.hpp, ConnectionState::full).
  void countPause(bool on) noexcept {
    if (on) {
      pauses_.fetch_add(1, std::memory_order_relaxed);
    }
    paused_.fetch_add(on ? 1 : -1, std::memory_order_relaxed);
  }
  // A /nic/update host blocked for too many nochg answers in a row (dyndns2's abuse).
  void countNochgAbuse() noexcept { nochgAbuse_.fetch_add(1, std::memory_order_relaxed); }
  // A store write of /set, /nic/update or /v3/update: how long it took and what it did.
  void observeStoreWrite(std::chrono::steady_clock::duration took, SetOutcome outcome) noexcept;
  // An update that changed nothing, answered on the I/O thread (RouteCall::quickOnly).
  void countQuickUpdate() noexcept { quickUpdates_.add(); }

  // Gateway push's figures, asked at every scrape; replacing it (a reload) keeps the
  // failures counted so far. Null: no push service.
  void setPushProbe(std::function<PushStats()> probe);

  // The directory cache's figures, asked at every scrape. Null: the directory is loaded.
  void setDirectoryProbe(std::function<DirectoryStats()> probe);

  // The exposition, with the store's record count.
  std::string render(Store& store);

 private:
  static constexpr int kRouteSlots = 24;  // route table entries + the two kRoute* values
  static constexpr int kCodes = 500;      // 100..599
  static constexpr size_t kBuckets = 14;

  std::atomic<uint64_t>& slot(int route, int code) noexcept;
  void renderRequests(MetricsText& out) const;
  void renderStoreWrites(MetricsText& out) const;

  std::array<std::array<std::atomic<uint64_t>, kCodes>, kRouteSlots> requests_{};
  std::atomic<uint64_t> authFailures_{0};
  std::atomic<uint64_t> pauses_{0};
  std::atomic<int64_t> paused_{0};
  std::atomic<uint64_t> lockouts_{0};
  std::atomic<uint64_t> busy_{0};
  std::atomic<uint64_t> nochgAbuse_{0};
  StripedCounter quickUpdates_;
  std::array<std::atomic<uint64_t>, kBuckets> writeBuckets_{};
  std::atomic<uint64_t> writeCount_{0};
  // By SetOutcome: saved, unchanged, failed.
  std::array<std::atomic<uint64_t>, 3> writeOutcomes_{};
  std::atomic<uint64_t> writeNanoseconds_{0};
  int64_t startedAt_ = 0;

  std::mutex pushMutex_;
  std::function<PushStats()> pushProbe_;
  uint64_t pushFailuresBefore_ = 0;                 // counted by push services replaced since
  std::function<DirectoryStats()> directoryProbe_;  // under pushMutex_
};

}  // namespace chipmunk::api
