// SPDX-License-Identifier: MIT
// The daemon's watch of the mesh: one GET /hosts?wait=N&since=VERSION held open on a thread
// of its own. 200: a visible record changed, run now; 304: nothing changed in N seconds, ask
// again; an error or 429: back off (Retry-After, else doubling from 1 s, never longer than
// the daemon's interval, which keeps syncing anyway).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/logging.hpp"
#include "providers/http/url.hpp"
#include "updater/wireguard.hpp"

namespace chipmunk::updater {
namespace {

std::shared_ptr<spdlog::logger> watchLog() {
  return logging::get("wireguard");
}

}  // namespace

WireguardMesh::~WireguardMesh() {
  if (watch_.joinable()) {
    stop_->store(true);  // also abandons the request in flight (HttpOptions::cancel)
    {
      std::lock_guard<std::mutex> lock(waitMutex_);
      wake_.notify_all();
    }
    watch_.join();
  }
}

void WireguardMesh::startWatch(std::chrono::seconds fallback) {
  if (config_.watch.count() == 0 || !config_.sync || watch_.joinable() || dryRun_) {
    return;
  }
  watch_ = std::thread([this, fallback] { watchLoop(fallback); });
}

std::string WireguardMesh::currentVersion() {
  std::lock_guard<std::mutex> lock(mutex_);
  return version_;
}

bool WireguardMesh::serverWithoutWatch() {
  std::lock_guard<std::mutex> lock(mutex_);
  return withoutWatch_;
}

bool WireguardMesh::pause(std::chrono::seconds delay) {
  std::unique_lock<std::mutex> lock(waitMutex_);
  return !wake_.wait_for(lock, delay, [this] { return stop_->load(); });
}

void WireguardMesh::watchLoop(std::chrono::seconds fallback) {
  providers::HttpOptions options = http_;
  // The server answers within `watch` seconds; the exchange may take that plus the usual.
  options.timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.watch) + http_.timeout;
  options.maxBodySize = 4 * 1024 * 1024;
  providers::HttpClient client(options);
  const auto longest = std::max(fallback, std::chrono::seconds(1));
  std::chrono::seconds backoff{1};
  watchLog()->info("watch started interface={} wait_s={}", config_.interface,
                   config_.watch.count());
  while (!stop_->load()) {
    const std::string since = currentVersion();
    if (since.empty()) {  // no version yet: a run reads one (and syncs)
      run();
      if (serverWithoutWatch()) {
        watchLog()->warn(
            "the server offers no watch (/hosts has no version); syncing at every "
            "interval interface={}",
            config_.interface);
        return;
      }
      if (currentVersion().empty() && !pause(backoff)) {
        break;  // the run failed: again after a backoff
      }
      backoff = std::min(backoff * 2, longest);
      continue;
    }
    const auto started = std::chrono::steady_clock::now();
    const auto resp =
        client.perform(request("/hosts?wait=" + std::to_string(config_.watch.count()) +
                               "&since=" + providers::urlEncode(since)));
    if (stop_->load()) {
      break;
    }
    const bool quick = std::chrono::steady_clock::now() - started < std::chrono::seconds(1);
    if (resp.transportOk() && resp.status == 200) {
      watchLog()->debug("watch: the mesh changed interface={}", config_.interface);
      run();
    }
    if (resp.transportOk() && (resp.status == 200 || resp.status == 304)) {
      // A server that answers at once without news (no watch, or a broken one) is not
      // asked in a tight loop.
      const bool idle = resp.status == 304 ? quick : currentVersion() == since;
      if (idle && !pause(backoff)) {
        break;
      }
      backoff = idle ? std::min(backoff * 2, longest) : std::chrono::seconds(1);
      continue;
    }
    auto wait = backoff;
    if (resp.transportOk() && resp.status == 429 && resp.retryAfter()) {
      wait = std::max(wait, *resp.retryAfter());
    }
    wait = std::min(wait, longest);
    watchLog()->warn("watch failed interface={} error=\"{}\" next_attempt_s={}", config_.interface,
                     resp.transportOk() ? "HTTP " + std::to_string(resp.status) : resp.error,
                     wait.count());
    backoff = std::min(backoff * 2, longest);
    if (!pause(wait)) {
      break;
    }
  }
  watchLog()->info("watch stopped interface={}", config_.interface);
}

}  // namespace chipmunk::updater
