// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace chipmunk {

struct ShellResult {
  bool started = false;
  bool timedOut = false;
  int exitCode = -1;  // -1 when killed by a signal or not started
  int signal = 0;
  std::string output;  // standard output, when captured (at most 64 KiB)
  std::string error;   // why it did not start

  bool ok() const { return started && !timedOut && exitCode == 0; }
};

// Runs `sh -c command` in its own process group with default signal handling, standard
// input from /dev/null and `env` added to the environment; inherited CHIPMUNK_* variables
// are dropped, so a command sees only those its caller sets. A command still running after
// `timeout` is killed with its whole process group. Bounded in time; never throws. Used for
// the API's hooks, the updater's on_change hook and its command discovery source.
ShellResult runShell(const std::string& command, const std::map<std::string, std::string>& env,
                     std::chrono::milliseconds timeout, bool captureOutput);

}  // namespace chipmunk
