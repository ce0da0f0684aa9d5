// SPDX-License-Identifier: MIT
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace chipmunk::test {

// Runs `body` in a forked child and returns its result (0-255), or -1 when the child did
// not finish within `timeout` (it is then killed). For checks of code that might block for
// ever (opening a FIFO...): a hang fails the test instead of hanging the suite. Use it
// where no other thread of the test binary is busy (fork copies only the calling thread).
template <typename F>
int runForked(F body, std::chrono::milliseconds timeout) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 255;
    try {
      rc = body();
    } catch (...) {
    }
    ::_exit(rc);
  }
  if (pid < 0) {
    return -2;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

}  // namespace chipmunk::test
