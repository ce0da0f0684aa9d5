// SPDX-License-Identifier: MIT
#include "updater/updater.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>

#include "common/logging.hpp"
#include "config/builtin_sources.hpp"
#include "updater/notify.hpp"
#include "updater/wireguard.hpp"

namespace chipmunk::updater {
namespace {

std::shared_ptr<spdlog::logger> updaterLog() {
  return logging::get("updater");
}

long long unixNow() {
  return static_cast<long long>(std::time(nullptr));
}

}  // namespace

IpAddress withInterfaceId(const IpAddress& prefix, const std::string& suffix) {
  const auto id = IpAddress::parse(suffix);
  if (!prefix.isV6() || !id || !id->isV6()) {
    return prefix;  // the config loader rejects such a suffix
  }
  std::array<uint8_t, 16> bytes{};
  std::copy(prefix.bytes(), prefix.bytes() + 8, bytes.begin());
  std::copy(id->bytes() + 8, id->bytes() + 16, bytes.begin() + 8);
  return IpAddress::fromV6(bytes);
}

bool loadConfig(const std::string& path, const providers::ProviderRegistry& registry,
                config::UpdaterConfig& out, std::vector<std::string>& errors) {
  return config::loadUpdaterConfig(path, providerDecls(registry), out, errors);
}

int CycleReport::exitCode() const {
  if (authFailed > 0) {
    return kExitAuth;
  }
  if (failed > 0 || discoveryFailed) {
    return kExitFailed;
  }
  if (retryLater > 0) {
    return kExitTempFail;
  }
  return kExitOk;
}

Updater::Updater(config::UpdaterConfig config) : config_(std::move(config)) {}

Updater::~Updater() = default;

void Updater::startWatches() {
  for (auto& mesh : meshes_) {
    mesh->startWatch(config_.interval);
  }
}

std::unique_ptr<Updater> Updater::create(const config::UpdaterConfig& config,
                                         const providers::ProviderRegistry& registry,
                                         std::vector<std::string>& errors, bool dryRun) {
  std::unique_ptr<Updater> u(new Updater(config));
  u->dryRun_ = dryRun;
  const auto http = providers::httpOptions(config.timeout, config.verifyTls, config.caFile);
  std::vector<providers::RecordWanted> wanted;
  for (const auto& rc : config.records) {
    wanted.push_back({rc.name, rc.account, rc.host, rc.domain, rc.ipv6, rc.providerSettings});
  }
  auto kept = providers::keepRecords(registry, config.accounts, wanted, http,
                                     {config.retryMin, config.retryMax}, errors);
  for (size_t i = 0; i < wanted.size(); ++i) {
    RecordRuntime r;
    r.config = config.records[i];
    r.record = kept.records[i];
    r.sync.state.key = kept.keys[i];
    u->records_.push_back(std::move(r));
  }
  u->accounts_ = std::move(kept.accounts);
  if (!errors.empty()) {
    return nullptr;
  }
  if (std::getenv(config::kBuiltinOverrideVariable) != nullptr) {
    updaterLog()->warn(
        "built-in discovery sources point where a test said (not for production) "
        "variable={}",
        config::kBuiltinOverrideVariable);
  }
  u->discovery_ = std::make_unique<Discovery>(config.sources, http, config.allowPrivate,
                                              config.effectiveConsensus());
  u->store_ = std::make_unique<StateStore>(config.stateDir);
  if (!dryRun && (!config.notifiers.empty() || !config.healthchecksUrl.empty())) {
    u->notifications_ =
        std::make_unique<Notifications>(config.notifiers, config.healthchecksUrl, http);
  }
  std::string error;
  if (dryRun) {
    u->store_->openExisting();  // a dry run creates nothing
  } else if (!u->store_->open(error)) {
    updaterLog()->error(
        "state directory unusable; state is kept in memory only, so a restart may resend "
        "dir={} error=\"{}\"",
        config.stateDir, error);
  }
  for (const auto& wg : config.wireguard) {
    u->meshes_.push_back(std::make_unique<WireguardMesh>(wg, http, u->store_->dirFd(), dryRun));
  }
  for (auto& r : u->records_) {
    if (auto s = u->store_->load(r.config.name); s && s->key == r.sync.state.key) {
      r.sync.restore(*s);
      u->planVerifyFromState(r);
    }
  }
  return u;
}

std::vector<RecordStatus> Updater::recordStatus() const {
  std::vector<RecordStatus> out;
  out.reserve(records_.size());
  for (const auto& r : records_) {
    const auto& state = r.sync.state;
    out.push_back({r.config.name, r.record.fqdn(), providers::toString(r.record.type),
                   r.config.account, state.attemptedAt > 0 || state.pushedAt > 0, state});
  }
  return out;
}

std::optional<std::chrono::steady_clock::time_point> Updater::nextVerify() const {
  // Only read-backs still ahead: one already due waits for the next check (a record that
  // is not current, or waits out a backoff, is not read back; waking for it would spin).
  const auto now = clock_();
  std::optional<Clock::time_point> next;
  for (const auto& r : records_) {
    if (r.verifyAt && *r.verifyAt > now && !r.sync.stopped && r.config.verifyInterval.count() > 0 &&
        (!next || *r.verifyAt < *next)) {
      next = r.verifyAt;
    }
  }
  return next;
}

std::optional<std::chrono::steady_clock::time_point> Updater::nextRetry() const {
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& r : records_) {
    if (r.sync.retryAt && !r.sync.stopped && (!next || *r.sync.retryAt < *next)) {
      next = r.sync.retryAt;
    }
  }
  return next;
}

Updater::Addresses Updater::discover(CycleReport& report) {
  Addresses out;
  bool needV4 = false;
  bool needV6 = false;
  for (const auto& r : records_) {
    if (!r.sync.stopped) {
      (r.config.ipv6 ? needV6 : needV4) = true;
    }
  }
  if (!config_.updateDns || records_.empty()) {
    needV4 = true;  // discovery alone (method = set reports the address to the server)
  }
  for (const bool v6 : {false, true}) {
    if (!(v6 ? needV6 : needV4)) {
      continue;
    }
    const Family family = v6 ? Family::kIPv6 : Family::kIPv4;
    const auto found = discovery_->discover(family);
    for (const auto& e : found.errors) {
      updaterLog()->warn("discovery source failed family={} error=\"{}\"", toString(family), e);
    }
    for (const auto& o : found.outliers) {
      updaterLog()->warn("discovery source disagrees family={} detail=\"{}\"", toString(family), o);
    }
    if (!found.ip) {
      updaterLog()->error("no address discovered family={}", toString(family));
      report.discoveryFailed = true;
      report.lines.push_back(std::string("discovery ") + toString(family) + " failed");
      std::string why;
      for (const auto& e : found.errors) {
        why += (why.empty() ? "" : "; ") + e;
      }
      out.whyNone[v6] = why.empty() ? "no source answered" : why;
      continue;
    }
    updaterLog()->debug("address discovered family={} ip={} source={}", toString(family),
                        found.ip->toString(), found.source);
    out.ip[v6] = found.ip;
    if (!config_.updateDns) {
      report.lines.push_back(std::string("address ") + found.ip->toString());
      ++report.unchanged;
    }
  }
  return out;
}

CycleReport Updater::cycle(bool force) {
  CycleReport report;
  const Addresses addresses = discover(report);
  for (auto& mesh : meshes_) {
    const MeshResult result = mesh->run();
    report.lines.insert(report.lines.end(), result.lines.begin(), result.lines.end());
    report.failed += result.failed ? 1 : 0;
  }
  if (!config_.updateDns) {
    return report;
  }
  for (auto& [section, sync] : accounts_) {
    sync->newRound();  // a prepare that failed last cycle is tried again, once per account
  }
  for (auto& r : records_) {
    syncRecord(r, addresses, force, report);
  }
  return report;
}

void Updater::syncRecord(RecordRuntime& r, const Addresses& addresses, bool force,
                         CycleReport& report) {
  const std::string label =
      r.config.name + " " + r.record.fqdn() + " " + providers::toString(r.record.type);
  if (r.sync.stopped) {
    const bool auth = r.sync.stoppedBy == providers::UpdateStatus::AuthFailed;
    ++(auth ? report.authFailed : report.failed);
    report.lines.push_back(
        label + " stopped (" +
        (auth ? std::string("auth failed") : providers::toString(r.sync.stoppedBy)) + ": " +
        r.sync.state.detail + "; reload to retry)");
    return;
  }
  const auto found = addresses.ip.find(r.config.ipv6);
  if (found == addresses.ip.end() || !found->second) {
    // Counted as a discovery failure; still one line per record, as for every outcome.
    const auto why = addresses.whyNone.find(r.config.ipv6);
    report.lines.push_back(label + " not updated: no " +
                           toString(r.config.ipv6 ? Family::kIPv6 : Family::kIPv4) +
                           " address discovered (" +
                           (why == addresses.whyNone.end() ? std::string() : why->second) + ")");
    return;
  }
  IpAddress ip = *found->second;
  if (!r.config.ipv6Suffix.empty()) {
    ip = withInterfaceId(ip, r.config.ipv6Suffix);
  }
  const std::string ipText = ip.toString();
  const long long now = unixNow();
  const auto& state = r.sync.state;
  const bool current = state.ip == ipText;
  bool drift = false;
  std::string heldBefore;  // what a read-back found, when it found drift
  // A push time in the future was written under a wrong clock: when the record was last
  // pushed is unknown, so the refresh is due (not postponed until that time comes).
  const bool refreshDue =
      r.config.forceRefresh.count() > 0 &&
      (state.pushedAt > now || now - state.pushedAt >= r.config.forceRefresh.count());
  if (dryRun_) {
    dryRunRecord(r, ipText, current && !refreshDue && !force, label, report);
    return;
  }
  if (current && !refreshDue && !force) {
    const Verified verified = verifyDue(r) ? verify(r, ipText, heldBefore) : Verified::kNotDue;
    if (verified != Verified::kDrift) {
      ++report.unchanged;
      report.lines.push_back(label + " " + ipText + " current" + verifiedNote(verified));
      if (verified != Verified::kNotDue) {
        saveState(r);
      }
      return;
    }
    drift = true;
  }
  if (r.sync.waiting(clock_()) && !force) {
    ++report.retryLater;
    report.lines.push_back(label + " waiting to retry");
    return;
  }
  auto& account = *accounts_.at(r.config.account);
  const auto result = account.publish(r.record, ip, [&] {
    updaterLog()->info("updating record={} host={} type={} ip={} previous={} reason={}",
                       r.config.name, r.record.fqdn(), providers::toString(r.record.type), ipText,
                       state.ip.empty() ? "-" : state.ip,
                       force   ? "forced"
                       : drift ? "drift"
                               : (current ? "refresh" : "changed"));
  });
  apply(r, result, ip, report, drift ? &heldBefore : nullptr);
  report.lines.push_back(label + " " + ipText + " " + providers::toString(result.status) +
                         (result.ok() ? "" : ": " + result.detail));
}

void Updater::apply(RecordRuntime& r, const providers::UpdateResult& result, const IpAddress& ip,
                    CycleReport& report, const std::string* drifted) {
  using providers::UpdateStatus;
  const std::string ipText = ip.toString();
  const std::string oldIp = r.sync.state.ip;
  auto& account = *accounts_.at(r.config.account);
  report.attempts.emplace_back(r.config.name, result.status);
  const auto settled = account.settle(r.sync, result, ip, clock_());
  if (!result.ok()) {
    r.sync.state.lastError = result.detail;
    r.sync.state.errorAt = r.sync.state.attemptedAt;
  }
  switch (settled.verdict) {
    case providers::Verdict::kPublished:
      ++(result.status == UpdateStatus::Updated ? report.updated : report.unchanged);
      planVerifyAfterPush(r, drifted != nullptr);
      if (drifted != nullptr) {
        updaterLog()->warn(
            "repaired drift record={} host={} type={} expected={} found={} repairs={}",
            r.config.name, r.record.fqdn(), providers::toString(r.record.type), ipText, *drifted,
            r.repairs);
      }
      updaterLog()->info("record {} record={} host={} type={} ip={} detail=\"{}\"",
                         result.status == UpdateStatus::Updated ? "updated" : "already current",
                         r.config.name, r.record.fqdn(), providers::toString(r.record.type), ipText,
                         result.detail);
      break;
    case providers::Verdict::kStopped:
      if (result.status == UpdateStatus::AuthFailed) {
        ++report.authFailed;
        updaterLog()->error(
            "provider refused the credentials; record stopped until the configuration is "
            "reloaded record={} provider={} detail=\"{}\"",
            r.config.name, r.config.account, result.detail);
      } else {
        ++(result.status == UpdateStatus::RetryLater ? report.retryLater : report.failed);
        updaterLog()->error(
            "provider rejected the record; record stopped until the configuration is reloaded "
            "record={} provider={} result={} detail=\"{}\"",
            r.config.name, r.config.account, providers::toString(result.status), result.detail);
      }
      break;
    case providers::Verdict::kRetry:
      ++(result.status == UpdateStatus::RetryLater ? report.retryLater : report.failed);
      updaterLog()->warn(
          "update failed record={} result={} failures={} retry_in_s={} detail=\"{}\"",
          r.config.name, providers::toString(result.status), r.sync.state.failures,
          settled.retryIn.count(), result.detail);
      break;
  }
  const auto alerts = decideAlerts(r, result, settled.verdict, oldIp, ipText);
  saveState(r);
  for (const auto& alert : alerts) {
    emit(alert);
  }
}

}  // namespace chipmunk::updater
