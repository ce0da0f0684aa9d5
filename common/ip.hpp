// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chipmunk {

// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are folded to
// IPv4 on parsing, so one host always has one spelling.
class IpAddress {
 public:
  enum class Family : uint8_t { V4, V6 };

  IpAddress() = default;

  // Accepts dotted-quad IPv4 and any RFC 4291 IPv6 text form (no zone id, no brackets).
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress fromV4(const std::array<uint8_t, 4>& bytes);
  static IpAddress fromV6(const std::array<uint8_t, 16>& bytes);

  Family family() const { return family_; }
  bool isV4() const { return family_ == Family::V4; }
  bool isV6() const { return family_ == Family::V6; }
  const uint8_t* bytes() const { return bytes_.data(); }
  size_t size() const { return isV4() ? 4 : 16; }

  // RFC 5952 text for IPv6, dotted quad for IPv4.
  std::string toString() const;

  // Globally routable unicast (not private, loopback, link-local, documentation, CGNAT,
  // multicast, unspecified, ULA, ...). Used to reject discovered addresses that cannot be
  // anyone's public IP.
  bool isPublic() const;
  bool isLoopback() const;
  // Could be a host's own unicast address on some network, a LAN or this machine included.
  // False for what is never one: unspecified and "this network" (0.0.0.0/8, ::), limited
  // broadcast and reserved (240.0.0.0/4), multicast (224.0.0.0/4, ff00::/8), link-local
  // (169.254.0.0/16, fe80::/10: meaningless without the link), IPv4-compatible and other
  // reserved ::/8 forms (except ::1 and the NAT64 prefixes 64:ff9b::/96, 64:ff9b:1::/48),
  // and the discard-only prefix 100::/64. Loopback, private, CGNAT and documentation
  // addresses are host addresses (of a test bed, a LAN). IPv4-mapped IPv6 was folded to
  // IPv4 on parsing and is judged as IPv4.
  bool isHostAddress() const;

  bool operator==(const IpAddress& other) const {
    return family_ == other.family_ && bytes_ == other.bytes_;
  }
  bool operator!=(const IpAddress& other) const { return !(*this == other); }

 private:
  Family family_ = Family::V4;
  std::array<uint8_t, 16> bytes_{};
};

// The one rule for an address we store, publish or hand to a hook (updater discovery of
// every kind, /nic/update myip=, the caller's address of /set and /nic/update, the lan_ip
// and wg_address metadata, records loaded from disk, gateway push): a host address, and a
// public one unless `allowPrivate`. chipmunk-api always allows private addresses (its
// clients may live on a LAN); chipmunk-updater does with `allow_private = yes`.
bool isPublishable(const IpAddress& ip, bool allowPrivate);

// A network in CIDR notation; a bare address is a /32 or /128.
class Cidr {
 public:
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& ip) const;
  std::string toString() const;
  const IpAddress& address() const { return network_; }

 private:
  IpAddress network_;
  int prefix_ = 0;
};

// Parses "host:port" where host is an IPv4 literal, "[IPv6]" or "localhost", and port is
// 0-65535. Returns false with no side effects on bad input.
bool parseHostPort(std::string_view text, std::string& host, uint16_t& port);

}  // namespace chipmunk
