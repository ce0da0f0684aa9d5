// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/updater_config.hpp"
#include "providers/provider.hpp"
#include "providers/record_sync.hpp"
#include "updater/discovery.hpp"
#include "updater/state_store.hpp"

namespace chipmunk::updater {

class WireguardMesh;  // updater/wireguard.hpp

// Exit codes of `chipmunk-updater --once` (docs/UPDATER.md).
inline constexpr int kExitOk = 0;         // every record is up to date
inline constexpr int kExitFailed = 1;     // discovery failed, or a record failed / not found
inline constexpr int kExitConfig = 2;     // bad configuration or usage
inline constexpr int kExitAuth = 3;       // a provider refused the credentials
inline constexpr int kExitTempFail = 75;  // only temporary failures (EX_TEMPFAIL): retry later

// The settings declarations of every registered provider, for config validation.
inline std::vector<config::ProviderDecl> providerDecls(
    const providers::ProviderRegistry& registry) {
  return providers::declarations(registry);
}

// Loads a config file against the registry's providers and builds nothing; errors as
// "path:line: message".
bool loadConfig(const std::string& path, const providers::ProviderRegistry& registry,
                config::UpdaterConfig& out, std::vector<std::string>& errors);

using providers::backoffDelay;
using providers::retryDelay;

// The /64 prefix of `prefix` followed by the last 64 bits of `suffix` (an IPv6 text such as
// ::1234:5678:9abc:def0): the address of a host behind the router that discovered `prefix`.
IpAddress withInterfaceId(const IpAddress& prefix, const std::string& suffix);

struct CycleReport {
  int updated = 0;
  int unchanged = 0;  // includes "no call needed"
  int retryLater = 0;
  int authFailed = 0;
  int failed = 0;  // failed + not found
  bool discoveryFailed = false;
  std::vector<std::string> lines;  // one human line per record, for --once

  int exitCode() const;
};

// Keeps the configured records pointing at the discovered address: discovery, the state
// cache, the on_change hook and the report; the provider calls, backoff and stops are the
// record-sync engine's (providers/record_sync.hpp). One thread.
class Updater {
 public:
  // Builds providers and opens the state directory. Returns nullptr with `errors` for a
  // provider setting its factory rejects.
  // `dryRun`: runCycle() sends nothing, writes no state and runs no hook; it reports what it
  // would send (and reads the record back where it can, to compare).
  static std::unique_ptr<Updater> create(const config::UpdaterConfig& config,
                                         const providers::ProviderRegistry& registry,
                                         std::vector<std::string>& errors, bool dryRun = false);

  ~Updater();
  Updater(const Updater&) = delete;
  Updater& operator=(const Updater&) = delete;

  // Discovers the address(es), publishes and syncs the [wireguard:IFACE] sections and
  // updates the records that need it. `force` pushes even
  // when the state says the record is current, and ignores backoff.
  CycleReport runCycle(bool force);
  // The earliest pending retry, if any record is backing off.
  std::optional<std::chrono::steady_clock::time_point> nextRetry() const;
  // The earliest read-back (drift repair) still ahead, if any record has one planned.
  std::optional<std::chrono::steady_clock::time_point> nextVerify() const;
  const config::UpdaterConfig& config() const { return config_; }
  // Daemon: starts the watch of every [wireguard:IFACE] section that has one.
  void startWatches();
  // Replaces the clock that plans read-backs and retries (tests).
  void setClock(std::function<std::chrono::steady_clock::time_point()> clock) {
    clock_ = std::move(clock);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct RecordRuntime {
    config::RecordConfig config;
    providers::Record record;
    providers::SyncRecord sync;
    std::optional<Clock::time_point> verifyAt;  // none: read back at the next cycle
    int repairs = 0;                            // drift repairs in a row
  };
  enum class Verified { kNotDue, kSame, kDrift, kUnknown };
  static const char* verifiedNote(Verified verified);
  // The address of each family (ipv6?) and, for a family none was found for, why.
  struct Addresses {
    std::map<bool, std::optional<IpAddress>> ip;
    std::map<bool, std::string> whyNone;
  };

  explicit Updater(config::UpdaterConfig config);
  Addresses discover(CycleReport& report);
  void syncRecord(RecordRuntime& r, const Addresses& addresses, bool force, CycleReport& report);
  // `drifted`: what the record held when a read-back found it wrong (the push repairs it).
  void apply(RecordRuntime& r, const providers::UpdateResult& result, const IpAddress& ip,
             CycleReport& report, const std::string* drifted = nullptr);
  void runHook(const RecordRuntime& r, const std::string& oldIp, const std::string& newIp);
  // updater/drift.cpp: whether a read-back is due, the read-back itself (the provider's API,
  // else the zone's authoritative servers), and the plan after a push.
  bool verifyDue(const RecordRuntime& r) const;
  Verified verify(RecordRuntime& r, const std::string& expected, std::string& found);
  void planVerifyAfterPush(RecordRuntime& r, bool repaired);
  // After a restart (or a --once run): the next read-back one interval after the last push
  // or read-back the state remembers, so that runs from cron do not read every time.
  void planVerifyFromState(RecordRuntime& r);
  void saveState(RecordRuntime& r);
  // A dry run's report of one record: what would be sent, compared with the state and with
  // what the record holds (read back where possible). `upToDate`: by the state alone.
  void dryRunRecord(RecordRuntime& r, const std::string& ipText, bool upToDate,
                    const std::string& label, CycleReport& report);

  config::UpdaterConfig config_;
  std::map<std::string, std::unique_ptr<providers::RecordSync>> accounts_;  // by section
  std::vector<RecordRuntime> records_;
  std::unique_ptr<Discovery> discovery_;
  std::unique_ptr<StateStore> store_;
  std::vector<std::unique_ptr<WireguardMesh>> meshes_;
  bool dryRun_ = false;
  std::function<Clock::time_point()> clock_ = [] { return Clock::now(); };
};

}  // namespace chipmunk::updater
