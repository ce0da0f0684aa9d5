// SPDX-License-Identifier: MIT
// Drift repair (docs/UPDATER.md "Drift repair"): every verify_interval the record is read
// back, through the provider's API where it has one (DnsProvider::current) or from the
// zone's authoritative servers (providers/dns_read.hpp), and pushed again when it holds
// another address. Rate-limited: no read-back sooner than propagation_delay after a push,
// that delay doubled for every repair in a row (a provider whose answers lag is not
// re-pushed every cycle), and a read that fails waits a whole interval.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "common/logging.hpp"
#include "providers/dns_read.hpp"
#include "updater/updater.hpp"

namespace chipmunk::updater {
namespace {

using Status = providers::CurrentRecord::Status;

// The longest wait after a repair, however many came in a row.
constexpr std::chrono::seconds kMaxRepairWait{86400};

std::shared_ptr<spdlog::logger> driftLog() {
  return logging::get("updater");
}

std::string canonical(const std::string& text) {
  const auto ip = IpAddress::parse(text);
  return ip ? ip->toString() : text;
}

std::string joined(const std::vector<std::string>& addresses) {
  std::string out;
  for (const auto& a : addresses) {
    out += (out.empty() ? "" : ",") + a;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

const char* Updater::verifiedNote(Verified verified) {
  switch (verified) {
    case Verified::kSame:
      return " (verified)";
    case Verified::kUnknown:
      return " (not verified)";
    case Verified::kDrift:
      return " (drift)";
    case Verified::kNotDue:
      break;
  }
  return "";
}

bool Updater::verifyDue(const RecordRuntime& r) const {
  return r.config.verifyInterval.count() > 0 && (!r.verifyAt || clock_() >= *r.verifyAt);
}

Updater::Verified Updater::verify(RecordRuntime& r, const std::string& expected,
                                  std::string& found) {
  auto& account = *accounts_.at(r.config.account);
  providers::CurrentRecord current = account.read(r.record);
  std::string via = "provider";
  if (current.status == Status::kUnsupported) {
    via = "authoritative";
    current = providers::dns::readAuthoritative(
        r.config.nameServers, r.record,
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.timeout));
  }
  r.verifyAt = clock_() + r.config.verifyInterval;
  if (current.status == Status::kFailed || current.status == Status::kUnsupported) {
    driftLog()->warn("cannot read the record back; not verified record={} via={} detail=\"{}\"",
                     r.config.name, via, current.detail);
    return Verified::kUnknown;
  }
  std::vector<std::string> addresses;
  for (const auto& a : current.addresses) {
    addresses.push_back(canonical(a));
  }
  found = joined(addresses);
  if (addresses.size() == 1 && addresses[0] == expected) {
    r.repairs = 0;
    r.sync.state.verifiedAt = static_cast<long long>(std::time(nullptr));
    driftLog()->debug("record verified record={} via={} ip={}", r.config.name, via, expected);
    return Verified::kSame;
  }
  driftLog()->warn("drift found record={} host={} type={} via={} expected={} found={}",
                   r.config.name, r.record.fqdn(), providers::toString(r.record.type), via,
                   expected, found);
  return Verified::kDrift;
}

void Updater::planVerifyAfterPush(RecordRuntime& r, bool repaired) {
  if (repaired) {
    ++r.repairs;
  }
  auto wait = r.config.propagationDelay;
  for (int i = 0; i < r.repairs && wait < kMaxRepairWait; ++i) {
    wait *= 2;
  }
  r.verifyAt = clock_() + std::max(std::min(wait, kMaxRepairWait), r.config.verifyInterval);
}

void Updater::planVerifyFromState(RecordRuntime& r) {
  const long long now = static_cast<long long>(std::time(nullptr));
  const auto& state = r.sync.state;
  const long long pushWait = std::max(r.config.propagationDelay, r.config.verifyInterval).count();
  // A time ahead of the clock was written under a wrong one: due now.
  long long due = 0;
  if (state.pushedAt > 0 && state.pushedAt <= now) {
    due = state.pushedAt + pushWait;
  }
  if (state.verifiedAt > 0 && state.verifiedAt <= now) {
    due = std::max(due, state.verifiedAt + r.config.verifyInterval.count());
  }
  if (due > now) {
    r.verifyAt = clock_() + std::chrono::seconds(due - now);
  }
}

void Updater::saveState(RecordRuntime& r) {
  if (dryRun_ || !store_->isOpen()) {
    return;
  }
  // When this record is looked at next: its retry when it backs off (the checks before it
  // skip the record), else the next check.
  const auto now = clock_();
  const auto next = r.sync.retryAt ? *r.sync.retryAt : now + config_.interval;
  r.sync.state.nextAt = r.sync.stopped ? 0
                                       : static_cast<long long>(std::time(nullptr)) +
                                             std::chrono::duration_cast<std::chrono::seconds>(
                                                 std::max(next - now, Clock::duration::zero()))
                                                 .count();
  std::string error;
  if (!store_->save(r.config.name, r.sync.state, error)) {
    driftLog()->error("cannot save state record={} error=\"{}\"", r.config.name, error);
  }
}

void Updater::dryRunRecord(RecordRuntime& r, const std::string& ipText, bool upToDate,
                           const std::string& label, CycleReport& report) {
  std::string found;
  const Verified verified = verify(r, ipText, found);
  const bool send = !upToDate || verified == Verified::kDrift;
  const std::string line =
      label + (send ? " would send " : " nothing to send: ") + ipText +
      " (state: " + (r.sync.state.ip.empty() ? "none" : r.sync.state.ip) +
      "; record holds: " + (verified == Verified::kUnknown ? "unknown" : found) + ")";
  ++report.unchanged;
  report.lines.push_back(line);
}

}  // namespace chipmunk::updater
