// SPDX-License-Identifier: MIT
// chipmunk-api's fixed sections, one row per setting: [Server], [Paths], [Log], [Limits],
// [Store], [Access], [Records], [DynDNS], [Hooks], [Push].
#include <unistd.h>

#include "common/strings.hpp"
#include "config/api_steps.hpp"

namespace chipmunk::config {
namespace api_steps {
namespace {

using C = ApiConfig;

void serverRows(SettingTable<C>& t) {
  t.setting("Server", "listen")
      .hostPort(&C::listenHost, &C::listenPort)
      .byDefault("127.0.0.1:8080")
      .help(
          "Address and port to listen on. [::]:PORT listens on IPv6 and IPv4 (dual stack); "
          "port 0 picks a free port (the bound address is logged).");
  t.setting("Server", "threads")
      .integer(&C::threads)
      .range(1, 64)
      .byDefault("2")
      .help("HTTP worker threads.");
  t.setting("Server", "max_watchers")
      .integer(&C::maxWatchers)
      .range(0, 100000)
      .byDefault("1024")
      .help(
          "GET /hosts?wait= requests (the watch) held at once; beyond it they get 429 with "
          "Retry-After. 0: no watch is held (429 at once).");
  t.setting("Server", "max_watchers_per_user")
      .integer(&C::maxWatchersPerUser)
      .range(1, 1000)
      .byDefault("4")
      .help("GET /hosts?wait= requests one user may have held at once; beyond it, 429.");
  t.setting("Server", "public_ip_endpoints")
      .flag(&C::publicIpEndpoints)
      .byDefault("no")
      .help(
          "Let clients without credentials use /get/ip and /get/ip.json (routers, inadyn's "
          "check-IP). /set always needs credentials.");
  t.setting("Server", "trusted_proxies")
      .cidrs(&C::trustedProxies)
      .help(
          "Proxies (CIDRs or addresses) whose forwarding headers are believed. Requests from "
          "any other peer are reported as the peer's own address.");
  t.setting("Server", "client_ip_header")
      .choice(&C::clientIpHeader, {{"auto", ClientIpHeader::kAuto},
                                   {"x-forwarded-for", ClientIpHeader::kXForwardedFor},
                                   {"x-real-ip", ClientIpHeader::kXRealIp},
                                   {"forwarded", ClientIpHeader::kForwarded}})
      .byDefault("auto")
      .help(
          "Header that names the client behind a trusted proxy; lists are read right to "
          "left, skipping trusted hops, all lines of a header as one list. auto: every one "
          "of X-Forwarded-For, Forwarded and X-Real-IP that is present must name the same "
          "client, else 400 (a proxy that sets only one passes the others on from the "
          "client). A header name: only that header.");
  t.setting("Server", "tls_certificate")
      .path(&C::tlsCertificate)
      .help(
          "PEM certificate (chain) for native TLS. With tls_key set, chipmunk-api speaks "
          "HTTPS itself (handshakes on the I/O threads, each within header_timeout); put "
          "nginx or Apache in front for anything exposed to the internet (no certificate "
          "reload, OpenSSL's default protocols and ciphers).");
  t.setting("Server", "tls_key").path(&C::tlsKey).help("PEM private key for native TLS.");
}

void pathAndLogRows(SettingTable<C>& t) {
  t.setting("Paths", "client_update_dir")
      .directory(&C::dataDir)
      .required()
      .help(
          "Directory of the per-user records (<user>.cm holds the IP and a newline; "
          "'updated' is touched on every change). Relative to the config file.");
  t.setting("Paths", "pid_file")
      .path(&C::pidFile)
      .help(
          "PID file, written at start-up (atomically) and removed on exit; chipmunk-api "
          "refuses to start while another live process holds it. logrotate signals the pid "
          "in it where there is no systemd. Empty: none. Relative to the config file.");
  t.setting("Log", "file")
      .path(&C::logFile)
      .help("Log file (reopened on SIGUSR1). Empty: standard error. Relative to the config file.");
  t.setting("Log", "level")
      .choice(&C::logLevel, logLevelWords())
      .byDefault("info")
      .help("Log level.");
}

void limitRows(SettingTable<C>& t) {
  t.setting("Limits", "max_request_size")
      .integer(&C::maxRequestSize)
      .range(1024, 1048576)
      .byDefault("8192")
      .help(
          "Largest request (request line, headers and body) in bytes; larger ones get 414, "
          "431 or 413 (the limit hit in the request line, the headers or the body).");
  t.setting("Limits", "header_timeout")
      .seconds(&C::headerTimeout)
      .range(1, 3600)
      .byDefault("10s")
      .help("Time a client has to send the request headers.");
  t.setting("Limits", "body_timeout")
      .seconds(&C::bodyTimeout)
      .range(1, 3600)
      .byDefault("30s")
      .help("Time a client has to send the body.");
  t.setting("Limits", "keepalive_timeout")
      .seconds(&C::keepaliveTimeout)
      .range(1, 86400)
      .byDefault("60s")
      .help("Idle connections, and those whose answers go unread, are closed after this long.");
  t.setting("Limits", "max_failed_logins")
      .integer(&C::maxFailedLogins)
      .range(0, 100000)
      .byDefault("10")
      .help(
          "Failed logins allowed per client address within failed_login_window before it "
          "gets 429; 0 turns the limit off.");
  t.setting("Limits", "failed_login_window")
      .seconds(&C::failedLoginWindow)
      .range(1, 86400)
      .byDefault("60s")
      .help("Window in which failed logins are counted.");
  t.setting("Limits", "failed_login_lockout")
      .seconds(&C::failedLoginLockout)
      .range(1, 86400)
      .byDefault("5m")
      .help("How long a client address that reached the limit gets 429.");
  t.setting("Store", "flush_interval")
      .seconds(&C::flushInterval)
      .range(1, 86400)
      .byDefault("60s")
      .help("How often 'last seen' times are written out (the IP itself is written at once).");
  t.setting("Store", "backend")
      .choice(&C::storeBackend,
              {{"file", StoreBackend::kFile}, {"postgresql", StoreBackend::kPostgresql}})
      .byDefault("file")
      .help(
          "Where records, users, hosts and tokens live: 'file' (the embedded store in "
          "client_update_dir, one process per directory) or 'postgresql' (a database that "
          "several chipmunk-api replicas share; see docs/SCALING.md).");
  t.setting("Store", "postgresql")
      .secret(&C::postgresqlConninfo)
      .help(
          "With backend = postgresql: the libpq connection string or URI "
          "(\"host=/run/postgresql dbname=chipmunk user=chipmunk\"). It may hold a "
          "password, so it is never logged.");
  t.setting("Store", "pool_size")
      .integer(&C::postgresqlPoolSize)
      .range(1, 256)
      .byDefault("16")
      .help(
          "With backend = postgresql: database connections this process keeps open for "
          "requests and its store's upkeep (the outbox dispatcher and the wake-ups have one "
          "each besides). Concurrent record writes share statements (up to 4 at once, at "
          "most this many), so 16 leaves room for reads and upkeep beside them.");
  t.setting("Store", "user_cache")
      .integer(&C::userCache)
      .range(100, 10000000)
      .byDefault("10000")
      .help(
          "With backend = postgresql: directory users (chipmunk-api user add) whose verified "
          "password check a replica keeps, least recently used first out; as many names, "
          "host lists and tokens besides. The directory is not loaded: a user not in the "
          "cache costs one indexed query (and the password check) on its next request. "
          "About 0.3 kB each (docs/SCALING.md).");
}

void recordRows(SettingTable<C>& t) {
  t.setting("Access", "read_all")
      .list(&C::readAll)
      .help(
          "Users (comma-separated; [Users] or the user directory) who may read every record "
          "(/hosts, the page); others read only the records they own.");
  t.setting("Records", "default_ttl")
      .seconds(&C::defaultTtl)
      .range(0, 365 * 86400)
      .byDefault("0")
      .help(
          "A record not refreshed (/set, /nic/update) for this long expires: its address is "
          "removed and on_expire runs. 0: records never expire.");
  t.setting("Records", "max_ttl")
      .seconds(&C::maxTtl)
      .range(60, 365 * 86400)
      .byDefault("30d")
      .help("Largest TTL a client may ask for with /set?ttl=...");
  t.setting("Records", "stale_after")
      .seconds(&C::staleAfter)
      .range(60, 365 * 86400)
      .byDefault("15m")
      .help("The address book marks records not seen for this long as stale.");
  t.setting("DynDNS", "max_hosts")
      .integer(&C::dyndnsMaxHosts)
      .range(1, 1000)
      .byDefault("20")
      .help("Most host names one /nic/update may name; more get 'numhost'.");
  t.setting("DynDNS", "abuse_nochg_limit")
      .integer(&C::abuseNochgLimit)
      .range(1, 100000)
      .byDefault("10")
      .help(
          "A host that gets this many 'nochg' answers within abuse_window is answered "
          "'abuse' for abuse_block.");
  t.setting("DynDNS", "abuse_window")
      .seconds(&C::abuseWindow)
      .range(1, 86400)
      .byDefault("1h")
      .help("Window for abuse_nochg_limit.");
  t.setting("DynDNS", "abuse_block")
      .seconds(&C::abuseBlock)
      .range(1, 7 * 86400)
      .byDefault("1h")
      .help("How long an abusive host is answered 'abuse'.");
}

void hookAndPushRows(SettingTable<C>& t) {
  t.setting("Hooks", "on_change")
      .text(&C::onChange)
      .help(
          "Shell command run (sh -c) when a record's address changes; environment: "
          "CHIPMUNK_EVENT, CHIPMUNK_USER, CHIPMUNK_HOST, CHIPMUNK_OLD_IP, CHIPMUNK_NEW_IP, "
          "CHIPMUNK_OLD_IPV6, CHIPMUNK_NEW_IPV6.");
  t.setting("Hooks", "on_expire")
      .text(&C::onExpire)
      .help("Shell command run when a record expires (same environment; NEW values empty).");
  t.setting("Hooks", "timeout")
      .seconds(&C::hookTimeout)
      .range(1, 3600)
      .byDefault("10s")
      .help("A hook still running after this long is killed.");
  t.setting("Push", "retry_min")
      .seconds(&C::pushRetryMin)
      .range(1, 86400)
      .byDefault("30s")
      .help(
          "Gateway mode: first wait after a failed push to a DNS provider; doubled on every "
          "failure, with jitter.");
  t.setting("Push", "retry_max")
      .seconds(&C::pushRetryMax)
      .range(1, 604800)
      .byDefault("1h")
      .help("Gateway mode: longest wait between retries.");
  t.setting("Push", "timeout")
      .seconds(&C::pushTimeout)
      .range(1, 600)
      .byDefault("30s")
      .help("Gateway mode: time limit of every exchange with a provider.");
  t.setting("Push", "verify_tls")
      .flag(&C::pushVerifyTls)
      .byDefault("yes")
      .help("Gateway mode: verify providers' certificates.");
  // Resolved like a path, listed as a string since the setting came in.
  t.setting("Push", "ca_file")
      .path(&C::pushCaFile)
      .help("Gateway mode: CA bundle (PEM); empty: the system's.")
      .listedAs(SettingType::kString);
  t.setting("Metrics", "access")
      .choice(&C::metricsAccess, {{"loopback", MetricsAccess::kLoopback},
                                  {"authenticated", MetricsAccess::kAuthenticated},
                                  {"open", MetricsAccess::kOpen},
                                  {"off", MetricsAccess::kOff}})
      .byDefault("loopback")
      .help(
          "Who may read /metrics (Prometheus text format). loopback: a client on loopback "
          "that sends no X-Forwarded-For, X-Real-IP or Forwarded header (not through a "
          "proxy), others with the credentials of one of [Metrics] users; authenticated: "
          "always those credentials; open: anyone; off: no /metrics (404).");
  t.setting("Metrics", "users")
      .list(&C::metricsUsers)
      .help(
          "Users (comma-separated; [Users] or the user directory) who may read /metrics "
          "with their credentials. The metrics name no record and no user.");
}

SettingTable<C> makeFixedSettings() {
  SettingTable<C> table;
  serverRows(table);
  pathAndLogRows(table);
  limitRows(table);
  recordRows(table);
  hookAndPushRows(table);
  return table;
}

}  // namespace

const SettingTable<ApiConfig>& fixedSettings() {
  static const SettingTable<ApiConfig> table = makeFixedSettings();
  return table;
}

void checkTls(const Settings& settings, const ApiConfig& config, std::vector<std::string>& errors) {
  const bool hasCert = !config.tlsCertificate.empty();
  const bool hasKey = !config.tlsKey.empty();
  if (hasCert != hasKey) {
    errors.push_back(settings.where("Server", hasCert ? "tls_certificate" : "tls_key") +
                     ": [Server] tls_certificate and tls_key go together");
    return;
  }
  for (const auto* f : {&config.tlsCertificate, &config.tlsKey}) {
    if (!f->empty() && ::access(f->c_str(), R_OK) != 0) {
      errors.push_back(
          settings.where("Server", f == &config.tlsKey ? "tls_key" : "tls_certificate") +
          ": cannot read " + *f);
    }
  }
}

void checkStore(const Settings& settings, ApiConfig& config, std::vector<std::string>& errors) {
  const bool hasConninfo = !trimAscii(config.postgresqlConninfo).empty();
  if (config.storeBackend == StoreBackend::kPostgresql && !hasConninfo) {
    errors.push_back(settings.where("Store", "backend") +
                     ": [Store] backend = postgresql needs [Store] postgresql = <conninfo> "
                     "(e.g. \"host=/run/postgresql dbname=chipmunk user=chipmunk\")");
  } else if (config.storeBackend == StoreBackend::kFile && settings.isSet("Store", "postgresql")) {
    config.warnings.push_back(settings.where("Store", "postgresql") +
                              ": [Store] postgresql is ignored with backend = file");
  }
}

}  // namespace api_steps

ApiConfig::ApiConfig() {
  api_steps::fixedSettings().applyDefaults(*this);
}

}  // namespace chipmunk::config
