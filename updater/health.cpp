// SPDX-License-Identifier: MIT
#include "updater/health.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "chipmunk/version.hpp"
#include "common/durable_file.hpp"
#include "common/logging.hpp"
#include "common/metrics_text.hpp"
#include "updater/updater.hpp"

namespace chipmunk::updater {
namespace {

double seconds(long long unixTime) {
  return static_cast<double>(unixTime > 0 ? unixTime : 0);
}

// One gauge per record, labelled by the record's label.
template <typename Value>
void perRecord(MetricsText& out, const char* name, const char* help,
               const std::vector<RecordStatus>& records, Value value) {
  out.family(name, "gauge", help);
  for (const auto& r : records) {
    out.sample(name, {{"record", r.record}}, value(r));
  }
}

}  // namespace

bool writeFileAtomically(const std::string& path, const std::string& content, std::string& error) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty()) {
    error = "not a file name";
    return false;
  }
  const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0) {
    error = std::string("open directory: ") + std::strerror(errno);
    return false;
  }
  bool ok = writeFileDurably(dirFd, name, content, error, 0644);
  // node_exporter runs as another user: readable by all whatever the umask (--daemon's is
  // 027). Neither file holds a secret.
  if (ok && ::fchmodat(dirFd, name.c_str(), 0644, 0) != 0) {
    error = std::string("chmod: ") + std::strerror(errno);
    ok = false;
  }
  ::close(dirFd);
  return ok;
}

void Health::configure(std::string statusFile, std::string metricsFile) {
  statusFile_ = std::move(statusFile);
  metricsFile_ = std::move(metricsFile);
}

void Health::count(const CycleReport& report, long long now) {
  ++cycles_;
  lastCycle_ = now;
  if (report.discoveryFailed) {
    ++discoveryFailures_;
  }
  for (const auto& [record, status] : report.attempts) {
    auto& c = counts_[record];
    if (status == providers::UpdateStatus::Updated) {
      ++c.updates;
    } else if (status != providers::UpdateStatus::Unchanged) {
      ++c.failures;
    }
  }
}

void Health::afterCycle(const std::vector<RecordStatus>& records, const CycleReport& report,
                        long long now) {
  count(report, now);
  const auto write = [](const char* what, const std::string& path, const std::string& content) {
    std::string error;
    if (!path.empty() && !writeFileAtomically(path, content, error)) {
      logging::get("updater")->error("cannot write {} path={} error=\"{}\"", what, path, error);
    }
  };
  if (!statusFile_.empty()) {
    write("status file", statusFile_, formatStatus(records, now, true));
  }
  if (!metricsFile_.empty()) {
    write("metrics file", metricsFile_, metricsText(records));
  }
}

std::string Health::metricsText(const std::vector<RecordStatus>& records) const {
  MetricsText out;
  out.family("chipmunk_updater_build_info", "gauge", "Always 1; the version in its label.");
  out.sample("chipmunk_updater_build_info", {{"version", kVersion}}, uint64_t{1});
  out.family("chipmunk_updater_record_info", "gauge",
             "Always 1: one per configured record, with its name, type and provider section.");
  for (const auto& r : records) {
    out.sample("chipmunk_updater_record_info",
               {{"record", r.record}, {"host", r.host}, {"type", r.type}, {"provider", r.provider}},
               uint64_t{1});
  }
  perRecord(out, "chipmunk_updater_record_last_success_timestamp_seconds",
            "When the provider last accepted the record's address (Unix time; 0: never).", records,
            [](const RecordStatus& r) { return seconds(r.state.pushedAt); });
  perRecord(out, "chipmunk_updater_record_last_attempt_timestamp_seconds",
            "When the provider was last called for the record (Unix time; 0: never).", records,
            [](const RecordStatus& r) { return seconds(r.state.attemptedAt); });
  perRecord(out, "chipmunk_updater_record_consecutive_failures",
            "Failed attempts in a row (0 after a success).", records, [](const RecordStatus& r) {
              return static_cast<uint64_t>(std::max(0, r.state.failures));
            });
  perRecord(out, "chipmunk_updater_record_stopped",
            "1 when the record is stopped until a reload (credentials refused, host unknown, "
            "abuse), else 0.",
            records,
            [](const RecordStatus& r) { return uint64_t{r.state.stopped.empty() ? 0u : 1u}; });
  const auto counter = [&](const char* name, const char* help, uint64_t Counts::*field) {
    out.family(name, "counter", help);
    for (const auto& r : records) {
      const auto c = counts_.find(r.record);
      out.sample(name, {{"record", r.record}}, c == counts_.end() ? 0 : c->second.*field);
    }
  };
  counter("chipmunk_updater_updates_total",
          "Attempts the provider answered updated, since the updater started.", &Counts::updates);
  counter("chipmunk_updater_update_failures_total",
          "Attempts that failed (retry later, credentials refused, not found, failed), since "
          "the updater started.",
          &Counts::failures);
  out.family("chipmunk_updater_discovery_failures_total", "counter",
             "Cycles in which no address could be discovered, since the updater started.");
  out.sample("chipmunk_updater_discovery_failures_total", discoveryFailures_);
  out.family("chipmunk_updater_cycles_total", "counter", "Cycles run since the updater started.");
  out.sample("chipmunk_updater_cycles_total", cycles_);
  out.family("chipmunk_updater_last_cycle_timestamp_seconds", "gauge",
             "When the last cycle ended (Unix time).");
  out.sample("chipmunk_updater_last_cycle_timestamp_seconds", {}, seconds(lastCycle_));
  return out.text();
}

std::string cycleStatus(const CycleReport& r) {
  const int failing = r.retryLater + r.authFailed + r.failed;
  std::string text = std::to_string(r.updated + r.unchanged) + " records ok, " +
                     std::to_string(failing) + " failing";
  if (failing > 0) {
    text += " (" + std::to_string(r.retryLater) + " retrying, " + std::to_string(r.authFailed) +
            " auth failed, " + std::to_string(r.failed) + " failed)";
  }
  if (r.discoveryFailed) {
    text += "; address discovery failed";
  }
  return text;
}

}  // namespace chipmunk::updater
