// SPDX-License-Identifier: MIT
#include "api/metrics.hpp"

#include <algorithm>
#include <ctime>

#include "api/routes.hpp"
#include "api/store.hpp"
#include "chipmunk/version.hpp"
#include "common/metrics_text.hpp"

namespace chipmunk::api {
namespace {

// Upper bounds of the store write histogram, in seconds: a file store's group-committed
// fsync takes about a millisecond on an SSD, a PostgreSQL round trip a few.
const std::vector<double>& writeBounds() {
  static const std::vector<double> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return bounds;
}

uint64_t load(const std::atomic<uint64_t>& a) {
  return a.load(std::memory_order_relaxed);
}

}  // namespace

size_t StripedCounter::stripe() noexcept {
  static std::atomic<size_t> next{0};
  thread_local const size_t mine = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
  return mine;
}

uint64_t StripedCounter::load() const noexcept {
  uint64_t sum = 0;
  for (const Stripe& s : stripes_) {
    sum += s.n.load(std::memory_order_relaxed);
  }
  return sum;
}

ApiMetrics::ApiMetrics() : startedAt_(static_cast<int64_t>(std::time(nullptr))) {
  static_assert(kBuckets == 14, "writeBounds() has kBuckets bounds");
}

std::atomic<uint64_t>& ApiMetrics::slot(int route, int code) noexcept {
  int row = route == kRouteUnparsed ? 0 : route == kRouteUnmatched ? 1 : route + 2;
  if (row < 0 || row >= kRouteSlots) {
    row = 1;
  }
  const int column = code >= 100 && code <= 599 ? code - 100 : 500 - 100;
  return requests_[static_cast<size_t>(row)][static_cast<size_t>(column)];
}

void ApiMetrics::countRequest(int route, int code) noexcept {
  slot(route, code).fetch_add(1, std::memory_order_relaxed);
}

void ApiMetrics::observeStoreWrite(std::chrono::steady_clock::duration took,
                                   SetOutcome outcome) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(took).count();
  const double seconds = static_cast<double>(ns) / 1e9;
  const auto& bounds = writeBounds();
  for (size_t i = 0; i < kBuckets; ++i) {
    if (seconds <= bounds[i]) {
      writeBuckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  writeCount_.fetch_add(1, std::memory_order_relaxed);
  const size_t i = outcome == SetOutcome::kSaved ? 0 : outcome == SetOutcome::kUnchanged ? 1 : 2;
  writeOutcomes_[i].fetch_add(1, std::memory_order_relaxed);
  writeNanoseconds_.fetch_add(ns > 0 ? static_cast<uint64_t>(ns) : 0, std::memory_order_relaxed);
}

void ApiMetrics::setPushProbe(std::function<PushStats()> probe) {
  std::lock_guard<std::mutex> lock(pushMutex_);
  if (pushProbe_) {
    pushFailuresBefore_ += pushProbe_().failures;
  }
  pushProbe_ = std::move(probe);
}

void ApiMetrics::setDirectoryProbe(std::function<DirectoryStats()> probe) {
  std::lock_guard<std::mutex> lock(pushMutex_);
  directoryProbe_ = std::move(probe);
}

void ApiMetrics::renderRequests(MetricsText& out) const {
  out.family("chipmunk_api_requests_total", "counter",
             "Requests answered, by route (the route table's name; unmatched: no route, "
             "unparsed: refused before routing) and status code.");
  for (int row = 0; row < kRouteSlots; ++row) {
    const int route = row == 0 ? kRouteUnparsed : row == 1 ? kRouteUnmatched : row - 2;
    const char* name = routeName(route);
    if (name == nullptr) {
      continue;
    }
    for (int column = 0; column < kCodes; ++column) {
      if (const uint64_t n = load(requests_[static_cast<size_t>(row)][static_cast<size_t>(column)]);
          n > 0) {
        out.sample("chipmunk_api_requests_total",
                   {{"route", name}, {"code", std::to_string(column + 100)}}, n);
      }
    }
  }
}

void ApiMetrics::renderStoreWrites(MetricsText& out) const {
  std::vector<uint64_t> counts;
  for (const auto& b : writeBuckets_) {
    counts.push_back(load(b));
  }
  out.histogram("chipmunk_api_store_write_duration_seconds",
                "Time of the store writes of /set, /nic/update and /v3/update (an fsync or a "
                "database round trip; not the quick updates).",
                writeBounds(), counts, load(writeCount_),
                static_cast<double>(load(writeNanoseconds_)) / 1e9);
  out.family(
      "chipmunk_api_store_writes_total", "counter",
      "The store writes of the histogram above by outcome: saved (a change written "
      "durably), unchanged (nothing but the last-seen time), failed (the store could not write).");
  const char* const outcomes[] = {"saved", "unchanged", "failed"};
  for (size_t i = 0; i < writeOutcomes_.size(); ++i) {
    out.sample("chipmunk_api_store_writes_total", {{"outcome", outcomes[i]}},
               load(writeOutcomes_[i]));
  }
  out.family("chipmunk_api_quick_updates_total", "counter",
             "Updates (/set, /nic/update, /v3/update) that changed nothing but the last-seen "
             "time, answered on the I/O thread from the store's memory, without a writer thread.");
  out.sample("chipmunk_api_quick_updates_total", quickUpdates_.load());
}

std::string ApiMetrics::render(Store& store) {
  MetricsText out;
  out.family("chipmunk_api_build_info", "gauge", "Always 1; the version in its label.");
  out.sample("chipmunk_api_build_info", {{"version", kVersion}}, uint64_t{1});
  out.family("chipmunk_api_start_time_seconds", "gauge", "When the server started (Unix time).");
  out.sample("chipmunk_api_start_time_seconds", {}, static_cast<double>(startedAt_));
  renderRequests(out);
  out.family("chipmunk_api_auth_failures_total", "counter",
             "Logins refused: wrong or malformed credentials.");
  out.sample("chipmunk_api_auth_failures_total", load(authFailures_));
  out.family("chipmunk_api_rate_limited_total", "counter",
             "Requests refused for the caller's rate: login_lockout (429, or dyndns2 abuse, "
             "while the address is locked out after failed logins), busy (503: the password "
             "check or write queue was full), nochg_abuse (a /nic/update host blocked for repeated "
             "nochg updates).");
  out.sample("chipmunk_api_rate_limited_total", {{"reason", "login_lockout"}}, load(lockouts_));
  out.sample("chipmunk_api_rate_limited_total", {{"reason", "busy"}}, load(busy_));
  out.sample("chipmunk_api_rate_limited_total", {{"reason", "nochg_abuse"}}, load(nochgAbuse_));
  out.family("chipmunk_api_connections_paused", "gauge",
             "Connections not read for now: too many of their requests unanswered, or too "
             "many answer bytes queued for a client that does not read them.");
  out.sample("chipmunk_api_connections_paused", {},
             static_cast<uint64_t>(std::max<int64_t>(0, paused_.load())));
  out.family("chipmunk_api_connection_pauses_total", "counter",
             "Times a connection stopped being read for its pipelining bounds.");
  out.sample("chipmunk_api_connection_pauses_total", load(pauses_));
  out.family("chipmunk_api_records", "gauge", "Records in the store.");
  out.sample("chipmunk_api_records", {}, static_cast<uint64_t>(store.count()));
  renderStoreWrites(out);
  std::lock_guard<std::mutex> lock(pushMutex_);
  // One sample each, without labels: {name, type, help, value}.
  struct Single {
    const char* name;
    const char* type;
    const char* help;
    uint64_t value;
  };
  std::vector<Single> singles;
  if (pushProbe_) {
    const PushStats push = pushProbe_();
    singles.push_back({"chipmunk_api_push_queue_length", "gauge",
                       "Gateway push: targets waiting to be pushed (a new address or a retry).",
                       push.queued});
    singles.push_back({"chipmunk_api_push_stopped", "gauge",
                       "Gateway push: targets stopped until a reload (credentials refused...).",
                       push.stopped});
    singles.push_back({"chipmunk_api_push_failures_total", "counter",
                       "Gateway push: failed pushes to a DNS provider since the server started.",
                       pushFailuresBefore_ + push.failures});
  }
  if (directoryProbe_) {
    const DirectoryStats d = directoryProbe_();
    singles.push_back(
        {"chipmunk_api_directory_cached_users", "gauge",
         "PostgreSQL directory: verified users held in the cache ([Store] user_cache).",
         d.cachedUsers});
    singles.push_back(
        {"chipmunk_api_directory_cached_names", "gauge",
         "PostgreSQL directory: names (users, hosts, unknown names) held in the cache.",
         d.cachedNames});
    singles.push_back({"chipmunk_api_directory_lookups_total", "counter",
                       "PostgreSQL directory: queries for requests' cache misses since the start.",
                       d.lookups});
  }
  for (const auto& single : singles) {
    out.family(single.name, single.type, single.help);
    out.sample(single.name, single.value);
  }
  return out.text();
}

}  // namespace chipmunk::api
