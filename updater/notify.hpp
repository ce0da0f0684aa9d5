// SPDX-License-Identifier: MIT
#pragma once

// The updater's alerts on their way out: what an event holds, the request each built-in
// notifier sends for it (webhook, ntfy, Gotify) and the healthchecks.io-style pings, all
// delivered by one worker thread from a bounded queue, so that a slow or failing target
// never delays an update. Requests go through the providers' HTTP client (timeouts, reply
// size bound, TLS verification as configured); logs name the notifier, never its URL,
// token or headers.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/updater_config.hpp"
#include "providers/http/client.hpp"

namespace chipmunk::updater {

// One alert: `event` is failure, stop, recover or change.
struct AlertEvent {
  std::string event;
  std::string record;
  std::string host;
  std::string type;
  std::string provider;
  std::string oldIp;
  std::string newIp;
  std::string error;   // a short reason (the provider's answer), empty for change and recover
  long long time = 0;  // Unix seconds
};

// The variables a command hook gets: CHIPMUNK_EVENT, _RECORD, _HOST, _TYPE, _PROVIDER,
// _OLD_IP, _NEW_IP, _ERROR.
std::map<std::string, std::string> hookEnvironment(const AlertEvent& e);
// One human line: "home (home.example.com A) failed 3 times: 503 ...".
std::string alertMessage(const AlertEvent& e);
// `text` with each {placeholder} replaced by the event's value, JSON-escaped (no quotes).
std::string renderTemplate(const std::string& text, const AlertEvent& e);
// The request `notifier` sends for `e` (the exact form its service documents).
providers::HttpRequest notifierRequest(const config::NotifierConfig& notifier, const AlertEvent& e);

enum class Ping { kStart, kSuccess, kFail };
// The healthchecks.io ping: POST url/start, url, url/fail with `body` (plain text).
providers::HttpRequest pingRequest(const std::string& url, Ping ping, const std::string& body);

// The queue and its worker. The worker starts with the first request; the destructor
// abandons what is queued and interrupts a transfer in progress (a stop stays prompt).
class Notifications {
 public:
  Notifications(std::vector<config::NotifierConfig> notifiers, std::string healthchecksUrl,
                providers::HttpOptions http, size_t capacity = 64);
  ~Notifications();
  Notifications(const Notifications&) = delete;
  Notifications& operator=(const Notifications&) = delete;

  bool empty() const { return notifiers_.empty() && healthchecksUrl_.empty(); }
  // Queues the request of every notifier that wants `e.event`.
  void notify(const AlertEvent& e);
  void ping(Ping ping, const std::string& body = {});
  // Waits until the queue is empty and nothing is in flight, at most `limit`; false when
  // time ran out (--once before it exits).
  bool drain(std::chrono::milliseconds limit);
  // Requests dropped because the queue was full (the oldest go first).
  size_t dropped() const;

 private:
  struct Job {
    std::string what;  // "notify:NAME event=failure", "healthchecks start": for logs
    providers::HttpRequest request;
    std::vector<std::string> secrets;  // kept out of the log line of a failure
  };
  void enqueue(Job job);
  void work();
  void deliver(providers::HttpClient& client, const Job& job);

  std::vector<config::NotifierConfig> notifiers_;
  std::string healthchecksUrl_;
  providers::HttpOptions http_;
  size_t capacity_;
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  size_t dropped_ = 0;
  std::thread worker_;
};

}  // namespace chipmunk::updater
