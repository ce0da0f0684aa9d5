// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "config/api_config.hpp"

namespace chipmunk::api {

// /nic/update's abuse tracking ([Server] abuse_nochg_limit, abuse_window, abuse_block): a
// host that asks again and again to store the address it already has is blocked for a
// while (the dyndns2 "abuse" answer). Thread-safe; the counts survive a reload.
class NochgCounters {
 public:
  // True when `host` is blocked at `now` (Unix seconds).
  bool blocked(const std::string& host, int64_t now);
  // Counts a nochg answer for `host`; the limit-th within the window blocks it.
  void countNochg(const config::ApiConfig& config, const std::string& host, int64_t now);

 private:
  struct Count {
    int nochg = 0;
    int64_t windowStart = 0;
    int64_t blockedUntil = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Count> counts_;
};

}  // namespace chipmunk::api
