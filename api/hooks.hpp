#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace chipmunk::api {

// Runs hook commands (`sh -c COMMAND`) one at a time on a thread of its own, so that a
// request only queues a hook and never waits for it. A command still running after the
// timeout is killed (its whole process group). Failures are logged, never fatal.
class HookRunner {
 public:
  HookRunner();
  ~HookRunner();
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  // Queues `command` with extra environment variables. Returns false when the queue is
  // full (1000 pending hooks) or the runner is stopping; the hook is then dropped (logged).
  bool run(const std::string& command, std::map<std::string, std::string> env,
           std::chrono::seconds timeout);
  // Runs what is queued, then stops the thread.
  void stop();

 private:
  struct Job {
    std::string command;
    std::map<std::string, std::string> env;
    std::chrono::seconds timeout;
  };
  void loop();
  static void execute(const Job& job);

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chipmunk::api
