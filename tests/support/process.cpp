// SPDX-License-Identifier: MIT
#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdexcept>

namespace chipmunk::test {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& stdoutPath,
                           const std::string& stderrPath, const std::string& stdinText) {
  // Everything the child needs is made before fork(): in a multithreaded test process the
  // child may only make async-signal-safe calls until execv(). (It used to build the argv
  // vector and open the output files after fork(); under ASan that malloc() could wait for
  // good on an allocator lock another thread held at the fork, and the "server" never came
  // up.)
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  int pipeFds[2] = {-1, -1};
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const int out = ::open(stdoutPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int err = ::open(stderrPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    for (const int fd : {pipeFds[0], pipeFds[1], out, err}) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
    throw std::runtime_error("cannot open " + stdoutPath + " or " + stderrPath);
  }
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(out);
    ::close(err);
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    // Child: unblock every signal (the test runner may have blocked some). dup2() clears
    // close-on-exec on the copies.
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    ::dup2(pipeFds[0], 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  ::close(pipeFds[0]);
  if (!stdinText.empty()) {
    [[maybe_unused]] const ssize_t n = ::write(pipeFds[1], stdinText.data(), stdinText.size());
  }
  ::close(pipeFds[1]);
}

ChildProcess::~ChildProcess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

void ChildProcess::signal(int sig) const {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, sig);
  }
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  const bool done = waitUntil(
      [&] {
        if (reaped_) {
          return true;
        }
        const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
        if (r == pid_) {
          reaped_ = true;
        }
        return reaped_;
      },
      timeout);
  if (!done) {
    return -1;
  }
  if (WIFEXITED(status_)) {
    return WEXITSTATUS(status_);
  }
  return 128 + WTERMSIG(status_);
}

bool ChildProcess::running() {
  if (reaped_) {
    return false;
  }
  return ::waitpid(pid_, &status_, WNOHANG) == 0 || (reaped_ = true, false);
}

int runCommand(const std::vector<std::string>& argv, const std::string& stdoutPath,
               const std::string& stderrPath, const std::string& stdinText,
               std::chrono::milliseconds timeout) {
  ChildProcess child(argv, stdoutPath, stderrPath, stdinText);
  const int rc = child.wait(timeout);
  return rc;
}

}  // namespace chipmunk::test
