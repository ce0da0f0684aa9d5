// SPDX-License-Identifier: MIT
#include "api/memory_trim.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

#include "common/logging.hpp"

namespace chipmunk::api {
namespace {

std::atomic<bool> requested{false};
std::mutex trimMutex;
std::chrono::steady_clock::time_point lastTrim{};

}  // namespace

void requestMemoryTrim() {
  requested.store(true, std::memory_order_relaxed);
}

bool trimMemoryIfRequested(std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(trimMutex);
  if (!requested.load(std::memory_order_relaxed) ||
      (lastTrim != std::chrono::steady_clock::time_point{} && now - lastTrim < kMinTrimInterval)) {
    return false;
  }
  requested.store(false, std::memory_order_relaxed);
  lastTrim = now;
#ifdef __GLIBC__
  const auto start = std::chrono::steady_clock::now();
  ::malloc_trim(0);
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  logging::get("api")->debug("malloc_trim took={:.1f} ms", took.count());
#endif
  return true;
}

}  // namespace chipmunk::api
