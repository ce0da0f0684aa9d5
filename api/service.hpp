// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/authenticator.hpp"
#include "api/store.hpp"
#include "common/ip.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

class HookRunner;
class ApiMetrics;
class WatchHub;
class DirectoryCache;
class AuthMemo;

enum class Method { kGet, kHead, kPost, kOther };

// One request as the routes see it: plain data, copied out of the HTTP layer so that it
// can be finished on another thread.
struct RequestInfo {
  Method method = Method::kGet;
  std::string methodName;
  std::string path;  // without the query string
  // Query parameters, percent-decoded, in request order.
  std::vector<std::pair<std::string, std::string>> query;
  bool badQuery = false;  // a malformed percent escape
  std::string body;
  IpAddress peer;
  std::optional<std::string> authorization;
  std::optional<std::string> xForwardedFor;
  std::optional<std::string> xRealIp;
  std::optional<std::string> forwarded;
  std::optional<std::string> contentType;
  std::optional<std::string> userAgent;
  // What a browser tells of where a request comes from (see crossSiteRefused()).
  std::optional<std::string> host;
  std::optional<std::string> origin;
  std::optional<std::string> secFetchSite;
  std::optional<std::string> secFetchMode;
  std::optional<std::string> secFetchDest;
  bool upgradeInsecureRequests = false;
};

struct Response {
  int code = 200;
  // Always a string literal (one of a few fixed types): no allocation per answer, as a
  // std::string of "application/json" (16 characters, past the short-string buffer) had.
  std::string_view contentType;
  std::string body;
  std::string extraHeaders;  // complete "Name: value\r\n" lines
  // Set when the answer needs a slow password check first (see ApiService::handle).
  bool needsSlowAuth = false;
  // With needsSlowAuth: who asks, for fair queuing of the checks (LoginLimiter::key: an
  // IPv4 address or an IPv6 /64).
  std::string slowAuthSource;
  bool slowAuthSuspect = false;  // the source has failed logins in the current window
  // Set when the answer writes a record (/set, /nic/update, /v3/update): the caller runs
  // handle() again with allowSlow = true on a writer thread, so that no I/O thread waits
  // for an fsync. slowAuthSource says who asks, as above.
  bool needsWriter = false;
  // The route table's index of the route that answered (api/metrics.hpp kRoute*: none).
  int route = -1;
  // Set (> 0) when GET /hosts?wait= found nothing new for the caller: the caller holds the
  // request up to this many seconds (WatchHub) and asks watchVersion() whether the
  // version watchSince still holds.
  int watchSeconds = 0;
  std::string watchSince;
  // For the request log.
  std::string client;
  std::string user;
};

// Receives record changes and expiries (hooks, DNS push). Must not block.
class RecordListener {
 public:
  virtual ~RecordListener() = default;
  virtual void recordChanged(const std::string& owner, const HostRecord& before,
                             const HostRecord& after) = 0;
  virtual void recordExpired(const std::string& owner, const HostRecord& record) = 0;
};

// The routes, independent of the HTTP library: /get/ip, /get/ip.json, /set, /hosts,
// /hosts/<name>, / (the address book page), /nic/update and /v3/update (dyndns2),
// /healthz. Thread-safe; reload() swaps the reloadable settings atomically.
class NochgCounters;

// The routes, independent of the HTTP library: /get/ip, /get/ip.json, /set, /hosts,
// /hosts/<name>, / (the address book page), /nic/update and /v3/update (dyndns2),
// /healthz; the table is in api/routes.cpp. Thread-safe; reload() swaps the reloadable
// settings atomically.
class ApiService {
 public:
  ApiService(const config::ApiConfig& config, std::shared_ptr<Store> store);
  ~ApiService();
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  // Answers a request. With allowSlow = false it never runs a KDF nor writes a record: when
  // one is needed it returns a Response with needsSlowAuth (or needsWriter) set, and the
  // caller runs handle() again with allowSlow = true off the I/O thread. `memo`: the
  // connection's last verified Authorization value (api/auth_memo.hpp), given on the
  // connection's I/O thread only; null elsewhere.
  Response handle(const RequestInfo& request, bool allowSlow, AuthMemo* memo = nullptr);

  // Users, hosts, trusted proxies, public endpoints, limits and hooks take effect for new
  // requests; so do the update tokens (none when null). Cached password checks of users
  // whose stored hash did not change are kept. `directory`: the users beyond `config`'s,
  // looked up (the PostgreSQL directory; see Authenticator).
  void reload(const config::ApiConfig& config, std::shared_ptr<const TokenTable> tokens = nullptr,
              std::shared_ptr<DirectoryCache> directory = nullptr);
  void setListener(std::shared_ptr<RecordListener> listener);

  // Expires records whose TTL ran out and tells the listener; called about once a second.
  void expireRecords();

  // The watch of GET /hosts: what `user` may see now, as a version (WatchHub), and the
  // held requests.
  std::string watchVersion(const std::string& user);
  WatchHub& watch() { return *watch_; }

  Store& store() { return *store_; }
  ApiMetrics& metrics() { return *metrics_; }
  // Owners of records as requests see them now (the INI's and the directory's; empty:
  // nobody), for the outbox's hooks (App: the dispatcher stops before the service goes).
  std::function<std::string(const std::string&)> ownerLookup() const {
    return [this](const std::string& name) { return runtime()->config.ownerOf(name); };
  }

 private:
  struct Runtime {
    config::ApiConfig config;
    std::shared_ptr<Authenticator> auth;
    std::shared_ptr<LoginLimiter> limiter;
  };

  std::shared_ptr<const Runtime> runtime() const { return std::atomic_load(&runtime_); }
  // The runtime and the listener on the request path: the calling thread's copies while
  // `generation` (credentialsGeneration, bumped after every reload and setListener) is the
  // one they were taken under, so that a request costs no atomic_load (a mutex in
  // libstdc++). The copies are weak: a thread keeps nothing alive.
  struct Current {
    std::shared_ptr<const Runtime> runtime;
    std::shared_ptr<RecordListener> listener;
  };
  Current currentAt(uint64_t generation) const;
  static std::shared_ptr<Runtime> makeRuntime(const config::ApiConfig& config,
                                              const Authenticator* previous,
                                              std::shared_ptr<const TokenTable> tokens,
                                              std::shared_ptr<DirectoryCache> directory);
  Response handleLoaded(const RequestInfo& request, bool allowSlow, AuthMemo* memo);

  std::shared_ptr<const Runtime> runtime_;
  std::shared_ptr<WatchHub> watch_;
  std::shared_ptr<Store> store_;  // the given store, its changes told to watch_
  std::shared_ptr<RecordListener> listener_;
  std::unique_ptr<NochgCounters> nochg_;  // /nic/update's abuse counters
  std::unique_ptr<ApiMetrics> metrics_;   // /metrics
};

}  // namespace chipmunk::api
