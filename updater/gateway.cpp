// SPDX-License-Identifier: MIT
#include "updater/gateway.hpp"

#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "common/durable_file.hpp"

namespace chipmunk::updater {
namespace {

constexpr size_t kMaxProcFile = 1024 * 1024;
constexpr size_t kMaxLines = 10000;

bool allHex(const std::string& text, size_t size) {
  return text.size() == size &&
         text.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

std::optional<IpAddress> v6FromHex(const std::string& hex) {
  if (!allHex(hex, 32)) {
    return std::nullopt;
  }
  std::array<uint8_t, 16> bytes{};
  for (size_t i = 0; i < 16; ++i) {
    bytes[i] = static_cast<uint8_t>(std::stoul(hex.substr(i * 2, 2), nullptr, 16));
  }
  return IpAddress::fromV6(bytes);
}

int prefixOf(const sockaddr* mask) {
  if (mask == nullptr) {
    return 0;
  }
  const uint8_t* bytes = nullptr;
  size_t size = 0;
  if (mask->sa_family == AF_INET) {
    bytes = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
    size = 4;
  } else {
    bytes =
        reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr);
    size = 16;
  }
  int prefix = 0;
  for (size_t i = 0; i < size; ++i) {
    prefix += __builtin_popcount(bytes[i]);
  }
  return prefix;
}

std::string readProc(const std::string& path) {
  std::string text;
  std::string error;
  if (readRegularFile(AT_FDCWD, path, kMaxProcFile, text, error) != ReadStatus::kOk) {
    // /proc files report size 0: read them as a stream, bounded all the same.
    text.clear();
    if (FILE* f = std::fopen(path.c_str(), "re")) {
      char buf[4096];
      size_t got = 0;
      while (text.size() < kMaxProcFile && (got = std::fread(buf, 1, sizeof buf, f)) > 0) {
        text.append(buf, got);
      }
      std::fclose(f);
    }
  }
  return text;
}

std::string formatMac(const uint8_t* mac, size_t size) {
  std::string out;
  char part[4];
  for (size_t i = 0; i < size; ++i) {
    std::snprintf(part, sizeof part, i == 0 ? "%02x" : ":%02x", mac[i]);
    out += part;
  }
  return out;
}

// The MAC of a neighbour message when it is `ip` on interface `index` and usable.
std::string neighbourMac(nlmsghdr* h, const IpAddress& ip, unsigned index) {
  auto* nd = static_cast<ndmsg*>(NLMSG_DATA(h));
  if (h->nlmsg_type != RTM_NEWNEIGH || h->nlmsg_len < NLMSG_LENGTH(sizeof(ndmsg)) ||
      static_cast<unsigned>(nd->ndm_ifindex) != index ||
      (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED)) != 0) {
    return {};
  }
  int attrLeft = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(ndmsg)));
  const uint8_t* dst = nullptr;
  std::string lladdr;
  auto* first = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(nd) + NLMSG_ALIGN(sizeof(ndmsg)));
  for (auto* a = first; RTA_OK(a, attrLeft); a = RTA_NEXT(a, attrLeft)) {
    if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 16) {
      dst = static_cast<const uint8_t*>(RTA_DATA(a));
    } else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
      lladdr = formatMac(static_cast<const uint8_t*>(RTA_DATA(a)), 6);
    }
  }
  return dst != nullptr && std::memcmp(dst, ip.bytes(), 16) == 0 ? lladdr : std::string();
}

// The link-layer address of `ip` on interface `index` in the kernel's IPv6 neighbour table
// (netlink RTM_GETNEIGH dump; bounded in messages and time).
std::string neighbourMacV6(const IpAddress& ip, unsigned index) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    return {};
  }
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct {
    nlmsghdr header;
    ndmsg body;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_GETNEIGH;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.body.ndm_family = AF_INET6;
  std::string mac;
  if (::send(fd, &request, sizeof request, 0) == static_cast<ssize_t>(sizeof request)) {
    alignas(nlmsghdr) std::array<char, 32768> buf{};
    bool done = false;
    for (int reads = 0; !done && reads < 64; ++reads) {
      const ssize_t got = ::recv(fd, buf.data(), buf.size(), 0);
      size_t left = got > 0 ? static_cast<size_t>(got) : 0;
      done = left == 0;
      char* at = buf.data();
      while (!done && left >= sizeof(nlmsghdr)) {
        auto* h = reinterpret_cast<nlmsghdr*>(at);
        if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > left || h->nlmsg_type == NLMSG_DONE ||
            h->nlmsg_type == NLMSG_ERROR) {
          done = true;
          break;
        }
        const std::string found = neighbourMac(h, ip, index);
        mac = found.empty() ? mac : found;
        const size_t step = std::min<size_t>(NLMSG_ALIGN(h->nlmsg_len), left);
        at += step;
        left -= step;
      }
    }
  }
  ::close(fd);
  return mac;
}

}  // namespace

std::vector<LocalAddress> localAddresses() {
  std::vector<LocalAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return out;
  }
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_name == nullptr) {
      continue;
    }
    LocalAddress entry;
    entry.interface = a->ifa_name;
    if (a->ifa_addr->sa_family == AF_INET) {
      std::array<uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, 4);
      entry.ip = IpAddress::fromV4(bytes);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      std::array<uint8_t, 16> bytes{};
      std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr, 16);
      entry.ip = IpAddress::fromV6(bytes);
    } else {
      continue;
    }
    entry.prefix = prefixOf(a->ifa_netmask);
    out.push_back(entry);
  }
  ::freeifaddrs(list);
  return out;
}

namespace {

// A default route a table line describes, and its metric.
struct Route {
  GatewayInfo info;
  unsigned long metric = 0;
};

// The route of lowest metric among the lines `parse` accepts (bounded in lines).
template <class Parse>
std::optional<GatewayInfo> bestRoute(const std::string& text, Parse parse) {
  std::istringstream in(text);
  std::string line;
  std::optional<Route> best;
  for (size_t n = 0; n < kMaxLines && std::getline(in, line); ++n) {
    auto route = parse(line);
    if (route && (!best || route->metric < best->metric)) {
      best = std::move(route);
    }
  }
  return best ? std::optional<GatewayInfo>(best->info) : std::nullopt;
}

}  // namespace

std::optional<GatewayInfo> defaultRouteV4(const std::string& routeText,
                                          const std::string& skipInterface) {
  return bestRoute(routeText, [&](const std::string& line) -> std::optional<Route> {
    std::istringstream fields(line);
    std::string iface, dest, gw, flags, refcnt, use, metric, mask;
    if (!(fields >> iface >> dest >> gw >> flags >> refcnt >> use >> metric >> mask) ||
        iface == skipInterface || dest != "00000000" || mask != "00000000" || !allHex(gw, 8) ||
        !allHex(flags, 4) || metric.empty() || metric.size() > 9 ||
        metric.find_first_not_of("0123456789") != std::string::npos ||
        (std::stoul(flags, nullptr, 16) & 0x3) != 0x3) {  // RTF_UP | RTF_GATEWAY
      return std::nullopt;
    }
    // The kernel prints the network-order word as a host-order number.
    const uint32_t word = static_cast<uint32_t>(std::stoul(gw, nullptr, 16));
    std::array<uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), &word, 4);
    return Route{GatewayInfo{iface, IpAddress::fromV4(bytes), std::nullopt, 0, {}},
                 std::stoul(metric)};
  });
}

std::optional<GatewayInfo> defaultRouteV6(const std::string& routeText,
                                          const std::string& skipInterface) {
  return bestRoute(routeText, [&](const std::string& line) -> std::optional<Route> {
    std::istringstream fields(line);
    std::string dest, destLen, src, srcLen, hop, metric, refcnt, use, flags, iface;
    if (!(fields >> dest >> destLen >> src >> srcLen >> hop >> metric >> refcnt >> use >> flags >>
          iface) ||
        iface == skipInterface || destLen != "00" || !allHex(metric, 8) || !allHex(flags, 8) ||
        (std::stoul(flags, nullptr, 16) & 0x3) != 0x3) {
      return std::nullopt;
    }
    const auto gateway = v6FromHex(hop);
    const auto zero = v6FromHex(dest);
    const auto none = IpAddress::parse("::");
    if (!gateway || !zero || *zero != *none || *gateway == *none) {
      return std::nullopt;
    }
    return Route{GatewayInfo{iface, *gateway, std::nullopt, 0, {}},
                 std::stoul(metric, nullptr, 16)};
  });
}

std::string arpLookup(const std::string& arpText, const IpAddress& ip,
                      const std::string& interface) {
  std::istringstream in(arpText);
  std::string line;
  for (size_t n = 0; n < kMaxLines && std::getline(in, line); ++n) {
    std::istringstream fields(line);
    std::string address, type, flags, mac, mask, device;
    if (!(fields >> address >> type >> flags >> mac >> mask >> device) || device != interface ||
        IpAddress::parse(address) != ip || flags.size() < 3 || flags.size() > 10 ||
        flags.compare(0, 2, "0x") != 0 || !allHex(flags.substr(2), flags.size() - 2)) {
      continue;
    }
    bool ok = mac.size() == 17 && mac != "00:00:00:00:00:00";
    for (size_t i = 0; ok && i < mac.size(); ++i) {
      ok = i % 3 == 2 ? mac[i] == ':' : std::isxdigit(static_cast<unsigned char>(mac[i])) != 0;
    }
    if (ok && (std::stoul(flags, nullptr, 16) & 0x2) != 0) {  // ATF_COM: complete
      for (auto& c : mac) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      return mac;
    }
  }
  return {};
}

bool sameLan(const IpAddress& lanIp, int prefix, const IpAddress& ip) {
  const auto net = Cidr::parse(lanIp.toString() + "/" + std::to_string(prefix));
  return net && lanIp.isV4() == ip.isV4() && net->contains(ip);
}

void pickLanAddress(GatewayInfo& info, const std::vector<LocalAddress>& addresses) {
  for (const bool mustContain : {true, false}) {
    for (const auto& a : addresses) {
      if (a.interface != info.interface || a.ip.isV4() != info.gateway.isV4() ||
          !a.ip.isHostAddress() || (mustContain && !sameLan(a.ip, a.prefix, info.gateway))) {
        continue;
      }
      info.lanIp = a.ip;
      info.lanPrefix = a.prefix;
      return;
    }
  }
}

std::optional<GatewayInfo> discoverGateway(const std::string& skipInterface) {
  auto info = defaultRouteV4(readProc("/proc/net/route"), skipInterface);
  if (info) {
    info->mac = arpLookup(readProc("/proc/net/arp"), info->gateway, info->interface);
  } else {
    info = defaultRouteV6(readProc("/proc/net/ipv6_route"), skipInterface);
    if (!info) {
      return std::nullopt;
    }
    info->mac = neighbourMacV6(info->gateway, ::if_nametoindex(info->interface.c_str()));
  }
  pickLanAddress(*info, localAddresses());
  return info;
}

}  // namespace chipmunk::updater
