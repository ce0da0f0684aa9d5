// SPDX-License-Identifier: MIT
#pragma once

// Gateway mode: when a record changes on this server, push its address to DNS through the
// provider library chipmunk-updater uses ([push:LABEL] sections name the record, the
// provider section and the DNS name). A router speaks dyndns2 to us and we update
// Cloudflare or a BIND zone: the provider credentials stay on the server.
//
// Pushes run on one background thread; failures retry with exponential backoff and jitter
// and never slow an HTTP answer; the provider calls, backoff and stops are the record-sync
// engine's (providers/record_sync.hpp), as in chipmunk-updater. What was pushed last is kept
// in <client_update_dir>/.push-state.json (written atomically, in the state format the
// updater shares: providers/sync_state.hpp), so a restart pushes only records whose address
// changed meanwhile.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/metrics.hpp"
#include "api/service.hpp"
#include "config/api_config.hpp"
#include "providers/provider.hpp"
#include "providers/record_sync.hpp"

namespace chipmunk::api {

// The provider sections chipmunk-api accepts: every provider compiled in.
std::vector<config::ProviderDecl> pushProviderDeclarations();

// One [push:LABEL] target and its provider account's view of it.
struct PushTarget {
  config::PushTarget config;
  providers::Record record;
  std::optional<IpAddress> want;  // the address DNS should hold
  providers::SyncRecord sync;     // what the provider last accepted, backoff and stop
};

// The providers and targets of `config`'s [push:*] sections; exchanges are abandoned once
// `cancel` is set. Problems go to `errors` ("path:line: message"); false then.
bool buildPushTargets(const config::ApiConfig& config, std::shared_ptr<std::atomic<bool>> cancel,
                      std::map<std::string, std::unique_ptr<providers::RecordSync>>& accounts,
                      std::vector<PushTarget>& targets, std::vector<std::string>& errors);

class PushService final : public RecordListener {
 public:
  // Builds the providers of `config` and starts the thread when there is anything to push;
  // records of `store` that differ from what was last pushed are queued at once. Problems
  // with a provider section go to `errors` as "path:line: message" (nullptr returned).
  static std::shared_ptr<PushService> create(const config::ApiConfig& config, Store& store,
                                             std::vector<std::string>& errors);
  // Builds the providers only (for --check-config): false with `errors` filled on a problem.
  static bool check(const config::ApiConfig& config, std::vector<std::string>& errors);
  ~PushService() override;
  PushService(const PushService&) = delete;
  PushService& operator=(const PushService&) = delete;

  void recordChanged(const std::string& owner, const HostRecord& before,
                     const HostRecord& after) override;
  void recordExpired(const std::string& owner, const HostRecord& record) override;

  // Stops the thread (an exchange in progress finishes first).
  void stop();
  // What /metrics shows of gateway push (api/metrics.hpp).
  PushStats stats();

 private:
  using Clock = std::chrono::steady_clock;
  using Target = PushTarget;

  explicit PushService(const config::ApiConfig& config);
  static std::shared_ptr<PushService> build(const config::ApiConfig& config,
                                            std::vector<std::string>& errors);
  void loadState();
  void saveStateLocked();
  void run();
  // The first target due now, or nullptr with `wakeAt` set to the earliest later one.
  Target* nextDue(Clock::time_point now, std::optional<Clock::time_point>& wakeAt);
  // Records the outcome of pushing `ip` for the target `label` (lock held).
  void settleLocked(const std::string& label, const providers::UpdateResult& result,
                    const IpAddress& ip);
  void want(const HostRecord& record);

  config::ApiConfig config_;
  std::string statePath_;
  std::map<std::string, std::unique_ptr<providers::RecordSync>> accounts_;  // by section

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  // Set by stop(): the providers' exchanges in progress are abandoned (HttpOptions::cancel),
  // so that neither a reload nor a shutdown waits for a hanging provider.
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  std::vector<Target> targets_;
  uint64_t failures_ = 0;  // failed pushes (mutex_)
  std::thread thread_;
};

}  // namespace chipmunk::api
