// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace chipmunk::test {

// A child process started with fork/exec, its stdout and stderr sent to files.
// Killed (SIGKILL) and reaped on destruction if still running.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& stdoutPath,
               const std::string& stderrPath, const std::string& stdinText = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Waits for exit; returns the exit status (128+signal if killed) or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Runs a command to completion and returns its exit status; output into the two files.
int runCommand(const std::vector<std::string>& argv, const std::string& stdoutPath,
               const std::string& stderrPath, const std::string& stdinText = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Polls `check` every 10 ms until it returns true or `timeout` passes.
template <typename F>
bool waitUntil(F check, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) {
      return true;
    }
    struct timespec ts {
      0, 10 * 1000 * 1000
    };
    nanosleep(&ts, nullptr);
  }
  return check();
}

}  // namespace chipmunk::test
