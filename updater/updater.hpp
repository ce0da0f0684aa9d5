// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
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
  static std::unique_ptr<Updater> create(const config::UpdaterConfig& config,
                                         const providers::ProviderRegistry& registry,
                                         std::vector<std::string>& errors);

  // Discovers the address(es) and updates the records that need it. `force` pushes even
  // when the state says the record is current, and ignores backoff.
  CycleReport runCycle(bool force);
  // The earliest pending retry, if any record is backing off.
  std::optional<std::chrono::steady_clock::time_point> nextRetry() const;
  const config::UpdaterConfig& config() const { return config_; }

 private:
  struct RecordRuntime {
    config::RecordConfig config;
    providers::Record record;
    providers::SyncRecord sync;
  };
  // The address of each family (ipv6?) and, for a family none was found for, why.
  struct Addresses {
    std::map<bool, std::optional<IpAddress>> ip;
    std::map<bool, std::string> whyNone;
  };

  explicit Updater(config::UpdaterConfig config);
  Addresses discover(CycleReport& report);
  void syncRecord(RecordRuntime& r, const Addresses& addresses, bool force, CycleReport& report);
  void apply(RecordRuntime& r, const providers::UpdateResult& result, const IpAddress& ip,
             CycleReport& report);
  void runHook(const RecordRuntime& r, const std::string& oldIp, const std::string& newIp);

  config::UpdaterConfig config_;
  std::map<std::string, std::unique_ptr<providers::RecordSync>> accounts_;  // by section
  std::vector<RecordRuntime> records_;
  std::unique_ptr<Discovery> discovery_;
  std::unique_ptr<StateStore> store_;
};

}  // namespace chipmunk::updater
