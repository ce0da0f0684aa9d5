// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace chipmunk {

// Claims `path` as this process's pid file: refuses (false, reason in `error`) when the
// file names another process that is still alive, else writes "<pid>\n" atomically
// (writeFileDurably: a temporary file renamed over the target, never a torn file). A stale
// file (dead process, garbage) is replaced. Used by chipmunk-api ([Paths] pid_file) and
// chipmunk-updater ([Daemon] pidfile), whose logrotate files signal the pid in it.
bool claimPidFile(const std::string& path, std::string& error);

// Removes `path` if it still names this process (another instance may have taken it over).
void releasePidFile(const std::string& path);

}  // namespace chipmunk
