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

  bool operator==(const IpAddress& other) const {
    return family_ == other.family_ && bytes_ == other.bytes_;
  }
  bool operator!=(const IpAddress& other) const { return !(*this == other); }

 private:
  Family family_ = Family::V4;
  std::array<uint8_t, 16> bytes_{};
};

// A network in CIDR notation; a bare address is a /32 or /128.
class Cidr {
 public:
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& ip) const;
  std::string toString() const;

 private:
  IpAddress network_;
  int prefix_ = 0;
};

// Parses "host:port" where host is an IPv4 literal, "[IPv6]" or "localhost", and port is
// 0-65535. Returns false with no side effects on bad input.
bool parseHostPort(std::string_view text, std::string& host, uint16_t& port);

}  // namespace chipmunk
