#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "api_config.hpp"
#include "ip.hpp"

namespace chipmunk::api {

// The forwarding headers of one request; nullopt where the header is absent.
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

// Who the caller is. The socket peer, unless the peer is a trusted proxy: then the chain
// of the chosen header is walked from the right, skipping trusted hops, and the first
// untrusted hop is the client. A malformed hop stops the walk at the last trusted hop, so
// nothing a client writes to the left of it can be believed.
IpAddress resolveClientIp(const IpAddress& peer, const ForwardingHeaders& headers,
                          const std::vector<Cidr>& trusted, config::ClientIpHeader mode);

}  // namespace chipmunk::api
