// SPDX-License-Identifier: MIT
#pragma once

// Health for monitors: after every cycle the daemon (and --once) writes
//   [Global] status_file:  the --status --json report (updater/status.hpp), and
//   [Global] metrics_file: the Prometheus text format, for node_exporter's textfile collector,
// each atomically (a temporary file renamed over the target: a reader sees the old or the new
// file, never a part) and durably. The metrics are listed in docs/OPERATIONS.md.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "updater/status.hpp"

namespace chipmunk::updater {

struct CycleReport;

class Health {
 public:
  // The files to write (empty: none); a reload may change them. Counters are kept.
  void configure(std::string statusFile, std::string metricsFile);

  // Counts the cycle's attempts and discovery failure, then writes the files. A file that
  // cannot be written is logged; the next cycle tries again.
  void afterCycle(const std::vector<RecordStatus>& records, const CycleReport& report,
                  long long now);

  // The exposition for `records` with the counts so far (what metrics_file holds).
  std::string metricsText(const std::vector<RecordStatus>& records) const;

 private:
  struct Counts {
    uint64_t updates = 0;   // attempts the provider answered "updated"
    uint64_t failures = 0;  // attempts that failed (retry-later, auth-failed, not-found...)
  };
  void count(const CycleReport& report, long long now);

  std::string statusFile_;
  std::string metricsFile_;
  std::map<std::string, Counts> counts_;  // by record label; since the process started
  uint64_t cycles_ = 0;
  uint64_t discoveryFailures_ = 0;
  long long lastCycle_ = 0;
};

// Writes `content` to `path` as writeFileDurably does (mode 0644); false with `error`.
bool writeFileAtomically(const std::string& path, const std::string& content, std::string& error);

// The STATUS= line of a cycle for systemd (systemctl status): counts only, since a
// provider's error text is not for every local user to read.
std::string cycleStatus(const CycleReport& report);

}  // namespace chipmunk::updater
