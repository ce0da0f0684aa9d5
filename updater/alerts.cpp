// SPDX-License-Identifier: MIT
// The updater's alerts: which events an attempt's outcome raises (updater.hpp), the command
// hooks that run for them ([Hooks] on_change, on_failure, on_stop, on_recover) and the
// notifiers and pings they are queued for (updater/notify.hpp).
#include <spdlog/spdlog.h>

#include <ctime>

#include "common/logging.hpp"
#include "common/shell.hpp"
#include "common/utf8.hpp"
#include "updater/notify.hpp"
#include "updater/updater.hpp"

namespace chipmunk::updater {
namespace {

constexpr size_t kMaxReasonBytes = 200;
constexpr size_t kMaxPingLines = 20;

std::shared_ptr<spdlog::logger> alertsLog() {
  return logging::get("updater");
}

}  // namespace

CycleReport Updater::runCycle(bool force) {
  if (notifications_) {
    notifications_->ping(Ping::kStart);
  }
  CycleReport report = cycle(force);
  pingResult(report);
  return report;
}

void Updater::pingResult(const CycleReport& report) {
  if (!notifications_) {
    return;
  }
  const int code = report.exitCode();
  std::string body = "updated=" + std::to_string(report.updated) +
                     " unchanged=" + std::to_string(report.unchanged) +
                     " retry_later=" + std::to_string(report.retryLater) +
                     " auth_failed=" + std::to_string(report.authFailed) +
                     " failed=" + std::to_string(report.failed) +
                     " discovery_failed=" + (report.discoveryFailed ? "yes" : "no") + "\n";
  for (size_t i = 0; code != kExitOk && i < report.lines.size() && i < kMaxPingLines; ++i) {
    body += escapeText(report.lines[i], 300) + "\n";
  }
  notifications_->ping(code == kExitOk ? Ping::kSuccess : Ping::kFail, body);
}

bool Updater::flushNotifications(std::chrono::milliseconds limit) {
  return !notifications_ || notifications_->drain(limit);
}

std::vector<AlertEvent> Updater::decideAlerts(RecordRuntime& r,
                                              const providers::UpdateResult& result,
                                              providers::Verdict verdict, const std::string& oldIp,
                                              const std::string& newIp) {
  auto& state = r.sync.state;
  std::vector<AlertEvent> out;
  const auto raise = [&](const char* event, bool withError) {
    AlertEvent e;
    e.event = event;
    e.record = r.config.name;
    e.host = r.record.fqdn();
    e.type = providers::toString(r.record.type);
    e.provider = r.config.account;
    e.oldIp = oldIp;
    e.newIp = newIp;
    if (withError) {
      e.error = escapeText(std::string(providers::toString(result.status)) + ": " + result.detail,
                           kMaxReasonBytes);
    }
    e.time = static_cast<long long>(std::time(nullptr));
    out.push_back(std::move(e));
  };
  switch (verdict) {
    case providers::Verdict::kPublished:
      if (!state.notified.empty()) {
        raise("recover", false);
        state.notified.clear();
      }
      if (result.status == providers::UpdateStatus::Updated && oldIp != newIp) {
        raise("change", false);
      }
      break;
    case providers::Verdict::kStopped:
      if (state.notified != "stop") {
        raise("stop", true);
        state.notified = "stop";
      }
      break;
    case providers::Verdict::kRetry:
      // Once per streak: a streak that already raised an alert (before a restart, too)
      // stays quiet until it ends.
      if (state.failures >= config_.failureThreshold && state.notified.empty()) {
        raise("failure", true);
        state.notified = "failure";
      }
      break;
  }
  return out;
}

void Updater::emit(const AlertEvent& e) {
  const std::pair<const char*, const std::string*> hooks[] = {{"change", &config_.onChange},
                                                              {"failure", &config_.onFailure},
                                                              {"stop", &config_.onStop},
                                                              {"recover", &config_.onRecover}};
  alertsLog()->info("alert event={} record={} host={} type={}", e.event, e.record, e.host, e.type);
  for (const auto& [event, command] : hooks) {
    if (e.event == event && !command->empty()) {
      runHook(*command, e);
    }
  }
  if (notifications_) {
    notifications_->notify(e);
  }
}

void Updater::runHook(const std::string& command, const AlertEvent& e) {
  const std::string hook = "on_" + e.event;
  const auto result = runShell(command, hookEnvironment(e), config_.hookTimeout, false);
  if (result.ok()) {
    alertsLog()->info("{} hook done record={}", hook, e.record);
  } else if (result.timedOut) {
    alertsLog()->error("{} hook timed out and was killed record={} timeout_s={}", hook, e.record,
                       config_.hookTimeout.count());
  } else if (!result.started) {
    alertsLog()->error("{} hook did not start record={} error=\"{}\"", hook, e.record,
                       result.error);
  } else {
    alertsLog()->error("{} hook failed record={} exit={} signal={}", hook, e.record,
                       result.exitCode, result.signal);
  }
}

}  // namespace chipmunk::updater
