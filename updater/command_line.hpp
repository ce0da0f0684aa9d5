// SPDX-License-Identifier: MIT
#pragma once

// chipmunk-updater's command line: the options of a run, and the commands that answer and
// exit at once (--help, --version, --list-providers, --help-config, a usage error).

#include <iosfwd>
#include <optional>
#include <string>

namespace chipmunk::updater {

inline constexpr const char* kDefaultConfig = "/etc/chipmunk/chipmunk-updater.ini";

struct Options {
  std::string configPath = kDefaultConfig;  // absolute once parsed (the daemon changes directory)
  bool once = false;
  bool daemon = false;
  bool checkOnly = false;
  bool force = false;
  bool dryRun = false;  // --dry-run: one cycle that sends nothing and writes no state
  bool status = false;  // --status: print each record's state and exit
  bool json = false;    // --status --json
};

// The usage text of --help.
std::string usage();

// Reads argv into `options`. A command that is done once parsed (--help, --version,
// --list-providers[=markdown], --help-config) prints to `out` and returns 0; a usage error
// prints to `err` and returns kExitConfig; nullopt means: run with `options`.
std::optional<int> parseCommandLine(int argc, const char* const* argv, Options& options,
                                    std::ostream& out, std::ostream& err);

}  // namespace chipmunk::updater
