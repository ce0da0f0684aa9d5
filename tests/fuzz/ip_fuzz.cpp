// SPDX-License-Identifier: MIT
// Address parsing (common/ip): IPv4/IPv6 literals, CIDRs and host:port.
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/ip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto ip = chipmunk::IpAddress::parse(text)) {
    // One spelling per address: the canonical text parses back to the same address.
    const std::string canonical = ip->toString();
    const auto again = chipmunk::IpAddress::parse(canonical);
    if (!again || *again != *ip || again->toString() != canonical) {
      std::abort();
    }
    ip->isLoopback();
    // The publishing rule (isPublishable): a public address is a host address, and what is
    // publishable without private addresses is publishable with them.
    if (ip->isPublic() && !ip->isHostAddress()) {
      std::abort();
    }
    if (chipmunk::isPublishable(*ip, false) && !chipmunk::isPublishable(*ip, true)) {
      std::abort();
    }
  }
  if (const auto cidr = chipmunk::Cidr::parse(text)) {
    const auto again = chipmunk::Cidr::parse(cidr->toString());
    if (!again || again->toString() != cidr->toString()) {
      std::abort();
    }
    if (const auto ip = chipmunk::IpAddress::parse(text.substr(0, text.find('/')))) {
      cidr->contains(*ip);
    }
  }
  std::string host = "unchanged";
  uint16_t port = 7;
  if (!chipmunk::parseHostPort(text, host, port) && (host != "unchanged" || port != 7)) {
    std::abort();  // documented: no side effects on bad input
  }
  return 0;
}
