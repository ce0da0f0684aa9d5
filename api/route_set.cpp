// SPDX-License-Identifier: MIT
// /set: stores the caller's address (and optional metadata and ttl) in the record of the
// logged-in user or of a host the user owns. Fields come from the query and, for POST, a
// url-encoded form body; they count together.
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "api/http_wire.hpp"
#include "api/routes.hpp"
#include "common/base64.hpp"
#include "common/strings.hpp"
#include "common/utf8.hpp"
#include "config/settings.hpp"

namespace chipmunk::api {
namespace {

constexpr size_t kMaxParams = 16;
constexpr size_t kMaxValueLength = 256;
constexpr size_t kMaxNoteCharacters = 100;

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
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

// The fields of the query and, for a form POST, the body; or the 400 refusing them.
std::optional<Response> readFields(const RequestInfo& request, Fields& params) {
  params = request.query;
  if (request.badQuery) {
    return plain(400, "Bad Request: malformed query string");
  }
  if (request.method == Method::kPost && request.contentType &&
      request.contentType->rfind("application/x-www-form-urlencoded", 0) == 0 &&
      !appendUrlEncoded(request.body, true, params)) {
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
  return std::nullopt;
}

// What the fields ask for: the record (the user's own unless hostname names another),
// a ttl and metadata.
struct SetRequest {
  std::string name;
  std::optional<int64_t> ttl;
  Metadata metadata;
};

std::optional<Response> interpretFields(const RouteCall& call, const Fields& params,
                                        SetRequest& out) {
  out.name = call.scope.empty() ? call.user : call.scope.front();
  for (const auto& [key, value] : params) {
    if (value.size() > kMaxValueLength) {
      return plain(400, "Bad Request: field " + echo(key, 40) + " is too long");
    }
    if (key == "hostname") {
      out.name = lowercase(value);
      if (out.name == lowercase(call.user)) {
        out.name = call.user;
      }
    } else if (key == "ttl") {
      long long seconds = 0;
      if (!config::parseSeconds(value, seconds) || seconds > call.config.maxTtl.count()) {
        return plain(400, "Bad Request: ttl must be a duration up to " +
                              std::to_string(call.config.maxTtl.count()) + "s");
      }
      out.ttl = seconds;
    } else {
      const std::string problem = checkMetadataField(key, value);
      if (!problem.empty()) {
        return plain(400, "Bad Request: " + problem);
      }
      out.metadata[key] = value;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string checkMetadataField(const std::string& key, const std::string& value) {
  if (key == "wg_public_key") {
    const auto raw = base64Decode(value);
    return raw && raw->size() == 32
               ? ""
               : "wg_public_key must be a WireGuard key (44 base64 characters)";
  }
  // wg_public_port: the port a NAT router forwards to the peer, when not wg_listen_port.
  if (key == "wg_listen_port" || key == "wg_public_port") {
    long long port = 0;
    const bool ok =
        !value.empty() && value.size() <= 5 &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        (port = std::stoll(value)) >= 1 && port <= 65535;
    return ok ? "" : key + " must be a port number (1-65535)";
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

Response answerSet(RouteCall& call) {
  Fields params;
  SetRequest asked;
  if (auto refusal = readFields(call.request, params)) {
    return *refusal;
  }
  if (auto refusal = interpretFields(call, params, asked)) {
    return *refusal;
  }
  if (!mayUpdate(call, asked.name)) {
    return plain(403, "Forbidden: " + call.user + " does not own " + echo(asked.name, 80));
  }
  if (!isPublishable(call.client, true)) {
    // A TCP peer is never one of these; a trusted proxy's header can name anything.
    return plain(400, "Bad Request: the client address is not a host address");
  }
  RecordUpdate update;
  (call.client.isV4() ? update.ipv4 : update.ipv6) = call.client;
  update.primary = call.client;
  if (!asked.metadata.empty()) {
    update.metadata = asked.metadata;
  }
  update.ttl = asked.ttl ? *asked.ttl : call.config.ttlFor(asked.name).count();
  const UpdateResult result = timedUpdate(call, asked.name, update);
  if (result.outcome == SetOutcome::kFailed) {
    return storeFailed("Failed to persist information.");
  }
  notifyChange(call, asked.name, result);
  std::string body;
  body.reserve(64);
  body.append("{\"Client_IP\": \"")
      .append(call.clientText)
      .append(result.outcome == SetOutcome::kSaved ? "\", \"status\": \"saved\"}"
                                                   : "\", \"status\": \"unchanged\"}");
  return json(200, std::move(body));
}

}  // namespace chipmunk::api
