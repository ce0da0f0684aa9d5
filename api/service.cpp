// SPDX-License-Identifier: MIT
#include "api/service.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "api/basic_auth.hpp"
#include "api/client_ip.hpp"
#include "api/http_framing.hpp"
#include "common/base64.hpp"
#include "common/strings.hpp"
#include "common/utf8.hpp"
#include "config/settings.hpp"
#include "providers/dyndns2_codes.hpp"

namespace chipmunk::api {
namespace {

constexpr const char* kTextPlain = "text/plain; charset=utf-8";
constexpr const char* kJson = "application/json";
constexpr size_t kMaxParams = 16;
constexpr size_t kMaxValueLength = 256;
constexpr size_t kMaxNoteCharacters = 100;
constexpr const char* kCrossSite = "Forbidden: cross-site request\n";

Response plain(int code, std::string body) {
  Response r;
  r.code = code;
  r.contentType = kTextPlain;
  r.body = std::move(body);
  return r;
}

Response unauthorized(const std::string& body = "Access denied") {
  Response r = plain(401, body);
  r.extraHeaders = "WWW-Authenticate: Basic realm=\"chipmunk\"\r\n";
  return r;
}

Response methodNotAllowed(const char* allow) {
  Response r = plain(405, "Method Not Allowed");
  r.extraHeaders = std::string("Allow: ") + allow + "\r\n";
  return r;
}

Response json(int code, std::string body) {
  Response r;
  r.code = code;
  r.contentType = kJson;
  r.body = std::move(body);
  return r;
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool isGetLike(Method m) {
  return m == Method::kGet || m == Method::kHead;
}

std::string rfc3339(int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// What an error answer repeats of a request (a field name, a host name): printable ASCII,
// whatever bytes the request had.
std::string echo(const std::string& text, size_t max) {
  std::string out = text.substr(0, max);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      c = '?';
    }
  }
  return out;
}

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

using Fields = std::vector<std::pair<std::string, std::string>>;

bool hasNul(const Fields& fields) {
  return std::any_of(fields.begin(), fields.end(), [](const auto& f) {
    return f.first.find('\0') != std::string::npos || f.second.find('\0') != std::string::npos;
  });
}

// The first key that appears twice, if any (at most kMaxParams fields when asked).
std::optional<std::string> repeatedKey(const Fields& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (fields[i].first == fields[j].first) {
        return fields[i].first;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

const char* reasonPhrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string checkMetadataField(const std::string& key, const std::string& value) {
  if (key == "wg_public_key") {
    const auto raw = base64Decode(value);
    return raw && raw->size() == 32
               ? ""
               : "wg_public_key must be a WireGuard key (44 base64 characters)";
  }
  if (key == "wg_listen_port") {
    long long port = 0;
    const bool ok =
        !value.empty() && value.size() <= 5 &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        (port = std::stoll(value)) >= 1 && port <= 65535;
    return ok ? "" : "wg_listen_port must be a port number (1-65535)";
  }
  // The one rule for stored addresses (common/ip.hpp): a LAN address is fine, one that is
  // no host's (0.0.0.0, broadcast, multicast, ...) is not.
  if (key == "wg_address") {
    const auto cidr = Cidr::parse(value);
    return cidr && isPublishable(cidr->address(), true)
               ? ""
               : "wg_address must be a host address or CIDR (not unspecified, broadcast, "
                 "multicast, link-local or reserved)";
  }
  if (key == "lan_ip") {
    const auto ip = IpAddress::parse(value);
    return ip && isPublishable(*ip, true) ? ""
                                          : "lan_ip must be an IPv4 or IPv6 host address (not "
                                            "unspecified, broadcast, multicast, link-local or "
                                            "reserved)";
  }
  if (key == "gateway_mac") {
    bool ok = value.size() == 17;
    for (size_t i = 0; ok && i < value.size(); ++i) {
      ok = (i % 3 == 2) ? value[i] == ':' : isHex(value[i]);
    }
    return ok ? "" : "gateway_mac must look like 00:11:22:aa:bb:cc";
  }
  if (key == "note") {
    // Free text that others read: well-formed UTF-8 without controls or bidi overrides.
    const auto length = safeTextLength(value);
    return length && *length <= kMaxNoteCharacters
               ? ""
               : "note must be at most 100 printable characters";
  }
  return "unknown field \"" + echo(key, 40) + "\"";
}

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

struct ApiService::Call {
  const Runtime& rt;
  const RequestInfo& request;
  IpAddress client;
  std::string clientText;
  std::string user;
  int64_t now = 0;
};

ApiService::ApiService(const config::ApiConfig& config, std::shared_ptr<Store> store)
    : runtime_(makeRuntime(config)), store_(std::move(store)) {}

std::shared_ptr<ApiService::Runtime> ApiService::makeRuntime(const config::ApiConfig& config) {
  auto rt = std::make_shared<Runtime>();
  rt->config = config;
  rt->auth = std::make_shared<Authenticator>(config.users);
  rt->limiter = std::make_shared<LoginLimiter>(config.maxFailedLogins, config.failedLoginWindow,
                                               config.failedLoginLockout);
  return rt;
}

void ApiService::reload(const config::ApiConfig& config) {
  auto rt = makeRuntime(config);
  // Lockouts and counts survive a reload (SIGHUP must not be an amnesty); only the limits
  // change.
  const auto old = runtime();
  old->limiter->configure(config.maxFailedLogins, config.failedLoginWindow,
                          config.failedLoginLockout);
  rt->limiter = old->limiter;
  std::atomic_store(&runtime_, std::shared_ptr<const Runtime>(std::move(rt)));
}

void ApiService::setListener(std::shared_ptr<RecordListener> listener) {
  std::atomic_store(&listener_, std::move(listener));
}

std::string ApiService::ownerOf(const Runtime& rt, const std::string& name) const {
  for (const auto& user : rt.config.users) {
    if (user.name == name) {
      return name;
    }
  }
  const auto it = rt.config.hostOwners.find(name);
  return it == rt.config.hostOwners.end() ? std::string() : it->second;
}

void ApiService::notifyChange(const Runtime& rt, const std::string& name,
                              const UpdateResult& result) {
  if (result.outcome != SetOutcome::kSaved || !result.addressChanged()) {
    return;
  }
  if (auto listener = std::atomic_load(&listener_)) {
    listener->recordChanged(ownerOf(rt, name), result.before, result.after);
  }
}

void ApiService::expireRecords() {
  const auto rt = runtime();
  const auto expired = store_->expireDue(unixNow());
  auto listener = std::atomic_load(&listener_);
  for (const auto& record : expired) {
    if (listener) {
      listener->recordExpired(ownerOf(*rt, record.name), record);
    }
  }
}

Response ApiService::handle(const RequestInfo& request, bool allowSlow) {
  const auto rt = runtime();
  const auto& cfg = rt->config;
  Call call{*rt, request, {}, {}, {}, unixNow()};
  const auto client = resolveClientIp(
      request.peer,
      {request.xForwardedFor ? std::optional<std::string_view>(*request.xForwardedFor)
                             : std::nullopt,
       request.xRealIp ? std::optional<std::string_view>(*request.xRealIp) : std::nullopt,
       request.forwarded ? std::optional<std::string_view>(*request.forwarded) : std::nullopt},
      cfg.trustedProxies, cfg.clientIpHeader);
  call.client = client ? *client : request.peer;
  call.clientText = call.client.toString();

  auto finish = [&](Response r) {
    r.client = call.clientText;
    r.user = call.user;
    return r;
  };

  // A query string that is malformed or carries a NUL is refused on every route, also on
  // those that read no field (the dyndns2 routes answer it in their own words).
  const bool badQuery = request.badQuery || hasNul(request.query);
  if (request.path == "/healthz") {
    if (!isGetLike(request.method)) {
      return finish(methodNotAllowed("GET, HEAD"));
    }
    return finish(badQuery ? plain(400, "Bad Request: malformed query string")
                           : plain(200, "ok\n"));
  }

  const bool nic = request.path == "/nic/update" || request.path == "/v3/update";
  // Before anything else of the request is weighed, and before the password check: a page
  // on another site can make a browser send its cached credentials, but no request of its
  // costs a password check or counts as a failed login, and all get the same 403.
  if (crossSiteRefused(request, nic || request.path == "/set")) {
    return finish(plain(403, kCrossSite));
  }
  if (!client) {
    // client_ip_header = auto and the proxy's headers name different clients: one of them
    // was passed on from the client. Nobody is charged or served as the wrong address.
    return finish(plain(400, "Bad Request: conflicting forwarding headers"));
  }
  const bool ipEndpoint = request.path == "/get/ip" || request.path == "/get/ip.json";
  if (!(ipEndpoint && cfg.publicIpEndpoints)) {
    const auto now = std::chrono::steady_clock::now();
    if (const long long wait = rt->limiter->blockedFor(call.client, now); wait > 0) {
      if (nic) {
        return finish(
            plain(200, dyndns2::line(dyndns2::kAbuse)));  // dyndns2 clients must never see a 429
      }
      Response r = plain(429, "Too Many Requests");
      r.extraHeaders = "Retry-After: " + std::to_string(wait) + "\r\n";
      return finish(std::move(r));
    }
    const auto creds =
        request.authorization ? parseBasicAuthorization(*request.authorization) : std::nullopt;
    if (!creds) {
      if (request.authorization) {
        rt->limiter->recordFailure(call.client, now);
      }
      return finish(
          unauthorized(nic ? dyndns2::line(dyndns2::kBadauth) : std::string("Access denied")));
    }
    std::optional<bool> ok = rt->auth->verifyFast(creds->user, creds->password);
    if (!ok) {
      if (!allowSlow) {
        Response r;
        r.needsSlowAuth = true;
        r.slowAuthSource = LoginLimiter::key(call.client);
        r.slowAuthSuspect = rt->limiter->failures(call.client, now) > 0;
        r.client = call.clientText;
        return r;
      }
      ok = rt->auth->verifySlow(creds->user, creds->password);
    }
    call.user = creds->user;
    if (!*ok) {
      // A name that is not a configured user may be a password typed into the user field:
      // the request log must not record it.
      if (ownerOf(*rt, creds->user) != creds->user) {
        call.user = "(unknown)";
      }
      rt->limiter->recordFailure(call.client, now);
      return finish(
          unauthorized(nic ? dyndns2::line(dyndns2::kBadauth) : std::string("Access denied")));
    }
  }

  if (badQuery && !nic) {
    return finish(plain(400, "Bad Request: malformed query string"));
  }
  if (ipEndpoint) {
    if (!isGetLike(request.method)) {
      return finish(methodNotAllowed("GET, HEAD"));
    }
    if (request.path == "/get/ip") {
      return finish(plain(200, "Your IP:  " + call.clientText));
    }
    return finish(json(200, "{\"Client_IP\": \"" + call.clientText + "\"}"));
  }
  if (request.path == "/set") {
    // HEAD is a safe method (RFC 9110 section 9.2.1): `curl -I` or a link checker must not
    // store the caller's address. Only GET and POST change a record.
    if (request.method != Method::kGet && request.method != Method::kPost) {
      return finish(methodNotAllowed("GET, POST"));
    }
    return finish(setRoute(call));
  }
  if (nic) {
    return finish(nicUpdateRoute(call));
  }
  if (request.path == "/hosts" || request.path.rfind("/hosts/", 0) == 0) {
    if (!isGetLike(request.method)) {
      return finish(methodNotAllowed("GET, HEAD"));
    }
    Response r = hostsRoute(call, request.path.size() > 7 ? request.path.substr(7) : "");
    // Not for other sites' <script> or <img> (their reads are cross-origin: no CORS).
    r.extraHeaders += "Cross-Origin-Resource-Policy: same-origin\r\n";
    return finish(std::move(r));
  }
  if (request.path == "/") {
    if (!isGetLike(request.method)) {
      return finish(methodNotAllowed("GET, HEAD"));
    }
    Response r;
    r.contentType = "text/html; charset=utf-8";
    r.body = yellowPagesHtml(hostsRoute(call, "").body);
    r.extraHeaders =
        "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
        "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'\r\n"
        "X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n"
        "Cross-Origin-Resource-Policy: same-origin\r\n";
    return finish(std::move(r));
  }
  return finish(plain(404, "Not Found"));
}

Response ApiService::setRoute(Call& call) {
  const auto& cfg = call.rt.config;
  std::vector<std::pair<std::string, std::string>> params = call.request.query;
  if (call.request.badQuery) {
    return plain(400, "Bad Request: malformed query string");
  }
  if (call.request.method == Method::kPost && call.request.contentType &&
      call.request.contentType->rfind("application/x-www-form-urlencoded", 0) == 0 &&
      !appendUrlEncoded(call.request.body, true, params)) {
    return plain(400, "Bad Request: malformed form body");
  }
  if (params.size() > kMaxParams) {
    return plain(400, "Bad Request: too many fields");
  }
  // Refused rather than cut short or settled by order (the query and a form body count
  // together).
  if (hasNul(params)) {
    return plain(400, "Bad Request: NUL in a field");
  }
  if (const auto repeated = repeatedKey(params)) {
    return plain(400, "Bad Request: field " + echo(*repeated, 40) + " given twice");
  }
  std::string name = call.user;
  std::optional<int64_t> ttl;
  Metadata metadata;
  for (const auto& [key, value] : params) {
    if (value.size() > kMaxValueLength) {
      return plain(400, "Bad Request: field " + echo(key, 40) + " is too long");
    }
    if (key == "hostname") {
      name = lowercase(value);
      if (name == lowercase(call.user)) {
        name = call.user;
      }
    } else if (key == "ttl") {
      long long seconds = 0;
      if (!config::parseSeconds(value, seconds) || seconds > cfg.maxTtl.count()) {
        return plain(400, "Bad Request: ttl must be a duration up to " +
                              std::to_string(cfg.maxTtl.count()) + "s");
      }
      ttl = seconds;
    } else {
      const std::string problem = checkMetadataField(key, value);
      if (!problem.empty()) {
        return plain(400, "Bad Request: " + problem);
      }
      metadata[key] = value;
    }
  }
  const auto owned = cfg.namesOwnedBy(call.user);
  if (std::find(owned.begin(), owned.end(), name) == owned.end()) {
    return plain(403, "Forbidden: " + call.user + " does not own " + echo(name, 80));
  }
  if (!isPublishable(call.client, true)) {
    // A TCP peer is never one of these; a trusted proxy's header can name anything.
    return plain(400, "Bad Request: the client address is not a host address");
  }
  RecordUpdate update;
  (call.client.isV4() ? update.ipv4 : update.ipv6) = call.client;
  update.primary = call.client;
  if (!metadata.empty()) {
    update.metadata = metadata;
  }
  update.ttl = ttl ? *ttl : cfg.ttlFor(name).count();
  const UpdateResult result = store_->update(name, update, call.now);
  if (result.outcome == SetOutcome::kFailed) {
    return plain(500, "Failed to persist information.");
  }
  notifyChange(call.rt, name, result);
  return json(200, "{\"Client_IP\": \"" + call.clientText + "\", \"status\": \"" +
                       (result.outcome == SetOutcome::kSaved ? "saved" : "unchanged") + "\"}");
}

Response ApiService::hostsRoute(Call& call, const std::string& name) {
  const auto& cfg = call.rt.config;
  const bool all = cfg.mayReadAll(call.user);
  const auto owned = cfg.namesOwnedBy(call.user);
  auto readable = [&](const std::string& n) {
    if (ownerOf(call.rt, n).empty()) {
      return false;  // not (or no longer) configured
    }
    return all || std::find(owned.begin(), owned.end(), n) != owned.end();
  };
  std::vector<HostRecord> records;
  if (name.empty()) {
    for (auto& r : store_->list()) {
      if (readable(r.name)) {
        records.push_back(std::move(r));
      }
    }
  } else {
    const std::string key = ownerOf(call.rt, name).empty() ? lowercase(name) : name;
    auto r = readable(key) ? store_->get(key) : std::nullopt;
    if (!r) {
      return plain(404, "Not Found");
    }
    records.push_back(std::move(*r));
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto ip = [&](const char* key, const std::optional<IpAddress>& value, bool expired) {
    w.Key(key);
    value && !expired ? w.String(value->toString().c_str()) : w.Null();
  };
  auto time = [&](const char* key, int64_t t) {
    w.Key(key);
    t > 0 ? w.String(rfc3339(t).c_str()) : w.Null();
  };
  // Text from the store goes out as valid UTF-8 whatever is on disk (a file another
  // program wrote): one bad byte would make the whole answer unreadable for every client.
  auto text = [&](const std::string& s) {
    const std::string clean = sanitizeText(s);
    w.String(clean.c_str(), static_cast<rapidjson::SizeType>(clean.size()));
  };
  auto one = [&](const HostRecord& r) {
    w.StartObject();
    w.Key("name");
    text(r.name);
    w.Key("owner");
    text(ownerOf(call.rt, r.name));
    ip("ip", r.ip, r.expired);
    ip("ipv4", r.ipv4, r.expired);
    ip("ipv6", r.ipv6, r.expired);
    time("first_seen", r.firstSeen);
    time("changed_at", r.changedAt);
    time("last_seen", r.lastSeen);
    w.Key("seen_seconds_ago");
    r.lastSeen > 0 ? w.Int64(std::max<int64_t>(0, call.now - r.lastSeen)) : w.Null();
    w.Key("stale");
    w.Bool(r.lastSeen == 0 || call.now - r.lastSeen >= cfg.staleAfter.count());
    w.Key("ttl");
    w.Int64(r.ttl);
    w.Key("expired");
    w.Bool(r.expired);
    time("expired_at", r.expiredAt);
    w.Key("metadata");
    w.StartObject();
    for (const auto& [k, v] : r.metadata) {
      text(k);  // a key is a string too
      text(v);
    }
    w.EndObject();
    w.EndObject();
  };
  if (name.empty()) {
    w.StartArray();
    for (const auto& r : records) {
      one(r);
    }
    w.EndArray();
  } else {
    one(records.front());
  }
  return json(200, buf.GetString());
}

bool ApiService::abuseBlocked(const Runtime& /*rt*/, const std::string& host, int64_t now) {
  std::lock_guard<std::mutex> lock(abuseMutex_);
  const auto it = abuse_.find(host);
  return it != abuse_.end() && it->second.blockedUntil > now;
}

void ApiService::countNochg(const Runtime& rt, const std::string& host, int64_t now) {
  std::lock_guard<std::mutex> lock(abuseMutex_);
  Abuse& a = abuse_[host];
  if (now - a.windowStart >= rt.config.abuseWindow.count()) {
    a.windowStart = now;
    a.nochg = 0;
  }
  // The limit-th nochg within the window blocks the host: the next request gets "abuse".
  if (++a.nochg >= rt.config.abuseNochgLimit) {
    a.blockedUntil = now + rt.config.abuseBlock.count();
    a.nochg = 0;
    a.windowStart = now;
  }
}

Response ApiService::nicUpdateRoute(Call& call) {
  // dyndns2 as clients parse it: 200 and one code line per host, in request order.
  // https://help.dyn.com/remote-access-api/perform-update/ and return codes.
  const auto& cfg = call.rt.config;
  if (call.request.method != Method::kGet) {
    // badagent is dyndns2's word for "method not permitted" too. HEAD is a safe method
    // (RFC 9110 section 9.2.1) and an update is not: only GET updates.
    Response r = methodNotAllowed("GET");
    r.body = dyndns2::line(dyndns2::kBadagent);
    return r;
  }
  if (!call.request.userAgent || call.request.userAgent->empty()) {
    return plain(200, dyndns2::line(dyndns2::kBadagent));
  }
  // A malformed query, or a NUL anywhere in it, is answered as a malformed name.
  if (call.request.badQuery || hasNul(call.request.query)) {
    return plain(200, dyndns2::line(dyndns2::kNotfqdn));
  }
  std::optional<std::string> hostnames;
  std::optional<std::string> myip;
  std::optional<std::string> myipv6;
  // A field given twice is refused, never settled by order: hostname as a malformed name,
  // myip and myipv6 as an unusable address (below).
  bool repeatedAddress = false;
  for (const auto& [key, value] : call.request.query) {
    if (key == "hostname") {
      if (hostnames) {
        return plain(200, dyndns2::line(dyndns2::kNotfqdn));
      }
      hostnames = value;
    } else if (key == "myip" || key == "myipv6") {
      auto& field = key == "myip" ? myip : myipv6;
      repeatedAddress = repeatedAddress || field.has_value();
      field = value;
    }
    // system, offline, wildcard, mx, backmx and anything else: accepted and ignored.
  }
  std::vector<std::string> hosts;
  if (hostnames) {
    for (auto& h : config::splitList(*hostnames)) {
      hosts.push_back(h);
    }
  }
  if (hosts.empty()) {
    return plain(200, dyndns2::line(dyndns2::kNotfqdn));
  }
  if (static_cast<int>(hosts.size()) > cfg.dyndnsMaxHosts) {
    return plain(200, dyndns2::line(dyndns2::kNumhost));
  }
  // myip=v4, myip=v6, myip=v4,v6 (ddclient 4, Fritz!Box), plus myipv6=.
  // Two addresses of one family (myip=192.0.2.1,192.0.2.2, or an IPv4 in both myip and
  // myipv6) are unusable, as is a repeated myip/myipv6: which one is meant is unknown.
  std::optional<IpAddress> v4;
  std::optional<IpAddress> v6;
  bool badAddress = repeatedAddress;
  auto take = [&](const std::string& text) {
    for (const auto& item : config::splitList(text)) {
      const auto ip = IpAddress::parse(item);
      if (!ip || !isPublishable(*ip, true)) {
        badAddress = true;
        continue;
      }
      auto& slot = ip->isV4() ? v4 : v6;
      badAddress = badAddress || slot.has_value();
      slot = ip;
    }
  };
  // An empty myip= (inadyn sends one when its own check failed) counts as absent.
  if (myip && myip->empty()) {
    myip.reset();
  }
  if (myipv6 && myipv6->empty()) {
    myipv6.reset();
  }
  if (myip) {
    take(*myip);
  }
  if (myipv6) {
    take(*myipv6);
  }
  if (!myip && !myipv6) {
    if (isPublishable(call.client, true)) {
      (call.client.isV4() ? v4 : v6) = call.client;
    } else {
      badAddress = true;  // named by a trusted proxy's header
    }
  }
  const auto owned = cfg.namesOwnedBy(call.user);
  std::string body;
  bool serverError = false;
  std::string shown = v4 ? v4->toString() : "";
  if (v6) {
    shown += (shown.empty() ? "" : ",") + v6->toString();
  }
  // The answer for one record: updates it.
  auto update = [&](const std::string& name) -> std::string {
    if (badAddress || (!v4 && !v6)) {
      return dyndns2::line(dyndns2::kDnserr);
    }
    if (abuseBlocked(call.rt, name, call.now)) {
      return dyndns2::line(dyndns2::kAbuse);
    }
    RecordUpdate u;
    u.ipv4 = v4;
    u.ipv6 = v6;
    u.ttl = cfg.ttlFor(name).count();
    const UpdateResult result = store_->update(name, u, call.now);
    if (result.outcome == SetOutcome::kFailed) {
      serverError = true;
      return dyndns2::line(dyndns2::k911);
    }
    if (result.outcome == SetOutcome::kUnchanged) {
      countNochg(call.rt, name, call.now);
      return std::string(dyndns2::kNochg) + " " + shown + "\n";
    }
    notifyChange(call.rt, name, result);
    return std::string(dyndns2::kGood) + " " + shown + "\n";
  };
  // A record named more than once (home.example.org,HOME.example.org) is updated once and
  // counts once towards abuse_nochg_limit; every name given still gets a line, in order:
  // the answer of the record's first mention.
  std::unordered_map<std::string, std::string> answered;
  for (const auto& raw : hosts) {
    const std::string host = lowercase(raw);
    std::string name;
    for (const auto& n : owned) {
      if (n == raw || n == host) {
        name = n;
      }
    }
    if (name.empty()) {
      body += config::isValidHostName(host) ? dyndns2::line(dyndns2::kNohost)
                                            : dyndns2::line(dyndns2::kNotfqdn);
      continue;
    }
    auto it = answered.find(name);
    if (it == answered.end()) {
      it = answered.emplace(name, update(name)).first;
    }
    body += it->second;
  }
  if (serverError) {
    // A 5xx body must not carry "good" (clients would believe it): every host gets 911 and
    // those already stored answer nochg when the client retries.
    std::string all;
    for (size_t i = 0; i < hosts.size(); ++i) {
      all += dyndns2::line(dyndns2::k911);
    }
    return plain(500, all);
  }
  return plain(200, body);
}

}  // namespace chipmunk::api
