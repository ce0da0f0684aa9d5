// SPDX-License-Identifier: MIT
#include "api/client_ip.hpp"

#include "common/strings.hpp"

namespace chipmunk::api {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool allDigits(std::string_view s) {
  if (s.empty() || s.size() > 5) {
    return false;
  }
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

IpAddress walk(const IpAddress& peer, const std::vector<std::optional<IpAddress>>& chain,
               const std::vector<Cidr>& trusted) {
  IpAddress current = peer;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (!*it) {
      return current;
    }
    if (!isTrusted(**it, trusted)) {
      return **it;
    }
    current = **it;
  }
  return current;
}

}  // namespace

std::optional<IpAddress> parseNode(std::string_view text) {
  text = trim(text);
  if (text.empty()) {
    return std::nullopt;
  }
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    const auto rest = text.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !allDigits(rest.substr(1)))) {
      return std::nullopt;
    }
    auto ip = IpAddress::parse(text.substr(1, close - 1));
    if (!ip || text.substr(1, close - 1).find(':') == std::string_view::npos) {
      return std::nullopt;
    }
    return ip;
  }
  const auto colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    // IPv4 with a port.
    if (!allDigits(text.substr(colon + 1))) {
      return std::nullopt;
    }
    auto ip = IpAddress::parse(text.substr(0, colon));
    if (!ip || !ip->isV4()) {
      return std::nullopt;
    }
    return ip;
  }
  return IpAddress::parse(text);
}

std::vector<std::optional<IpAddress>> parseXForwardedFor(std::string_view value) {
  std::vector<std::optional<IpAddress>> chain;
  size_t start = 0;
  while (start <= value.size()) {
    auto comma = value.find(',', start);
    if (comma == std::string_view::npos) {
      comma = value.size();
    }
    const auto item = trim(value.substr(start, comma - start));
    if (!item.empty()) {
      chain.push_back(parseNode(item));
    }
    start = comma + 1;
  }
  return chain;
}

std::vector<std::optional<IpAddress>> parseForwarded(std::string_view value) {
  std::vector<std::optional<IpAddress>> chain;
  size_t i = 0;
  const size_t n = value.size();
  std::optional<IpAddress> current;
  bool elementHasContent = false;
  auto endElement = [&] {
    if (elementHasContent) {
      chain.push_back(current);
    }
    current.reset();
    elementHasContent = false;
  };
  while (i < n) {
    // pair: token "=" ( token / quoted-string )
    while (i < n && (value[i] == ' ' || value[i] == '\t')) {
      ++i;
    }
    if (i < n && value[i] == ',') {
      endElement();
      ++i;
      continue;
    }
    if (i < n && value[i] == ';') {
      ++i;
      continue;
    }
    const size_t nameStart = i;
    while (i < n && value[i] != '=' && value[i] != ',' && value[i] != ';') {
      ++i;
    }
    const auto name = trim(value.substr(nameStart, i - nameStart));
    std::string parsed;
    bool bad = false;
    if (i < n && value[i] == '=') {
      ++i;
      while (i < n && (value[i] == ' ' || value[i] == '\t')) {
        ++i;
      }
      if (i < n && value[i] == '"') {
        ++i;
        bool closed = false;
        while (i < n) {
          if (value[i] == '\\' && i + 1 < n) {
            parsed += value[i + 1];
            i += 2;
          } else if (value[i] == '"') {
            ++i;
            closed = true;
            break;
          } else {
            parsed += value[i++];
          }
        }
        bad = !closed;
      } else {
        const size_t valueStart = i;
        while (i < n && value[i] != ',' && value[i] != ';') {
          ++i;
        }
        parsed = std::string(trim(value.substr(valueStart, i - valueStart)));
      }
    } else {
      bad = true;
    }
    if (!name.empty()) {
      elementHasContent = true;
    }
    if (equalsIgnoringCase(name, "for")) {
      current = bad ? std::nullopt : parseNode(parsed);
    }
  }
  endElement();
  return chain;
}

bool isTrusted(const IpAddress& ip, const std::vector<Cidr>& trusted) {
  for (const auto& cidr : trusted) {
    if (cidr.contains(ip)) {
      return true;
    }
  }
  return false;
}

std::optional<IpAddress> resolveClientIp(const IpAddress& peer, const ForwardingHeaders& headers,
                                         const std::vector<Cidr>& trusted,
                                         config::ClientIpHeader mode) {
  using config::ClientIpHeader;
  if (trusted.empty() || !isTrusted(peer, trusted)) {
    return peer;
  }
  // X-Real-IP is set, not appended, by the nearest proxy: its last value. A proxy that
  // appends a line of its own (HAProxy add-header) still has the last word.
  auto realIp = [&]() -> std::optional<IpAddress> {
    if (!headers.xRealIp) {
      return std::nullopt;
    }
    const auto chain = parseXForwardedFor(*headers.xRealIp);
    return chain.empty() ? std::nullopt : chain.back();
  };
  switch (mode) {
    case ClientIpHeader::kXForwardedFor:
      return headers.xForwardedFor ? walk(peer, parseXForwardedFor(*headers.xForwardedFor), trusted)
                                   : peer;
    case ClientIpHeader::kForwarded:
      return headers.forwarded ? walk(peer, parseForwarded(*headers.forwarded), trusted) : peer;
    case ClientIpHeader::kXRealIp: {
      const auto ip = realIp();
      return ip ? *ip : peer;
    }
    case ClientIpHeader::kAuto:
      break;
  }
  std::optional<IpAddress> chosen;
  bool conflict = false;
  auto consider = [&](const IpAddress& candidate) {
    if (chosen && *chosen != candidate) {
      conflict = true;
    }
    chosen = candidate;
  };
  if (headers.xForwardedFor) {
    const auto chain = parseXForwardedFor(*headers.xForwardedFor);
    if (!chain.empty()) {
      consider(walk(peer, chain, trusted));
    }
  }
  if (headers.forwarded) {
    const auto chain = parseForwarded(*headers.forwarded);
    if (!chain.empty()) {
      consider(walk(peer, chain, trusted));
    }
  }
  if (headers.xRealIp) {
    const auto ip = realIp();
    if (!ip) {
      consider(peer);  // present but unusable: it cannot vouch for any other header
    } else if (!isTrusted(*ip, trusted) || !chosen) {
      consider(*ip);
    }
  }
  if (conflict) {
    return std::nullopt;
  }
  return chosen ? *chosen : peer;
}

}  // namespace chipmunk::api
