#include "hooks.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstring>
#include <vector>

#include "logging.hpp"

extern char** environ;

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
  std::vector<std::string> envStrings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "CHIPMUNK_", 9) != 0) {
      envStrings.emplace_back(*e);
    }
  }
  for (const auto& [key, value] : job.env) {
    envStrings.push_back(key + "=" + value);
  }
  std::vector<char*> envp;
  for (auto& s : envStrings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::string command = job.command;
  char sh[] = "/bin/sh";
  char dashC[] = "-c";
  char* argv[] = {sh, dashC, command.data(), nullptr};

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a timeout kills the command and its children; default signal
  // mask and dispositions (the server blocks and ignores some).
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", nullptr, &attr, argv, envp.data());
  posix_spawnattr_destroy(&attr);
  const auto event = job.env.count("CHIPMUNK_EVENT") ? job.env.at("CHIPMUNK_EVENT") : "";
  const auto host = job.env.count("CHIPMUNK_HOST") ? job.env.at("CHIPMUNK_HOST") : "";
  if (rc != 0) {
    log->error("hook failed to start event={} host={} error=\"{}\"", event, host,
               std::strerror(rc));
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() + job.timeout;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      log->error("hook timed out event={} host={} timeout_s={}", event, host, job.timeout.count());
      return;
    }
    timespec ts{0, 20 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    log->info("hook done event={} host={}", event, host);
  } else if (WIFEXITED(status)) {
    log->error("hook failed event={} host={} exit={}", event, host, WEXITSTATUS(status));
  } else {
    log->error("hook failed event={} host={} signal={}", event, host, WTERMSIG(status));
  }
}

}  // namespace chipmunk::api
