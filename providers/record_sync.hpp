// SPDX-License-Identifier: MIT
#pragma once

// Keeping a DNS record at an address, written once for both programs: chipmunk-updater's
// cycle and chipmunk-api's gateway push drive the same engine. Per provider account it
// prepares once (again after a failed prepare, or after the provider said not-found: the
// record or zone may have been recreated under new ids), updates, and per record it
// classifies the outcome: published, retry later (backoff between retry_min and retry_max,
// the server's Retry-After honoured but clamped by the one rule of retryDelay()), or stopped
// with a reason (credentials refused, or a failure retrying cannot change) until a reload.
// The callers decide when a record is due and what to log; no clock or thread of its own.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "providers/provider.hpp"
#include "providers/sync_state.hpp"

namespace chipmunk::providers {

struct RetryPolicy {
  std::chrono::seconds retryMin{60};
  std::chrono::seconds retryMax{3600};
};

// One record as the engine keeps it: what is persisted, and the backoff and stop that hold
// until a reload.
struct SyncRecord {
  using Clock = std::chrono::steady_clock;

  SyncState state;
  std::optional<Clock::time_point> retryAt;  // backing off until then; none: may try now
  bool stopped = false;                      // until a reload (state.stopped says why)
  UpdateStatus stoppedBy = UpdateStatus::AuthFailed;

  // Takes what was published from a saved state of the same record (same key). Backoff and
  // stop are not brought back: a restart, like a reload, tries again at once.
  void restore(const SyncState& saved);
  bool waiting(Clock::time_point now) const { return retryAt && now < *retryAt; }
  // Forgets the backoff (a new address is tried at once).
  void clearBackoff();
};

enum class Verdict { kPublished, kRetry, kStopped };

struct Settled {
  Verdict verdict = Verdict::kRetry;
  std::chrono::seconds retryIn{0};  // kRetry: the delay before the next attempt
};

// One provider account (a provider section) and the records it keeps. One thread at a time.
class RecordSync {
 public:
  RecordSync(std::unique_ptr<DnsProvider> provider, RetryPolicy policy);

  // A new round (the updater's cycle, one gateway push attempt): a prepare that failed in an
  // earlier round is tried again. Within a round, a failed prepare is not repeated for the
  // account's other records: they get the same outcome.
  void newRound() { prepareFailure_.reset(); }
  // Prepares if needed, then points `record` at `ip`, calling `beforeUpdate` (if set) once
  // the account is prepared, right before the update (the caller's "updating" log line). An
  // exception from the provider is caught and returned as Failed ("provider error: ...").
  UpdateResult publish(const Record& record, const IpAddress& ip,
                       const std::function<void()>& beforeUpdate = {});
  // Prepares if needed, then reads what `record` holds now (DnsProvider::current); a failed
  // prepare or an exception is kFailed with its detail.
  CurrentRecord read(const Record& record);
  // Classifies `result` of publishing `ip` for `r`, records it in r.state (attempt time,
  // result, detail; on success the address and its time; failures and stop) and sets the
  // backoff or the stop.
  Settled settle(SyncRecord& r, const UpdateResult& result, const IpAddress& ip,
                 SyncRecord::Clock::time_point now = SyncRecord::Clock::now());

  bool prepared() const { return prepared_; }
  const RetryPolicy& policy() const { return policy_; }
  // Seeds the jitter of the backoff (tests).
  void seed(unsigned value) { rng_.seed(value); }

 private:
  UpdateResult attempt(const Record& record, const IpAddress& ip,
                       const std::function<void()>& beforeUpdate);

  std::unique_ptr<DnsProvider> provider_;
  RetryPolicy policy_;
  bool prepared_ = false;
  std::optional<UpdateResult> prepareFailure_;
  std::mt19937 rng_;
};

// What a program keeps in sync: one engine per provider account (section) that serves a
// record, and per record the name it goes by at its provider and the key of its state.
struct KeptRecords {
  std::map<std::string, std::unique_ptr<RecordSync>> accounts;  // by provider section
  std::vector<Record> records;                                  // in the order given
  std::vector<std::string> keys;                                // recordKey() of each
};

// One configured record: its label, the provider section that serves it and its name.
struct RecordWanted {
  std::string label;
  std::string account;
  std::string host;
  std::string domain;
  bool ipv6 = false;
  std::map<std::string, std::string> settings{};  // record-level provider settings
};

// Builds the providers of the accounts `wanted` uses (buildProviders()) and an engine for
// each; a provider that rejects its settings adds "where: message" to `errors`.
KeptRecords keepRecords(const ProviderRegistry& registry,
                        const std::vector<config::AccountConfig>& accounts,
                        const std::vector<RecordWanted>& wanted, const HttpOptions& http,
                        RetryPolicy policy, std::vector<std::string>& errors);

}  // namespace chipmunk::providers
