#include "hooks.hpp"

#include <spdlog/spdlog.h>

#include "logging.hpp"
#include "shell.hpp"

namespace chipmunk::api {

HookRunner::HookRunner() : thread_([this] { loop(); }) {}

HookRunner::~HookRunner() {
  stop();
}

bool HookRunner::run(const std::string& command, std::map<std::string, std::string> env,
                     std::chrono::seconds timeout) {
  if (command.empty()) {
    return true;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_ || queue_.size() >= 1000) {
    logging::get("hooks")->error("hook dropped: queue full or stopping event={}",
                                 env["CHIPMUNK_EVENT"]);
    return false;
  }
  queue_.push_back({command, std::move(env), timeout});
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
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    execute(job);
  }
}

void HookRunner::execute(const Job& job) {
  auto log = logging::get("hooks");
  const auto event = job.env.count("CHIPMUNK_EVENT") ? job.env.at("CHIPMUNK_EVENT") : "";
  const auto host = job.env.count("CHIPMUNK_HOST") ? job.env.at("CHIPMUNK_HOST") : "";
  const ShellResult r = runShell(job.command, job.env, job.timeout, false);
  if (!r.started) {
    log->error("hook failed to start event={} host={} error=\"{}\"", event, host, r.error);
  } else if (r.timedOut) {
    log->error("hook timed out event={} host={} timeout_s={}", event, host, job.timeout.count());
  } else if (r.exitCode == 0) {
    log->info("hook done event={} host={}", event, host);
  } else if (r.signal != 0) {
    log->error("hook failed event={} host={} signal={}", event, host, r.signal);
  } else {
    log->error("hook failed event={} host={} exit={}", event, host, r.exitCode);
  }
}

}  // namespace chipmunk::api
