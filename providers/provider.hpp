// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/ip.hpp"
#include "config/provider_sections.hpp"
#include "config/settings.hpp"
#include "providers/http/client.hpp"

namespace chipmunk::providers {

enum class UpdateStatus { Updated, Unchanged, RetryLater, AuthFailed, NotFound, Failed };

const char* toString(UpdateStatus status);

struct UpdateResult {
  UpdateStatus status = UpdateStatus::Failed;
  std::string detail;  // for logs; never holds a secret
  std::optional<std::chrono::seconds> retryAfter;
  // Retrying cannot help (dyndns2 nohost, notfqdn, abuse...): the updater stops this record
  // until the configuration is reloaded, as it does for AuthFailed.
  bool stop = false;

  bool ok() const { return status == UpdateStatus::Updated || status == UpdateStatus::Unchanged; }
};

// At most this many of a reply's error messages go into a detail (each escaped and cut at
// 200 bytes, utf8.hpp escapeText): a reply of thousands of messages is not one huge line.
inline constexpr size_t kMaxReasons = 5;

// An outcome and its detail; `stop` for failures that retrying cannot change.
UpdateResult outcome(UpdateStatus status, std::string detail, bool stop = false);

enum class RecordType { A, AAAA };

inline const char* toString(RecordType type) {
  return type == RecordType::A ? "A" : "AAAA";
}

// One DNS record kept pointing at this machine.
struct Record {
  std::string name;    // config label, unique in the file ("home", "home/AAAA")
  std::string host;    // name relative to the domain ("home"; empty for the apex)
  std::string domain;  // the zone ("example.com")
  RecordType type = RecordType::A;
  // The provider's record-level settings its [record:NAME] section sets
  // (ProviderInfo::recordSettings; lower-case key -> value); a key left out is not here.
  std::map<std::string, std::string> settings{};

  std::string fqdn() const { return host.empty() ? domain : host + "." + domain; }
};

// What a provider is built from: its account section's settings, the records it serves and
// the HTTP options shared by every provider.
struct ProviderContext {
  std::string section;                          // "linode" or "linode:work"
  std::map<std::string, std::string> settings;  // lower-case key -> value (defaults filled)
  std::vector<Record> records;
  HttpOptions http;

  const std::string& get(const std::string& key) const;
  bool getBool(const std::string& key) const;
  // Record-level setting `key` of `record` (its [record:NAME] section) when set, else the
  // account's setting `key` (get()).
  const std::string& get(const Record& record, const std::string& key) const;
};

// What a record holds at the provider right now, read back for drift repair (the updater's
// verify_interval): kUnsupported when the provider has no way to read it (the updater then
// asks the zone's authoritative servers), kFailed when the read did not work (`detail` says
// why; nothing is pushed on a failed read).
struct CurrentRecord {
  enum class Status { kUnsupported, kFound, kMissing, kFailed };
  Status status = Status::kUnsupported;
  std::vector<std::string> addresses;  // kFound: every address of the name and type
  std::string detail;                  // for logs; never holds a secret
};

// The CurrentRecord of a lookup that ended with `found`: kFound holding `address` when it
// is ok, kMissing when NotFound, else kFailed; its detail either way.
CurrentRecord currentFrom(const UpdateResult& found, const std::string& address);

// Subclass this to add a provider (see docs/ADDING_A_PROVIDER.md). Calls come from one
// thread. Expected failures are returned as UpdateResult, never thrown; an exception from a
// provider is caught by the caller and counted as Failed.
class DnsProvider {
 public:
  virtual ~DnsProvider() = default;
  // Looks up what update() needs (zone and record ids) once and caches it. Called before
  // the first update and again after a failed prepare.
  virtual UpdateResult prepare() = 0;
  // Points `record` at `ip`.
  virtual UpdateResult update(const Record& record, const IpAddress& ip) = 0;
  // Reads what `record` holds now, bypassing any cache of the provider's own (one request
  // where the API allows it). Called after prepare() succeeded. The default cannot read.
  virtual CurrentRecord current(const Record& /*record*/) { return {}; }
};

// Maps an HTTP exchange that did not succeed to an outcome: transport errors and timeouts,
// 5xx and 429 -> RetryLater (with Retry-After), 401/403 -> AuthFailed, 404 -> NotFound,
// anything else -> Failed. `what` prefixes the detail.
UpdateResult classifyHttpFailure(const HttpResponse& response, const std::string& what);

class ProviderRegistry;

using ProviderFactory = std::function<std::unique_ptr<DnsProvider>(const ProviderContext&)>;

// A provider as the registry knows it. `settings` are the keys of its account section
// (section left empty); the registry adds the keys every provider section accepts.
struct ProviderInfo {
  std::string name;
  std::string description;    // the service, as --list-providers and the docs' tables show it
  std::string documentation;  // URL of the provider's API documentation
  bool ipv4 = true;           // keeps A records
  bool ipv6 = true;           // keeps AAAA records
  // A named preset of another provider ("dyndns2"): its tests live in
  // tests/providers/<preset>_presets_test.cpp rather than in a file of its own.
  std::string presetOf;
  // Speaks an HTTP API at its `endpoint` setting for records of any domain, so the provider
  // fuzz target (tests/fuzz/json_providers_fuzz.cpp) feeds it hostile replies. providerOf
  // (providers/json_api.hpp) sets it; a provider that does not fit clears it (dyndns2, url).
  bool httpApi = false;
  // Numeric settings (kInteger, kSeconds) declared with min = max = 0 get [0, INT_MAX] when
  // registered, so that a TTL declared without a range still accepts positive values.
  std::vector<config::SettingSpec> settings;
  // Settings a [record:NAME] section served by this provider may set for that record alone
  // (Cloudflare's proxied and ttl), declared like `settings` but without a default: a record
  // that leaves one out gets the account's value (ProviderContext::get(record, key)).
  std::vector<config::SettingSpec> recordSettings;
  ProviderFactory create;  // throws std::invalid_argument for a bad setting
};

// A named preset of a generic provider (dyndns2, url): a service that speaks its protocol,
// with its server and quirks filled in, listed, documented and tested like any provider.
struct PresetSetting {
  std::string key;           // a setting of the base provider the user still sets
  std::string defaultValue;  // the service's; empty: the base's (required stays required)
  std::string help;          // empty: the base's
  bool required = false;     // the user must set it (also when the base has it optional)
};
struct PresetSpec {
  std::string name;
  std::string description;
  std::string documentation;
  bool ipv4 = true;
  bool ipv6 = true;
  std::vector<PresetSetting> settings;       // what the user sees; every other key is hidden
  std::map<std::string, std::string> fixed;  // hidden keys' values (else the base's default)
};
// Throws std::logic_error when `spec` names a key `base` does not declare.
ProviderInfo preset(const ProviderInfo& base, const PresetSpec& spec);

// Builds `info`'s provider from `context` as the config loader would hand it over: settings
// left out take their declared default, and a required one that is missing or empty throws
// std::invalid_argument ("[section] key is required"). Providers need not repeat either check.
std::unique_ptr<DnsProvider> makeProvider(const ProviderInfo& info, ProviderContext context);

// The providers as a Markdown table (provider, service, A, AAAA, API documentation): the one
// table that README.md, docs/PROVIDERS.md and docs/UPDATER.md include between the markers
// kTableBegin and kTableEnd (scripts/update-updater-doc.sh writes it there;
// providers_doc_test.cpp fails when it drifts).
std::string markdownTable(const ProviderRegistry& registry);
// The same as aligned plain text, for chipmunk-updater --list-providers.
std::string textTable(const ProviderRegistry& registry);
inline constexpr const char* kTableBegin =
    "<!-- generated by chipmunk-updater --list-providers=markdown; "
    "run scripts/update-updater-doc.sh -->";
inline constexpr const char* kTableEnd = "<!-- end of generated provider table -->";

class ProviderRegistry {
 public:
  ProviderRegistry() = default;
  // Throws std::logic_error for a duplicate name.
  void add(ProviderInfo info);
  const ProviderInfo* find(const std::string& name) const;
  const std::vector<ProviderInfo>& all() const { return providers_; }

  // The providers compiled in (registry.cpp), built once.
  static const ProviderRegistry& builtin();

 private:
  std::vector<ProviderInfo> providers_;
};

// The HTTP options of every provider exchange: `timeout` for the whole exchange, at most
// 10 s of it to connect, TLS verified unless `verifyTls` is false, `caFile` (empty: the
// system store).
HttpOptions httpOptions(std::chrono::seconds timeout, bool verifyTls, const std::string& caFile);

// "linode:work home.example.com AAAA": which record at which account, the key under which
// what was pushed last is remembered (state of another record is ignored).
std::string recordKey(const std::string& account, const Record& record);

// Builds, with `registry`, one provider per account section that serves at least one of
// `records` (account section, record); unused accounts are neither built nor contacted.
// A provider that rejects its settings adds "where: message" to `errors`.
std::map<std::string, std::unique_ptr<DnsProvider>> buildProviders(
    const ProviderRegistry& registry, const std::vector<config::AccountConfig>& accounts,
    const std::vector<std::pair<std::string, Record>>& records, const HttpOptions& http,
    std::vector<std::string>& errors);

// The settings declarations of every provider in `registry` (their own keys and the common
// ones), for config validation by chipmunk-updater and chipmunk-api (gateway mode).
std::vector<config::ProviderDecl> declarations(const ProviderRegistry& registry);

// Delay before the next attempt after `failures` consecutive failures: retryMin doubled per
// failure, capped at retryMax, then drawn uniformly from [half, all] of that (jitter).
std::chrono::seconds backoffDelay(int failures, std::chrono::seconds retryMin,
                                  std::chrono::seconds retryMax, std::mt19937& rng);

// The one rule for every retry delay, in both programs (updater and gateway push): the later
// of our backoff and the server's Retry-After, if it sent one, but never longer than retryMax
// and never shorter than 1 s. A server cannot park a record beyond retry_max (Retry-After:
// 999999999, a date in year 9999) nor make us hammer it (Retry-After: 0, a date in the past).
std::chrono::seconds retryDelay(std::optional<std::chrono::seconds> retryAfter,
                                std::chrono::seconds backoff, std::chrono::seconds retryMax);

// Keys every provider account section accepts, for the legacy one-record form
// ([linode] host, domain): declared here once.
std::vector<config::SettingSpec> commonProviderSettings();

}  // namespace chipmunk::providers
