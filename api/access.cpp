// SPDX-License-Identifier: MIT
#include "api/access.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "api/basic_auth.hpp"
#include "api/metrics.hpp"
#include "common/strings.hpp"
#include "providers/dyndns2_codes.hpp"

namespace chipmunk::api {
namespace {

// An Origin header ("https://host[:port]", or "null") names the server itself when its
// host and port are those of the Host header. The scheme is not compared: behind a
// TLS-terminating proxy the browser says https and the server hears http.
bool originIsHost(const std::string& origin, const std::optional<std::string>& host) {
  if (!host || host->empty()) {
    return false;
  }
  const std::string o = lowercase(origin);
  std::string defaultPort;
  std::string authority;
  if (o.rfind("http://", 0) == 0) {
    authority = o.substr(7);
    defaultPort = ":80";
  } else if (o.rfind("https://", 0) == 0) {
    authority = o.substr(8);
    defaultPort = ":443";
  } else {
    return false;  // "null" (an opaque origin: a sandbox, a data: URL, a redirect) and others
  }
  auto withoutDefaultPort = [&](std::string a) {
    if (a.size() > defaultPort.size() &&
        a.compare(a.size() - defaultPort.size(), defaultPort.size(), defaultPort) == 0) {
      a.resize(a.size() - defaultPort.size());
    }
    return a;
  };
  authority = withoutDefaultPort(authority);
  return !authority.empty() && authority.find('/') == std::string::npos &&
         authority == withoutDefaultPort(lowercase(*host));
}

void countAuthFailure(const RouteCall& call) {
  if (call.metrics != nullptr) {
    call.metrics->countAuthFailure();
  }
}

Response unauthorized(Access access) {
  Response r = plain(401, access == Access::kDyndns2 ? dyndns2::line(dyndns2::kBadauth)
                                                     : std::string("Access denied"));
  r.extraHeaders = "WWW-Authenticate: Basic realm=\"chipmunk\"\r\n";
  return r;
}

// The answer to an address locked out for `wait` seconds.
Response lockedOut(Access access, long long wait) {
  if (access == Access::kDyndns2) {
    return plain(200, dyndns2::line(dyndns2::kAbuse));  // dyndns2 clients must never see a 429
  }
  Response r = plain(429, "Too Many Requests");
  r.extraHeaders = "Retry-After: " + std::to_string(wait) + "\r\n";
  return r;
}

}  // namespace

bool crossSiteRefused(const RequestInfo& request, bool changesState) {
  // Fetch Metadata (https://www.w3.org/TR/fetch-metadata/): a browser that sends it says
  // where the request comes from. "none" is the user himself (the address bar, a
  // bookmark). "same-site" is another origin of the same registrable domain (a sibling
  // subdomain, or http:// of this host): it is not this server, so it is refused too.
  if (request.secFetchSite) {
    const std::string& site = *request.secFetchSite;
    if (site == "same-origin" || site == "none") {
      return false;
    }
    if (changesState) {
      return true;
    }
    // Reading: another site may link to the page (a top-level navigation), but not frame
    // it or load it or the records as a resource.
    const bool topLevel = isGetLike(request.method) && request.secFetchMode &&
                          *request.secFetchMode == "navigate" &&
                          (!request.secFetchDest || *request.secFetchDest == "document");
    return !topLevel;
  }
  if (!changesState) {
    return false;  // a read that does not come from a page of another site cannot be told
  }
  // Browsers without Fetch Metadata, and requests to URLs that are not potentially
  // trustworthy (plain http:// to a name other than localhost), for which browsers send
  // none: an Origin (sent with every POST) must be this server...
  if (request.origin) {
    return !originIsHost(*request.origin, request.host);
  }
  // ... and a navigation (Upgrade-Insecure-Requests) whose origin the browser did not
  // tell can come from anywhere: a link on another site.
  return request.upgradeInsecureRequests;
}

bool metricsOpen(const RequestInfo& request, const config::ApiConfig& config) {
  switch (config.metricsAccess) {
    case config::MetricsAccess::kOpen:
      return true;
    case config::MetricsAccess::kLoopback:
      return request.peer.isLoopback() && !request.xForwardedFor && !request.xRealIp &&
             !request.forwarded;
    default:
      return false;
  }
}

bool mayReadMetrics(const config::ApiConfig& config, const std::string& user) {
  return std::find(config.metricsUsers.begin(), config.metricsUsers.end(), user) !=
         config.metricsUsers.end();
}

bool needsLogin(Access access, const config::ApiConfig& config) {
  return access != Access::kAnyone && !(access == Access::kPublicIp && config.publicIpEndpoints);
}

std::optional<Response> logIn(Authenticator& auth, LoginLimiter& limiter, RouteCall& call,
                              Access access, bool allowSlow, AuthMemo* memo, uint64_t generation) {
  // The clock only when needed: a lockout held, or a login the memo does not settle.
  const bool maybeBlocked = limiter.mayBlock();
  auto now =
      maybeBlocked ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  if (const long long wait = maybeBlocked ? limiter.blockedFor(call.client, now) : 0; wait > 0) {
    if (call.metrics != nullptr) {
      call.metrics->countLockout();
    }
    return lockedOut(access, wait);
  }
  const auto& authorization = call.request.authorization;
  const bool writes = access == Access::kWriter || access == Access::kDyndns2;
  if (memo != nullptr && authorization) {
    if (const std::string* user = memo->find(*authorization, generation, writes)) {
      call.user = *user;  // the same bytes this connection logged in with, nothing changed
      return std::nullopt;
    }
  }
  if (!maybeBlocked) {
    now = std::chrono::steady_clock::now();
  }
  if (memo != nullptr) {
    memo->forget();  // another value: whatever it turns out to be (a failure, a slow check)
  }
  const auto creds = authorization ? parseBasicAuthorization(*authorization) : std::nullopt;
  if (!creds) {
    if (authorization) {
      limiter.recordFailure(call.client, now);
      countAuthFailure(call);
    }
    return unauthorized(access);
  }
  if (writes) {
    if (!allowSlow && auth.tokens().needsLookup(creds->password)) {
      // A token of the PostgreSQL directory not cached yet: the query runs where the write
      // will, on a writer thread, not on this I/O thread.
      Response r;
      r.needsWriter = true;
      r.slowAuthSource = LoginLimiter::key(call.client);
      return r;
    }
    // An update token: one SHA-256, never the slow pool. A token that does not match falls
    // through to the password check, so it gets the answer (and costs the work) of a wrong
    // password; on any other route a token is just a wrong password.
    if (auto grant = auth.tokens().verify(creds->user, creds->password)) {
      call.user = grant->user;
      call.scope = std::move(grant->names);
      call.viaToken = true;
      return std::nullopt;
    }
  }
  std::optional<bool> ok = auth.verifyFast(creds->user, creds->password);
  if (!ok) {
    if (!allowSlow) {
      Response r;
      r.needsSlowAuth = true;
      r.slowAuthSource = LoginLimiter::key(call.client);
      r.slowAuthSuspect = limiter.failures(call.client, now) > 0;
      return r;
    }
    ok = auth.verifySlow(creds->user, creds->password);
  }
  call.user = creds->user;
  if (!*ok) {
    // A name that is not a configured user may be a password typed into the user field:
    // the request log must not record it.
    if (!auth.knows(creds->user)) {
      call.user = "(unknown)";
    }
    limiter.recordFailure(call.client, now);
    countAuthFailure(call);
    return unauthorized(access);
  }
  if (memo != nullptr) {
    memo->remember(*authorization, call.user, generation, writes);
  }
  return std::nullopt;
}

}  // namespace chipmunk::api
