// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

// The forwarding headers of one request; nullopt where the header is absent. A header sent
// on several lines is one comma-separated list of them in order (RFC 9110 section 5.3):
// the HTTP layer joins them as it reads the head (api/http_wire.hpp, takeHeader).
struct ForwardingHeaders {
  std::optional<std::string_view> xForwardedFor;
  std::optional<std::string_view> xRealIp;
  std::optional<std::string_view> forwarded;
};

// One node of a forwarding chain: "192.0.2.1", "192.0.2.1:80", "2001:db8::1",
// "[2001:db8::1]:80". nullopt for anything else ("unknown", obfuscated names, garbage).
std::optional<IpAddress> parseNode(std::string_view text);

// X-Forwarded-For: comma-separated nodes, leftmost = the original client.
std::vector<std::optional<IpAddress>> parseXForwardedFor(std::string_view value);

// RFC 7239 Forwarded: the `for=` parameter of each element, in order. An element with
// no usable `for=` yields nullopt at its position.
std::vector<std::optional<IpAddress>> parseForwarded(std::string_view value);

bool isTrusted(const IpAddress& ip, const std::vector<Cidr>& trusted);

// Who the caller is. The socket peer, unless the peer is a trusted proxy. Then, for each
// forwarding header, the chain is walked from the right, skipping trusted hops, and the
// first untrusted hop is the client (a malformed hop stops the walk at the last trusted
// hop, so nothing a client writes to the left of it can be believed); X-Real-IP is one
// address, the last one sent.
//
// An explicit `mode` reads only that header (absent: the peer). kAuto reads every one
// present, and they must agree: a proxy that sets only one of them passes the others on
// from the client untouched, and which one that is cannot be known here. So nullopt —
// refuse the request — when two of them name different clients (an X-Real-IP naming a
// trusted proxy, which says nothing about the client, agrees with anything).
std::optional<IpAddress> resolveClientIp(const IpAddress& peer, const ForwardingHeaders& headers,
                                         const std::vector<Cidr>& trusted,
                                         config::ClientIpHeader mode);

}  // namespace chipmunk::api
