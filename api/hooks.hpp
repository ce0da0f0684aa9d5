// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "api/service.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

// The CHIPMUNK_* variables a hook sees for `event` ("change", "expire"); `after` is null for
// an expiry.
std::map<std::string, std::string> hookEnvironment(const char* event, const std::string& owner,
                                                   const HostRecord& before,
                                                   const HostRecord* after);
// Runs one hook command now (`sh -c`), killing it after `timeout`, and logs the outcome;
// true when it exited 0. For the outbox dispatcher, which runs each event's hook itself.
bool runHookNow(const std::string& command, const std::map<std::string, std::string>& env,
                std::chrono::seconds timeout);

// Runs hook commands (`sh -c COMMAND`) one at a time on a thread of its own, so that a
// request only queues a hook and never waits for it. A command still running after the
// timeout is killed (its whole process group). Failures are logged, never fatal.
//
// Events are queued per record (`key`) and the records take turns, so one noisy record
// cannot starve the others' hooks. A record keeps at most one pending coalescable event in
// a row: a newer one replaces its command, timeout and environment but keeps the pending
// one's CHIPMUNK_OLD_* variables, so the hook sees the net transition from the last state
// it reported to the latest one (possibly old == new after a flap back), and the latest
// state always reaches the hook. Non-coalescable events (on_expire: exactly once) queue
// behind it in order. Memory is bounded by the number of records, not the event rate.
class HookRunner {
 public:
  HookRunner();
  ~HookRunner();
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  // Queues `command` for record `key` with extra environment variables. Returns false when
  // the runner is stopping or the record has kMaxPendingPerKey events pending; the event is
  // then dropped (logged).
  bool run(const std::string& key, const std::string& command,
           std::map<std::string, std::string> env, std::chrono::seconds timeout, bool coalesce);
  // Runs what is queued, then stops the thread.
  void stop();

  // Events of one record waiting at once. Only non-coalescable events add up (change and
  // expiry alternate, and an expiry needs a TTL to run out), so this is never reached in
  // practice; it only bounds memory.
  static constexpr size_t kMaxPendingPerKey = 64;

 private:
  struct Job {
    std::string command;
    std::map<std::string, std::string> env;
    std::chrono::seconds timeout{0};
    bool coalesce = false;
  };
  void loop();
  static void execute(const Job& job);

  std::mutex mutex_;
  std::condition_variable cv_;
  std::unordered_map<std::string, std::deque<Job>> pending_;  // by record
  std::deque<std::string> turns_;  // records with pending events, in turn order
  bool stopping_ = false;
  std::thread thread_;
};

// Turns record changes and expiries into hook runs (on_change, on_expire), then tells the
// next listener (gateway mode's pusher).
class HookListener final : public RecordListener {
 public:
  explicit HookListener(const config::ApiConfig& config) { configure(config); }
  ~HookListener() override { runner_.stop(); }

  // Takes the hook commands and timeout of a (re)loaded configuration.
  void configure(const config::ApiConfig& config);
  // Runs the hooks already queued, then stops.
  void stop() { runner_.stop(); }
  void setNext(std::shared_ptr<RecordListener> next);

  // RecordListener
  void recordChanged(const std::string& owner, const HostRecord& before,
                     const HostRecord& after) override;
  void recordExpired(const std::string& owner, const HostRecord& record) override;

 private:
  std::mutex mutex_;
  std::string onChange_;
  std::string onExpire_;
  std::chrono::seconds timeout_{10};
  std::shared_ptr<RecordListener> next_;
  HookRunner runner_;
};

}  // namespace chipmunk::api
