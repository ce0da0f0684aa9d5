// SPDX-License-Identifier: MIT
#include "api/hooks.hpp"

#include <spdlog/spdlog.h>

#include "common/logging.hpp"
#include "common/shell.hpp"

namespace chipmunk::api {

HookRunner::HookRunner() : thread_([this] { loop(); }) {}

HookRunner::~HookRunner() {
  stop();
}

bool HookRunner::run(const std::string& key, const std::string& command,
                     std::map<std::string, std::string> env, std::chrono::seconds timeout,
                     bool coalesce) {
  if (command.empty()) {
    return true;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    logging::get("hooks")->error("hook dropped: stopping event={} host={}", env["CHIPMUNK_EVENT"],
                                 env["CHIPMUNK_HOST"]);
    return false;
  }
  auto& queue = pending_[key];
  if (coalesce && !queue.empty() && queue.back().coalesce) {
    Job& last = queue.back();
    for (auto& [name, value] : last.env) {
      if (name.rfind("CHIPMUNK_OLD_", 0) == 0) {
        env[name] = value;
      }
    }
    last = {command, std::move(env), timeout, true};
    return true;
  }
  if (queue.size() >= kMaxPendingPerKey) {
    logging::get("hooks")->error("hook dropped: too many pending event={} host={}",
                                 env["CHIPMUNK_EVENT"], env["CHIPMUNK_HOST"]);
    return false;
  }
  if (queue.empty()) {
    turns_.push_back(key);
  }
  queue.push_back({command, std::move(env), timeout, coalesce});
  cv_.notify_one();
  return true;
}

void HookRunner::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void HookRunner::loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !turns_.empty(); });
      if (turns_.empty()) {
        return;
      }
      // One event of the record whose turn it is; it goes to the back of the line if it
      // has more.
      const std::string key = std::move(turns_.front());
      turns_.pop_front();
      auto it = pending_.find(key);
      job = std::move(it->second.front());
      it->second.pop_front();
      if (it->second.empty()) {
        pending_.erase(it);
      } else {
        turns_.push_back(key);
      }
    }
    execute(job);
  }
}

void HookRunner::execute(const Job& job) {
  runHookNow(job.command, job.env, job.timeout);
}

bool runHookNow(const std::string& command, const std::map<std::string, std::string>& env,
                std::chrono::seconds timeout) {
  auto log = logging::get("hooks");
  const auto event = env.count("CHIPMUNK_EVENT") ? env.at("CHIPMUNK_EVENT") : "";
  const auto host = env.count("CHIPMUNK_HOST") ? env.at("CHIPMUNK_HOST") : "";
  const ShellResult r = runShell(command, env, timeout, false);
  if (!r.started) {
    log->error("hook failed to start event={} host={} error=\"{}\"", event, host, r.error);
  } else if (r.timedOut) {
    log->error("hook timed out event={} host={} timeout_s={}", event, host, timeout.count());
  } else if (r.exitCode == 0) {
    log->info("hook done event={} host={}", event, host);
  } else if (r.signal != 0) {
    log->error("hook failed event={} host={} signal={}", event, host, r.signal);
  } else {
    log->error("hook failed event={} host={} exit={}", event, host, r.exitCode);
  }
  return r.ok();
}

std::map<std::string, std::string> hookEnvironment(const char* event, const std::string& owner,
                                                   const HostRecord& before,
                                                   const HostRecord* after) {
  auto text = [](const std::optional<IpAddress>& ip, bool expired) {
    return ip && !expired ? ip->toString() : std::string();
  };
  return {
      {"CHIPMUNK_EVENT", event},
      {"CHIPMUNK_USER", owner},
      {"CHIPMUNK_HOST", before.name},
      {"CHIPMUNK_OLD_IP", text(before.ip, before.expired)},
      {"CHIPMUNK_OLD_IPV4", text(before.ipv4, before.expired)},
      {"CHIPMUNK_OLD_IPV6", text(before.ipv6, before.expired)},
      {"CHIPMUNK_NEW_IP", after ? text(after->ip, false) : ""},
      {"CHIPMUNK_NEW_IPV4", after ? text(after->ipv4, false) : ""},
      {"CHIPMUNK_NEW_IPV6", after ? text(after->ipv6, false) : ""},
      {"CHIPMUNK_TTL", std::to_string(after ? after->ttl : before.ttl)},
  };
}

void HookListener::configure(const config::ApiConfig& config) {
  std::lock_guard<std::mutex> lock(mutex_);
  onChange_ = config.onChange;
  onExpire_ = config.onExpire;
  timeout_ = config.hookTimeout;
}

void HookListener::setNext(std::shared_ptr<RecordListener> next) {
  std::lock_guard<std::mutex> lock(mutex_);
  next_ = std::move(next);
}

void HookListener::recordChanged(const std::string& owner, const HostRecord& before,
                                 const HostRecord& after) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!onChange_.empty()) {
    // Coalesced per record: a flapping record neither fills the queue nor delays other
    // records' hooks, and its latest address still reaches the hook.
    runner_.run(after.name, onChange_, hookEnvironment("change", owner, before, &after), timeout_,
                true);
  }
  if (next_) {
    next_->recordChanged(owner, before, after);
  }
}

void HookListener::recordExpired(const std::string& owner, const HostRecord& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  logging::get("api")->info("record expired name={} owner={}", record.name, owner);
  if (!onExpire_.empty()) {
    runner_.run(record.name, onExpire_, hookEnvironment("expire", owner, record, nullptr), timeout_,
                false);
  }
  if (next_) {
    next_->recordExpired(owner, record);
  }
}

}  // namespace chipmunk::api
