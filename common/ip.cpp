// SPDX-License-Identifier: MIT
#include "common/ip.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace chipmunk {
namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool inNet(const uint8_t* addr, const std::array<uint8_t, 16>& net, int prefix) {
  const int full = prefix / 8;
  if (std::memcmp(addr, net.data(), full) != 0) {
    return false;
  }
  const int rest = prefix % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (addr[full] & mask) == (net[full] & mask);
}

struct Net {
  std::array<uint8_t, 16> bytes;
  int prefix;
};

template <size_t N>
bool inAnyNet(const uint8_t* addr, const Net (&nets)[N]) {
  for (const auto& net : nets) {
    if (inNet(addr, net.bytes, net.prefix)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton() reads a C string: "192.0.2.1\0junk" would parse as its first part.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN || text.find('\0') != text.npos) {
    return std::nullopt;
  }
  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  if (text.find(':') == std::string_view::npos) {
    in_addr v4{};
    if (inet_pton(AF_INET, buf, &v4) != 1) {
      return std::nullopt;
    }
    ip.family_ = Family::V4;
    std::memcpy(ip.bytes_.data(), &v4, 4);
    return ip;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) != 1) {
    return std::nullopt;
  }
  if (std::memcmp(&v6, kMappedPrefix.data(), kMappedPrefix.size()) == 0) {
    ip.family_ = Family::V4;
    std::memcpy(ip.bytes_.data(), reinterpret_cast<const uint8_t*>(&v6) + 12, 4);
    return ip;
  }
  ip.family_ = Family::V6;
  std::memcpy(ip.bytes_.data(), &v6, 16);
  return ip;
}

IpAddress IpAddress::fromV4(const std::array<uint8_t, 4>& bytes) {
  IpAddress ip;
  ip.family_ = Family::V4;
  std::memcpy(ip.bytes_.data(), bytes.data(), 4);
  return ip;
}

IpAddress IpAddress::fromV6(const std::array<uint8_t, 16>& bytes) {
  if (std::memcmp(bytes.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0) {
    return fromV4({bytes[12], bytes[13], bytes[14], bytes[15]});
  }
  IpAddress ip;
  ip.family_ = Family::V6;
  ip.bytes_ = bytes;
  return ip;
}

std::string IpAddress::toString() const {
  if (isV4()) {
    // Dotted decimal without inet_ntop's printf: this runs on every request (the peer).
    char buf[16];
    size_t n = 0;
    for (size_t i = 0; i < 4; ++i) {
      const unsigned v = bytes_[i];
      if (v >= 100) {
        buf[n++] = static_cast<char>('0' + v / 100);
      }
      if (v >= 10) {
        buf[n++] = static_cast<char>('0' + v / 10 % 10);
      }
      buf[n++] = static_cast<char>('0' + v % 10);
      buf[n++] = '.';
    }
    return std::string(buf, n - 1);
  }
  // glibc's inet_ntop follows RFC 5952: lower case, longest zero run compressed (the
  // first on a tie), a single zero group not compressed.
  char buf[INET6_ADDRSTRLEN];
  const char* out = inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  return out != nullptr ? std::string(out) : std::string();
}

bool IpAddress::isLoopback() const {
  if (isV4()) {
    return bytes_[0] == 127;
  }
  static const std::array<uint8_t, 16> kLoopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return bytes_ == kLoopback;
}

bool IpAddress::isPublic() const {
  // IANA special-purpose registries (RFC 6890 and successors): not globally reachable.
  static const Net kV4[] = {
      {{0}, 8},              // "this network"
      {{10}, 8},             // private
      {{100, 64}, 10},       // CGNAT
      {{127}, 8},            // loopback
      {{169, 254}, 16},      // link-local
      {{172, 16}, 12},       // private
      {{192, 0, 0}, 24},     // IETF protocol assignments
      {{192, 0, 2}, 24},     // TEST-NET-1
      {{192, 88, 99}, 24},   // 6to4 relay anycast (deprecated)
      {{192, 168}, 16},      // private
      {{198, 18}, 15},       // benchmarking
      {{198, 51, 100}, 24},  // TEST-NET-2
      {{203, 0, 113}, 24},   // TEST-NET-3
      {{224}, 4},            // multicast
      {{240}, 4},            // reserved + broadcast
  };
  static const Net kV6[] = {
      {{0}, 8},                        // ::, ::1, IPv4-compatible, ...
      {{0x01, 0x00}, 64},              // discard-only
      {{0x20, 0x01, 0x0d, 0xb8}, 32},  // documentation
      {{0x20, 0x01, 0x00, 0x00}, 23},  // IETF protocol assignments (Teredo, ORCHID, ...)
      {{0xfc}, 7},                     // unique local
      {{0xfe, 0x80}, 10},              // link-local
      {{0xfe, 0xc0}, 10},              // site-local (deprecated)
      {{0xff}, 8},                     // multicast
  };
  if (isV4()) {
    return !inAnyNet(bytes_.data(), kV4);
  }
  if (inAnyNet(bytes_.data(), kV6)) {
    return false;
  }
  // Only 2000::/3 is allocated global unicast.
  return (bytes_[0] & 0xe0) == 0x20;
}

bool IpAddress::isHostAddress() const {
  static const Net kV6[] = {
      {{0xfe, 0x80}, 10},  // link-local
      {{0xff}, 8},         // multicast
      {{0x01, 0x00}, 64},  // discard-only
  };
  if (isV4()) {
    // Not 0.0.0.0/8 (unspecified, "this network"), 169.254.0.0/16 (link-local),
    // 224.0.0.0/4 (multicast) nor 240.0.0.0/4 (reserved, and the limited broadcast
    // 255.255.255.255): asked on every /set, so by its first bytes rather than a table.
    const uint8_t first = bytes_[0];
    return first != 0 && first < 224 && !(first == 169 && bytes_[1] == 254);
  }
  if (inAnyNet(bytes_.data(), kV6)) {
    return false;
  }
  if (bytes_[0] == 0) {
    // ::/8 is reserved: ::, ::1, the deprecated IPv4-compatible ::a.b.c.d, and the NAT64
    // prefixes, which are real addresses on a NAT64 network.
    static const Net kNat64[] = {
        {{0, 0x64, 0xff, 0x9b}, 96},
        {{0, 0x64, 0xff, 0x9b, 0, 1}, 48},
    };
    return inAnyNet(bytes_.data(), kNat64) || isLoopback();
  }
  return true;
}

bool isPublishable(const IpAddress& ip, bool allowPrivate) {
  return ip.isHostAddress() && (allowPrivate || ip.isPublic());
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) {
    return std::nullopt;
  }
  Cidr cidr;
  cidr.network_ = *ip;
  const int maxPrefix = ip->isV4() ? 32 : 128;
  cidr.prefix_ = maxPrefix;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) {
      return std::nullopt;
    }
    int prefix = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      prefix = prefix * 10 + (c - '0');
    }
    // "::ffff:10.0.0.0/104" names an IPv4 network once folded.
    if (ip->isV4() && text.find(':') != std::string_view::npos) {
      prefix -= 96;
    }
    if (prefix < 0 || prefix > maxPrefix) {
      return std::nullopt;
    }
    cidr.prefix_ = prefix;
  }
  return cidr;
}

bool Cidr::contains(const IpAddress& ip) const {
  if (ip.family() != network_.family()) {
    return false;
  }
  std::array<uint8_t, 16> net{};
  std::memcpy(net.data(), network_.bytes(), network_.size());
  return inNet(ip.bytes(), net, prefix_);
}

std::string Cidr::toString() const {
  return network_.toString() + "/" + std::to_string(prefix_);
}

bool parseHostPort(std::string_view text, std::string& host, uint16_t& port) {
  std::string_view hostPart;
  std::string_view portPart;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    hostPart = text.substr(1, close - 1);
    portPart = text.substr(close + 2);
    const auto ip = IpAddress::parse(hostPart);
    if (!ip || ip->isV4()) {
      return false;
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return false;
    }
    hostPart = text.substr(0, colon);
    portPart = text.substr(colon + 1);
    if (hostPart != "localhost") {
      const auto ip = IpAddress::parse(hostPart);
      if (!ip || !ip->isV4() || hostPart.find(':') != std::string_view::npos) {
        return false;
      }
    }
  }
  if (portPart.empty() || portPart.size() > 5) {
    return false;
  }
  unsigned value = 0;
  for (const char c : portPart) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) {
    return false;
  }
  host = std::string(hostPart);
  port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace chipmunk
