// SPDX-License-Identifier: MIT
// chipmunk-updater's fixed sections, one row per setting: [Global], [ChipmunkAPIServer],
// [Daemon], [dDNS], [Discovery], [Hooks].
#include "config/setting_table.hpp"
#include "config/updater_steps.hpp"

namespace chipmunk::config {
namespace updater_steps {
namespace {

using C = UpdaterConfig;

SettingTable<C> makeGlobalSettings() {
  SettingTable<C> t;
  t.setting("Global", "update_dns")
      .flag(&C::updateDns)
      .byDefault("yes")
      .help(
          "Update DNS records (no: only discover the address, e.g. to report it with "
          "method = set).");
  t.setting("Global", "daemonize")
      .flag(&C::daemonize)
      .byDefault("no")
      .help(
          "Run as a daemon: fork into the background and write [Daemon] pidfile. The "
          "default (no) stays in the foreground, as systemd wants.");
  t.setting("Global", "verify_tls")
      .flag(&C::verifyTls)
      .byDefault("yes")
      .help("Verify TLS certificates (the original client did not).");
  t.setting("Global", "ca_file")
      .path(&C::caFile)
      .help("CA bundle (PEM) for TLS; empty: the system's.");
  t.setting("Global", "timeout")
      .seconds(&C::timeout)
      .range(1, 600)
      .byDefault("30s")
      .help("Time limit of every HTTP exchange (discovery and providers).");
  t.setting("Global", "allow_private")
      .flag(&C::allowPrivate)
      .byDefault("no")
      .help(
          "Accept private, loopback and documentation addresses from discovery (tests, "
          "LANs). Unspecified, broadcast, multicast, link-local and reserved addresses are "
          "refused all the same.");
  t.setting("Global", "force_refresh")
      .seconds(&C::forceRefresh)
      .range(0, 365 * 86400)
      .byDefault("25d")
      .help(
          "Push a record again after this long even when the address did not change, for "
          "providers that expire idle records; 0: never.");
  t.setting("Global", "verify_interval")
      .seconds(&C::verifyInterval)
      .range(0, 7 * 86400)
      .byDefault("10m")
      .help(
          "Drift repair: read each record back this often (through the provider's API where "
          "it has one, else from the zone's authoritative servers) and push again when it "
          "holds another address; 0: never.");
  t.setting("Global", "propagation_delay")
      .seconds(&C::propagationDelay)
      .range(0, 86400)
      .byDefault("5m")
      .help(
          "No read-back sooner than this after a push (the provider's propagation time); "
          "doubled after every repair in a row, up to a day.");
  t.setting("Global", "state_dir")
      .path(&C::stateDir)
      .byDefault("/var/lib/chipmunk-updater")
      .help(
          "Directory of the per-record state (last address pushed, when, result); created "
          "if missing.");
  t.setting("Global", "status_file")
      .path(&C::statusFile)
      .help(
          "Health for monitors: after every cycle, the --status --json report (per record: "
          "address, last success, last error, stopped reason, next attempt) is written here, "
          "atomically, mode 0644; empty: none. docs/OPERATIONS.md.");
  t.setting("Global", "metrics_file")
      .path(&C::metricsFile)
      .help(
          "Health for monitors: after every cycle, the metrics in the Prometheus text format "
          "are written here, atomically, mode 0644, for node_exporter's textfile collector "
          "(the name must end in .prom); empty: none. docs/OPERATIONS.md lists the metrics.");
  t.setting("Global", "log_level")
      .choice(&C::logLevel, logLevelWords())
      .byDefault("info")
      .help("Log level.");
  return t;
}

SettingTable<SourceConfig> makeChipmunkServerSettings() {
  using S = SourceConfig;
  SettingTable<S> t;
  t.setting("ChipmunkAPIServer", "endpoint")
      .text(&S::url)
      .help("Base URL of chipmunk-api (https://ip.example.net); empty: not a source.");
  t.setting("ChipmunkAPIServer", "username").text(&S::username).help("User name on chipmunk-api.");
  t.setting("ChipmunkAPIServer", "password").secret(&S::password).help("Password on chipmunk-api.");
  t.setting("ChipmunkAPIServer", "method")
      .choice(&S::chipmunkSet, {{"get", false}, {"set", true}})
      .byDefault("get")
      .help(
          "get: read /get/ip.json; set: call /set so that the server records the address "
          "too.");
  return t;
}

SettingTable<C> makeDaemonSettings() {
  SettingTable<C> t;
  t.setting("Daemon", "interval")
      .seconds(&C::interval)
      .range(1, 7 * 86400)
      .byDefault("300")
      .help("Seconds between checks of the address.");
  t.setting("Daemon", "pidfile")
      .path(&C::pidFile)
      .help("PID file, written while the daemon runs (not with --once) and removed on exit.");
  t.setting("Daemon", "logfile")
      .path(&C::logFile)
      .help("Log file (reopened on SIGUSR1); empty: standard error.");
  t.setting("Daemon", "retry_min")
      .seconds(&C::retryMin)
      .range(1, 86400)
      .byDefault("60s")
      .help(
          "First wait after a failed update, or after a failed discovery; doubled on every "
          "failure (updates with jitter).");
  t.setting("Daemon", "retry_max")
      .seconds(&C::retryMax)
      .range(1, 7 * 86400)
      .byDefault("1h")
      .help("Longest wait between retries.");
  t.setting("dDNS", "provider")
      .text(&C::defaultProvider)
      .help(
          "Provider section used by the original one-record form ([linode] host, domain) "
          "and by [record:NAME] sections that name none.");
  t.setting("Discovery", "order")
      .list(&C::discoveryOrder)
      .help(
          "Source names to try, in order (chipmunk for [ChipmunkAPIServer], NAME for "
          "[source:NAME], or a built-in's name: docs/UPDATER.md); empty: every source in file "
          "order, or every built-in when the file has no source.");
  t.setting("Discovery", "consensus")
      .integer(&C::consensus)
      .range(0, 8)
      .byDefault("0")
      .help(
          "How many independent operators must report the same address before it is "
          "published; sources are asked in parallel. 0: 2 when the built-ins are used "
          "(the file names no source), else 1 (the first source that answers).");
  return t;
}

SettingTable<C> makeHooksSettings() {
  SettingTable<C> t;
  t.setting("Hooks", "on_change")
      .text(&C::onChange)
      .help(
          "Shell command run (sh -c) after a record got a new address; environment: "
          "CHIPMUNK_RECORD, CHIPMUNK_HOST, CHIPMUNK_TYPE, CHIPMUNK_PROVIDER, "
          "CHIPMUNK_OLD_IP, CHIPMUNK_NEW_IP, CHIPMUNK_EVENT (change), CHIPMUNK_ERROR "
          "(empty).");
  t.setting("Hooks", "on_failure")
      .text(&C::onFailure)
      .help(
          "Shell command run once when a record's updates failed failure_threshold times in "
          "a row (retries included); the on_change variables with CHIPMUNK_EVENT=failure and "
          "CHIPMUNK_ERROR (the last error).");
  t.setting("Hooks", "on_stop")
      .text(&C::onStop)
      .help(
          "Shell command run once when a record is stopped until a reload (credentials "
          "refused, host unknown, abuse); CHIPMUNK_EVENT=stop.");
  t.setting("Hooks", "on_recover")
      .text(&C::onRecover)
      .help(
          "Shell command run on the first success after an on_failure or on_stop alert "
          "(also after a restart); CHIPMUNK_EVENT=recover.");
  t.setting("Hooks", "failure_threshold")
      .integer(&C::failureThreshold)
      .range(1, 1000)
      .byDefault("3")
      .help(
          "Failed attempts in a row (after the retry policy's backoff) before on_failure "
          "and the failure notification; once per failure streak.");
  t.setting("Hooks", "timeout")
      .seconds(&C::hookTimeout)
      .range(1, 3600)
      .byDefault("10s")
      .help("A hook still running after this is killed.");
  return t;
}

// The rows in the order --help-config lists them.
struct FixedSettings {
  SettingTable<C> global = makeGlobalSettings();
  SettingTable<SourceConfig> chipmunkServer = makeChipmunkServerSettings();
  SettingTable<C> daemon = makeDaemonSettings();
  SettingTable<C> hooks = makeHooksSettings();
};

const FixedSettings& fixedSettings() {
  static const FixedSettings settings;
  return settings;
}

}  // namespace

void declareFixedSettings(Schema& schema) {
  fixedSettings().global.declare(schema);
  fixedSettings().chipmunkServer.declare(schema);
  fixedSettings().daemon.declare(schema);
  fixedSettings().hooks.declare(schema);
}

void applyFixedSettings(const Settings& settings, UpdaterConfig& config) {
  fixedSettings().global.apply(settings, config);
  fixedSettings().daemon.apply(settings, config);
  fixedSettings().hooks.apply(settings, config);
}

bool chipmunkServerSource(const Settings& settings, const std::string& section,
                          SourceConfig& source) {
  fixedSettings().chipmunkServer.apply(settings, source, section);
  if (source.url.empty()) {
    return false;
  }
  source.name = "chipmunk";
  source.kind = SourceKind::kChipmunk;
  return true;
}

void checkFixedSettings(const Settings& settings, UpdaterConfig& config,
                        std::vector<std::string>& errors) {
  if (config.retryMax < config.retryMin) {
    errors.push_back(settings.where("Daemon", "retry_max") +
                     ": [Daemon] retry_max is shorter than retry_min");
  }
  if (config.daemonize && config.logFile.empty()) {
    config.warnings.push_back(settings.where("Global", "daemonize") +
                              ": daemonize = yes without [Daemon] logfile: the log is discarded");
  }
  if (!config.metricsFile.empty() &&
      (config.metricsFile.size() < 5 ||
       config.metricsFile.compare(config.metricsFile.size() - 5, 5, ".prom") != 0)) {
    config.warnings.push_back(settings.where("Global", "metrics_file") +
                              ": node_exporter's textfile collector reads only *.prom files");
  }
  if (!config.verifyTls) {
    config.warnings.push_back(settings.where("Global", "verify_tls") +
                              ": TLS certificates are not verified");
  }
}

}  // namespace updater_steps

UpdaterConfig::UpdaterConfig() {
  updater_steps::fixedSettings().global.applyDefaults(*this);
  updater_steps::fixedSettings().daemon.applyDefaults(*this);
  updater_steps::fixedSettings().hooks.applyDefaults(*this);
}

}  // namespace chipmunk::config
