// SPDX-License-Identifier: MIT
#include "updater/updater.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "common/logging.hpp"
#include "common/shell.hpp"

namespace chipmunk::updater {
namespace {

std::shared_ptr<spdlog::logger> log() {
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

Updater::Updater(config::UpdaterConfig config)
    : config_(std::move(config)), rng_(std::random_device{}()) {}

std::unique_ptr<Updater> Updater::create(const config::UpdaterConfig& config,
                                         const providers::ProviderRegistry& registry,
                                         std::vector<std::string>& errors) {
  std::unique_ptr<Updater> u(new Updater(config));
  const auto http = providers::httpOptions(config.timeout, config.verifyTls, config.caFile);
  std::vector<std::pair<std::string, providers::Record>> served;
  for (const auto& rc : config.records) {
    RecordRuntime r;
    r.config = rc;
    r.record = {rc.name, rc.host, rc.domain,
                rc.ipv6 ? providers::RecordType::AAAA : providers::RecordType::A};
    r.fingerprint = providers::recordKey(rc.account, r.record);
    served.emplace_back(rc.account, r.record);
    u->records_.push_back(std::move(r));
  }
  for (auto& [section, provider] :
       providers::buildProviders(registry, config.accounts, served, http, errors)) {
    u->accounts_[section].provider = std::move(provider);
  }
  if (!errors.empty()) {
    return nullptr;
  }
  u->discovery_ = std::make_unique<Discovery>(config.sources, http, config.allowPrivate);
  u->store_ = std::make_unique<StateStore>(config.stateDir);
  std::string error;
  if (!u->store_->open(error)) {
    log()->error(
        "state directory unusable; state is kept in memory only, so a restart may resend "
        "dir={} error=\"{}\"",
        config.stateDir, error);
  }
  for (auto& r : u->records_) {
    if (auto s = u->store_->load(r.config.name); s && s->fingerprint == r.fingerprint) {
      r.state = *s;
    } else {
      r.state.fingerprint = r.fingerprint;
    }
  }
  return u;
}

std::optional<std::chrono::steady_clock::time_point> Updater::nextRetry() const {
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& r : records_) {
    if (r.retryAt && !r.authStopped && (!next || *r.retryAt < *next)) {
      next = r.retryAt;
    }
  }
  return next;
}

CycleReport Updater::runCycle(bool force) {
  CycleReport report;
  std::map<bool, std::optional<IpAddress>> addresses;  // ipv6? -> address
  std::map<bool, std::string> whyNoAddress;            // ipv6? -> the sources' errors
  bool needV4 = false;
  bool needV6 = false;
  for (const auto& r : records_) {
    if (!r.authStopped) {
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
      log()->warn("discovery source failed family={} error=\"{}\"", toString(family), e);
    }
    if (!found.ip) {
      log()->error("no address discovered family={}", toString(family));
      report.discoveryFailed = true;
      report.lines.push_back(std::string("discovery ") + toString(family) + " failed");
      std::string why;
      for (const auto& e : found.errors) {
        why += (why.empty() ? "" : "; ") + e;
      }
      whyNoAddress[v6] = why.empty() ? "no source answered" : why;
      continue;
    }
    log()->debug("address discovered family={} ip={} source={}", toString(family),
                 found.ip->toString(), found.source);
    addresses[v6] = found.ip;
    if (!config_.updateDns) {
      report.lines.push_back(std::string("address ") + found.ip->toString());
      ++report.unchanged;
    }
  }
  if (!config_.updateDns) {
    return report;
  }

  const auto steadyNow = std::chrono::steady_clock::now();
  const long long now = unixNow();
  std::map<std::string, providers::UpdateResult> prepareFailures;  // this cycle only
  for (auto& r : records_) {
    const std::string label =
        r.config.name + " " + r.record.fqdn() + " " + providers::toString(r.record.type);
    if (r.authStopped) {
      const bool auth = r.stoppedBy == providers::UpdateStatus::AuthFailed;
      ++(auth ? report.authFailed : report.failed);
      report.lines.push_back(
          label + " stopped (" +
          (auth ? std::string("auth failed") : providers::toString(r.stoppedBy)) + ": " +
          r.state.detail + "; reload to retry)");
      continue;
    }
    auto ip = addresses[r.config.ipv6];
    if (!ip) {
      // Counted as a discovery failure; still one line per record, as for every outcome.
      report.lines.push_back(label + " not updated: no " +
                             toString(r.config.ipv6 ? Family::kIPv6 : Family::kIPv4) +
                             " address discovered (" + whyNoAddress[r.config.ipv6] + ")");
      continue;
    }
    if (!r.config.ipv6Suffix.empty()) {
      ip = withInterfaceId(*ip, r.config.ipv6Suffix);
    }
    const std::string ipText = ip->toString();
    const bool current = r.state.ip == ipText;
    // A push time in the future was written under a wrong clock: when the record was last
    // pushed is unknown, so the refresh is due (not postponed until that time comes).
    const bool refreshDue =
        r.config.forceRefresh.count() > 0 &&
        (r.state.pushedAt > now || now - r.state.pushedAt >= r.config.forceRefresh.count());
    if (current && !refreshDue && !force) {
      ++report.unchanged;
      report.lines.push_back(label + " " + ipText + " current");
      continue;
    }
    if (r.retryAt && steadyNow < *r.retryAt && !force) {
      ++report.retryLater;
      report.lines.push_back(label + " waiting to retry");
      continue;
    }
    auto& account = accounts_[r.config.account];
    providers::UpdateResult result;
    if (const auto it = prepareFailures.find(r.config.account); it != prepareFailures.end()) {
      result = it->second;
    } else {
      try {
        if (!account.prepared) {
          const auto prepared = account.provider->prepare();
          if (prepared.ok()) {
            account.prepared = true;
          } else {
            prepareFailures[r.config.account] = prepared;
            result = prepared;
          }
        }
        if (account.prepared) {
          log()->info("updating record={} host={} type={} ip={} previous={} reason={}",
                      r.config.name, r.record.fqdn(), providers::toString(r.record.type), ipText,
                      r.state.ip.empty() ? "-" : r.state.ip,
                      force ? "forced" : (current ? "refresh" : "changed"));
          result = account.provider->update(r.record, *ip);
        }
      } catch (const std::exception& e) {
        result = {providers::UpdateStatus::Failed, std::string("provider error: ") + e.what(), {}};
      }
    }
    apply(r, result, *ip, report);
    report.lines.push_back(label + " " + ipText + " " + providers::toString(result.status) +
                           (result.ok() ? "" : ": " + result.detail));
  }
  return report;
}

void Updater::apply(RecordRuntime& r, const providers::UpdateResult& result, const IpAddress& ip,
                    CycleReport& report) {
  using providers::UpdateStatus;
  const std::string ipText = ip.toString();
  const std::string oldIp = r.state.ip;
  r.state.attemptedAt = unixNow();
  r.state.lastResult = providers::toString(result.status);
  r.state.detail = result.detail;
  switch (result.status) {
    case UpdateStatus::Updated:
    case UpdateStatus::Unchanged:
      ++(result.status == UpdateStatus::Updated ? report.updated : report.unchanged);
      r.state.ip = ipText;
      r.state.pushedAt = r.state.attemptedAt;
      r.failures = 0;
      r.retryAt.reset();
      log()->info("record {} record={} host={} type={} ip={} detail=\"{}\"",
                  result.status == UpdateStatus::Updated ? "updated" : "already current",
                  r.config.name, r.record.fqdn(), providers::toString(r.record.type), ipText,
                  result.detail);
      break;
    case UpdateStatus::AuthFailed:
      ++report.authFailed;
      r.authStopped = true;
      r.stoppedBy = UpdateStatus::AuthFailed;
      r.retryAt.reset();
      log()->error(
          "provider refused the credentials; record stopped until the configuration is "
          "reloaded record={} provider={} detail=\"{}\"",
          r.config.name, r.config.account, result.detail);
      break;
    case UpdateStatus::RetryLater:
    case UpdateStatus::NotFound:
    case UpdateStatus::Failed: {
      ++(result.status == UpdateStatus::RetryLater ? report.retryLater : report.failed);
      if (result.stop) {
        // The provider says retrying cannot help (dyndns2 nohost, notfqdn, numhost).
        r.authStopped = true;
        r.stoppedBy = result.status;
        r.retryAt.reset();
        log()->error(
            "provider rejected the record; record stopped until the configuration is reloaded "
            "record={} provider={} result={} detail=\"{}\"",
            r.config.name, r.config.account, providers::toString(result.status), result.detail);
        break;
      }
      ++r.failures;
      const auto delay = retryDelay(
          result.retryAfter, backoffDelay(r.failures, config_.retryMin, config_.retryMax, rng_),
          config_.retryMax);
      r.retryAt = std::chrono::steady_clock::now() + delay;
      log()->warn("update failed record={} result={} failures={} retry_in_s={} detail=\"{}\"",
                  r.config.name, providers::toString(result.status), r.failures, delay.count(),
                  result.detail);
      break;
    }
  }
  std::string error;
  if (store_->isOpen() && !store_->save(r.config.name, r.state, error)) {
    log()->error("cannot save state record={} error=\"{}\"", r.config.name, error);
  }
  if (result.status == UpdateStatus::Updated && oldIp != ipText) {
    runHook(r, oldIp, ipText);
  }
}

void Updater::runHook(const RecordRuntime& r, const std::string& oldIp, const std::string& newIp) {
  if (config_.onChange.empty()) {
    return;
  }
  const auto result = runShell(config_.onChange,
                               {{"CHIPMUNK_RECORD", r.config.name},
                                {"CHIPMUNK_HOST", r.record.fqdn()},
                                {"CHIPMUNK_TYPE", providers::toString(r.record.type)},
                                {"CHIPMUNK_PROVIDER", r.config.account},
                                {"CHIPMUNK_OLD_IP", oldIp},
                                {"CHIPMUNK_NEW_IP", newIp}},
                               config_.hookTimeout, false);
  if (result.ok()) {
    log()->info("on_change hook done record={}", r.config.name);
  } else if (result.timedOut) {
    log()->error("on_change hook timed out and was killed record={} timeout_s={}", r.config.name,
                 config_.hookTimeout.count());
  } else if (!result.started) {
    log()->error("on_change hook did not start record={} error=\"{}\"", r.config.name,
                 result.error);
  } else {
    log()->error("on_change hook failed record={} exit={} signal={}", r.config.name,
                 result.exitCode, result.signal);
  }
}

}  // namespace chipmunk::updater
