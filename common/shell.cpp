// SPDX-License-Identifier: MIT
#include "common/shell.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

extern char** environ;

namespace chipmunk {
namespace {
constexpr size_t kMaxOutput = 64 * 1024;

// The caller's environment without inherited CHIPMUNK_* variables and without the names
// `env` sets, then `env` itself.
std::vector<std::string> childEnvironment(const std::map<std::string, std::string>& env) {
  std::vector<std::string> envStrings;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (std::strncmp(*e, "CHIPMUNK_", 9) == 0 ||
        (eq != nullptr && env.count(std::string(*e, static_cast<size_t>(eq - *e))) != 0)) {
      continue;
    }
    envStrings.emplace_back(*e);
  }
  for (const auto& [key, value] : env) {
    envStrings.push_back(key + "=" + value);
  }
  return envStrings;
}

// Starts `sh -c command` with standard input from /dev/null and standard output to `outFd`
// (when not -1). Returns posix_spawn's error number, 0 on success.
int spawnShell(const std::string& command, std::vector<std::string>& envStrings, int outFd,
               pid_t& pid) {
  std::vector<char*> envp;
  for (auto& s : envStrings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::string cmd = command;
  char sh[] = "/bin/sh";
  char dashC[] = "-c";
  char* argv[] = {sh, dashC, cmd.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (outFd != -1) {
    posix_spawn_file_actions_adddup2(&actions, outFd, 1);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a timeout kills the command and its children; default signal
  // mask and dispositions (the daemons block and ignore some).
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

// Reads what is ready on `fd` (waiting at most `waitMs`) into `output`, keeping at most
// kMaxOutput bytes. Returns false once the pipe is closed.
bool readSome(int fd, int waitMs, std::string& output) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, waitMs) <= 0) {
    return true;
  }
  char buf[4096];
  const ssize_t got = ::read(fd, buf, sizeof buf);
  if (got <= 0) {
    return false;
  }
  if (output.size() < kMaxOutput) {
    output.append(buf, std::min(static_cast<size_t>(got), kMaxOutput - output.size()));
  }
  return true;
}

// Waits for `pid` to exit and, when `outFd` is not -1, for its output pipe to close, until
// `timeout`; then kills its process group. Fills timedOut, output, exitCode and signal.
void awaitChild(pid_t pid, int outFd, std::chrono::milliseconds timeout, ShellResult& result) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool exited = false;
  bool pipeOpen = outFd != -1;
  while (!exited || pipeOpen) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(-pid, SIGKILL);
      if (!exited) {
        ::waitpid(pid, &status, 0);
        result.timedOut = true;
      }
      break;
    }
    if (pipeOpen) {
      pipeOpen =
          readSome(outFd, static_cast<int>(std::min<long long>(left.count(), 20)), result.output);
    } else {
      timespec ts{0, 10 * 1000 * 1000};
      nanosleep(&ts, nullptr);
    }
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      // Output left in the pipe is read on the next turns; a background child that keeps
      // it open is bounded by the deadline.
    }
  }
  if (!result.timedOut) {
    if (WIFEXITED(status)) {
      result.exitCode = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result.signal = WTERMSIG(status);
    }
  }
}

}  // namespace

ShellResult runShell(const std::string& command, const std::map<std::string, std::string>& env,
                     std::chrono::milliseconds timeout, bool captureOutput) {
  ShellResult result;
  std::vector<std::string> envStrings = childEnvironment(env);
  int pipeFds[2] = {-1, -1};
  if (captureOutput && ::pipe2(pipeFds, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  pid_t pid = -1;
  const int rc = spawnShell(command, envStrings, pipeFds[1], pid);
  if (captureOutput) {
    ::close(pipeFds[1]);
  }
  if (rc != 0) {
    if (captureOutput) {
      ::close(pipeFds[0]);
    }
    result.error = std::string("spawn: ") + std::strerror(rc);
    return result;
  }
  result.started = true;
  awaitChild(pid, pipeFds[0], timeout, result);
  if (captureOutput) {
    ::close(pipeFds[0]);
  }
  return result;
}

}  // namespace chipmunk
