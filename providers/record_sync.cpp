// SPDX-License-Identifier: MIT
#include "providers/record_sync.hpp"

#include <ctime>
#include <utility>

namespace chipmunk::providers {

void SyncRecord::restore(const SyncState& saved) {
  const std::string key = state.key;
  state = saved;
  state.key = key;
  state.failures = 0;
  state.stopped.clear();
}

void SyncRecord::clearBackoff() {
  state.failures = 0;
  retryAt.reset();
}

RecordSync::RecordSync(std::unique_ptr<DnsProvider> provider, RetryPolicy policy)
    : provider_(std::move(provider)), policy_(policy), rng_(std::random_device{}()) {}

UpdateResult RecordSync::attempt(const Record& record, const IpAddress& ip,
                                 const std::function<void()>& beforeUpdate) {
  if (!prepared_) {
    const UpdateResult prepared = provider_->prepare();
    if (!prepared.ok()) {
      prepareFailure_ = prepared;  // not again this round
      return prepared;
    }
    prepared_ = true;
  }
  if (beforeUpdate) {
    beforeUpdate();
  }
  const UpdateResult result = provider_->update(record, ip);
  if (result.status == UpdateStatus::NotFound) {
    prepared_ = false;  // the ids looked up may be stale: look them up again next time
  }
  return result;
}

UpdateResult RecordSync::publish(const Record& record, const IpAddress& ip,
                                 const std::function<void()>& beforeUpdate) {
  if (prepareFailure_) {
    return *prepareFailure_;
  }
  const bool preparing = !prepared_;
  UpdateResult result;
  try {
    result = attempt(record, ip, beforeUpdate);
  } catch (const std::exception& e) {
    result = outcome(UpdateStatus::Failed, std::string("provider error: ") + e.what());
    if (preparing && !prepared_) {
      prepareFailure_ = result;  // prepare threw: not again this round
    }
  }
  return result;
}

CurrentRecord RecordSync::read(const Record& record) {
  CurrentRecord failed;
  failed.status = CurrentRecord::Status::kFailed;
  if (prepareFailure_) {
    failed.detail = prepareFailure_->detail;
    return failed;
  }
  try {
    if (!prepared_) {
      const UpdateResult prepared = provider_->prepare();
      if (!prepared.ok()) {
        prepareFailure_ = prepared;
        failed.detail = prepared.detail;
        return failed;
      }
      prepared_ = true;
    }
    return provider_->current(record);
  } catch (const std::exception& e) {
    failed.detail = std::string("provider error: ") + e.what();
    return failed;
  }
}

Settled RecordSync::settle(SyncRecord& r, const UpdateResult& result, const IpAddress& ip,
                           SyncRecord::Clock::time_point now) {
  r.state.attemptedAt = static_cast<long long>(std::time(nullptr));
  r.state.lastResult = toString(result.status);
  r.state.detail = result.detail;
  Settled settled;
  if (result.ok()) {
    r.state.ip = ip.toString();
    r.state.pushedAt = r.state.attemptedAt;
    r.clearBackoff();
    settled.verdict = Verdict::kPublished;
    return settled;
  }
  if (result.status == UpdateStatus::AuthFailed || result.stop) {
    // Retrying cannot help (credentials refused; dyndns2 nohost, notfqdn, numhost...).
    r.stopped = true;
    r.stoppedBy = result.status;
    r.state.stopped = toString(result.status);
    r.retryAt.reset();
    settled.verdict = Verdict::kStopped;
    return settled;
  }
  ++r.state.failures;
  settled.retryIn = retryDelay(
      result.retryAfter, backoffDelay(r.state.failures, policy_.retryMin, policy_.retryMax, rng_),
      policy_.retryMax);
  r.retryAt = now + settled.retryIn;
  settled.verdict = Verdict::kRetry;
  return settled;
}

KeptRecords keepRecords(const ProviderRegistry& registry,
                        const std::vector<config::AccountConfig>& accounts,
                        const std::vector<RecordWanted>& wanted, const HttpOptions& http,
                        RetryPolicy policy, std::vector<std::string>& errors) {
  KeptRecords kept;
  std::vector<std::pair<std::string, Record>> served;
  for (const RecordWanted& w : wanted) {
    const Record record{w.label, w.host, w.domain, w.ipv6 ? RecordType::AAAA : RecordType::A,
                        w.settings};
    kept.records.push_back(record);
    kept.keys.push_back(recordKey(w.account, record));
    served.emplace_back(w.account, record);
  }
  for (auto& [section, provider] : buildProviders(registry, accounts, served, http, errors)) {
    kept.accounts[section] = std::make_unique<RecordSync>(std::move(provider), policy);
  }
  return kept;
}

}  // namespace chipmunk::providers
