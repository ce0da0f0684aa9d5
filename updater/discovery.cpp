// SPDX-License-Identifier: MIT
#include "updater/discovery.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/json.hpp"
#include "common/pattern.hpp"
#include "common/shell.hpp"
#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "updater/builtin_source.hpp"

namespace chipmunk::updater {
namespace {

std::string preview(const std::string& text) {
  std::string out;
  for (const char c : text.substr(0, 40)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out + (text.size() > 40 ? "..." : "");
}

providers::HttpOptions forFamily(providers::HttpOptions http, Family family) {
  http.resolve = family == Family::kIPv4 ? providers::IpResolve::kV4 : providers::IpResolve::kV6;
  http.maxBodySize = 64 * 1024;
  return http;
}

bool familyAllowed(config::FamilyFilter filter, Family family) {
  return filter == config::FamilyFilter::kAny ||
         (filter == config::FamilyFilter::kIPv4) == (family == Family::kIPv4);
}

// chipmunk-api: /get/ip.json, or /set which also records the address on the server.
class ChipmunkSource final : public IpSource {
 public:
  ChipmunkSource(const config::SourceConfig& config, providers::HttpOptions http)
      : config_(config), http_(std::move(http)), base_(chipmunkBaseUrl(config.url)) {}

  // IpSource
  bool handles(Family family) const override { return familyAllowed(config_.family, family); }
  std::optional<std::string> fetch(Family family, std::string& error) override {
    providers::HttpClient client(forFamily(http_, family));
    providers::HttpRequest req;
    req.url = base_ + (config_.chipmunkSet ? "/set" : "/get/ip.json");
    if (!config_.username.empty()) {
      req.basicAuth = std::make_pair(config_.username, config_.password);
    }
    const auto resp = client.perform(req);
    if (!resp.transportOk()) {
      error = providers::redactUrl(req.url) + ": " + resp.error;
      return std::nullopt;
    }
    if (resp.status != 200) {
      error = providers::redactUrl(req.url) + ": HTTP " + std::to_string(resp.status) +
              (resp.status == 401 ? " (check username and password)" : "");
      return std::nullopt;
    }
    auto ip = jsonField(resp.body, "Client_IP");
    if (!ip) {
      error = providers::redactUrl(req.url) + ": reply has no Client_IP: \"" + preview(resp.body) +
              "\"";
    }
    return ip;
  }

 private:
  config::SourceConfig config_;
  providers::HttpOptions http_;
  std::string base_;
};

class WebSource final : public IpSource {
 public:
  WebSource(const config::SourceConfig& config, providers::HttpOptions http)
      : config_(config), http_(std::move(http)) {}

  // IpSource
  bool handles(Family family) const override { return familyAllowed(config_.family, family); }
  std::optional<std::string> fetch(Family family, std::string& error) override {
    providers::HttpClient client(forFamily(http_, family));
    providers::HttpRequest req;
    req.url = config_.url;
    if (!config_.username.empty()) {
      req.basicAuth = std::make_pair(config_.username, config_.password);
    }
    const auto resp = client.perform(req);
    const std::string where = providers::redactUrl(req.url);
    if (!resp.transportOk()) {
      error = where + ": " + resp.error;
      return std::nullopt;
    }
    if (resp.status != 200) {
      error = where + ": HTTP " + std::to_string(resp.status);
      return std::nullopt;
    }
    std::optional<std::string> text = resp.body;
    if (!config_.jsonField.empty()) {
      text = jsonField(resp.body, config_.jsonField);
    } else if (!config_.regex.empty()) {
      std::string why;
      text = regexMatch(resp.body, config_.regex, &why);
      if (!why.empty()) {
        error = where + ": " + why;
        return std::nullopt;
      }
    }
    if (!text) {
      error = where + ": no address in the reply: \"" + preview(resp.body) + "\"";
    }
    return text;
  }

 private:
  config::SourceConfig config_;
  providers::HttpOptions http_;
};

class InterfaceSource final : public IpSource {
 public:
  InterfaceSource(const config::SourceConfig& config, bool allowPrivate)
      : config_(config), allowPrivate_(allowPrivate) {}

  // IpSource
  bool handles(Family family) const override { return familyAllowed(config_.family, family); }
  std::optional<std::string> fetch(Family family, std::string& error) override {
    const auto addresses = interfaceAddresses(config_.interface);
    if (addresses.empty()) {
      error = "interface " + config_.interface + " has no address (or does not exist)";
      return std::nullopt;
    }
    const auto ip = pickInterfaceAddress(addresses, family, allowPrivate_);
    if (!ip) {
      error = "interface " + config_.interface + " has no usable " + toString(family) + " address";
      return std::nullopt;
    }
    return ip->toString();
  }

 private:
  config::SourceConfig config_;
  bool allowPrivate_ = false;
};

class CommandSource final : public IpSource {
 public:
  CommandSource(const config::SourceConfig& config, std::chrono::milliseconds timeout)
      : config_(config), timeout_(timeout) {}

  // IpSource
  bool handles(Family family) const override { return familyAllowed(config_.family, family); }
  std::optional<std::string> fetch(Family family, std::string& error) override {
    const auto r =
        runShell(config_.command, {{"CHIPMUNK_FAMILY", toString(family)}}, timeout_, true);
    if (!r.started) {
      error = "command did not start: " + r.error;
      return std::nullopt;
    }
    if (r.timedOut) {
      error = "command timed out";
      return std::nullopt;
    }
    if (r.exitCode != 0) {
      error = "command failed exit=" + std::to_string(r.exitCode);
      return std::nullopt;
    }
    if (!config_.regex.empty()) {
      std::string why;
      auto m = regexMatch(r.output, config_.regex, &why);
      if (!why.empty()) {
        error = "command output: " + why;
      } else if (!m) {
        error = "no address in the command's output: \"" + preview(r.output) + "\"";
      }
      return m;
    }
    return r.output;
  }

 private:
  config::SourceConfig config_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::string chipmunkBaseUrl(const std::string& url) {
  std::string base = url;
  // Accept a URL that already names an endpoint.
  for (const char* suffix : {"/get/ip.json", "/get/ip", "/set"}) {
    const std::string s = suffix;
    if (base.size() >= s.size() && base.compare(base.size() - s.size(), s.size(), s) == 0) {
      base.erase(base.size() - s.size());
    }
  }
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return base;
}

std::optional<IpAddress> validateAddress(const std::string& text, Family family, bool allowPrivate,
                                         std::string& error) {
  const std::string t(trimAscii(text));
  if (t.empty()) {
    error = "empty reply";
    return std::nullopt;
  }
  const auto ip = IpAddress::parse(t);
  if (!ip) {
    error = "not an IP address: \"" + preview(t) + "\"";
    return std::nullopt;
  }
  if (ip->isV4() != (family == Family::kIPv4)) {
    error = "got " + ip->toString() + ", wanted an " + toString(family) + " address";
    return std::nullopt;
  }
  if (!ip->isHostAddress()) {
    // Not even allow_private admits these (common/ip.hpp, isPublishable).
    error = ip->toString() +
            " is not a host address (unspecified, broadcast, multicast, "
            "link-local or reserved)";
    return std::nullopt;
  }
  if (!isPublishable(*ip, allowPrivate)) {
    error = ip->toString() + " is not a public address (set allow_private = yes to accept it)";
    return std::nullopt;
  }
  return ip;
}

std::optional<std::string> jsonField(const std::string& body, const std::string& field) {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(doc, body, error)) {
    return std::nullopt;
  }
  const rapidjson::Value* v = &doc;
  size_t pos = 0;
  while (pos <= field.size()) {
    size_t dot = field.find('.', pos);
    if (dot == std::string::npos) {
      dot = field.size();
    }
    const std::string key = field.substr(pos, dot - pos);
    if (!v->IsObject() || !v->HasMember(key.c_str())) {
      return std::nullopt;
    }
    v = &(*v)[key.c_str()];
    pos = dot + 1;
  }
  if (!v->IsString()) {
    return std::nullopt;
  }
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<std::string> regexMatch(const std::string& text, const std::string& regex,
                                      std::string* error) {
  std::string why;
  auto m = firstMatch(text, regex, why);
  if (error != nullptr) {
    *error = why;
  }
  return m;
}

std::vector<InterfaceAddress> interfaceAddresses(const std::string& name) {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return out;
  }
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_name == nullptr || name != a->ifa_name) {
      continue;
    }
    InterfaceAddress entry;
    entry.interface = name;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      std::array<uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), &sin->sin_addr, 4);
      entry.ip = IpAddress::fromV4(bytes);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      std::array<uint8_t, 16> bytes{};
      std::memcpy(bytes.data(), &sin6->sin6_addr, 16);
      entry.ip = IpAddress::fromV6(bytes);
    } else {
      continue;
    }
    out.push_back(entry);
  }
  ::freeifaddrs(list);
  // Linux lists IPv6 address flags here: "<32 hex> <ifindex> <prefix> <scope> <flags> <name>".
  std::ifstream proc("/proc/net/if_inet6");
  std::string line;
  while (std::getline(proc, line)) {
    std::istringstream in(line);
    std::string hex, index, prefix, scope, flags, ifname;
    if (!(in >> hex >> index >> prefix >> scope >> flags >> ifname) || ifname != name ||
        hex.size() != 32) {
      continue;
    }
    std::array<uint8_t, 16> bytes{};
    for (size_t i = 0; i < 16; ++i) {
      bytes[i] = static_cast<uint8_t>(std::stoul(hex.substr(i * 2, 2), nullptr, 16));
    }
    const auto ip = IpAddress::fromV6(bytes);
    const unsigned long f = std::stoul(flags, nullptr, 16);
    for (auto& e : out) {
      if (e.ip == ip) {
        e.temporary = (f & 0x01) != 0;                   // IFA_F_TEMPORARY
        e.deprecated = (f & (0x20 | 0x40 | 0x08)) != 0;  // DEPRECATED, TENTATIVE, DADFAILED
      }
    }
  }
  return out;
}

std::optional<IpAddress> pickInterfaceAddress(const std::vector<InterfaceAddress>& addresses,
                                              Family family, bool allowPrivate) {
  std::optional<IpAddress> fallback;
  for (const auto& a : addresses) {
    if (a.ip.isV4() != (family == Family::kIPv4) || a.temporary || a.deprecated) {
      continue;
    }
    if (isPublishable(a.ip, false)) {
      return a.ip;
    }
    // The same rule as every other source (link-local is never anyone's address elsewhere).
    if (!fallback && isPublishable(a.ip, allowPrivate)) {
      fallback = a.ip;
    }
  }
  return fallback;
}

std::unique_ptr<IpSource> makeSource(const config::SourceConfig& config,
                                     const providers::HttpOptions& http, bool allowPrivate) {
  switch (config.kind) {
    case config::SourceKind::kBuiltin:
      return makeBuiltinSource(config.name, http, builtinOverrideFromEnvironment());
    case config::SourceKind::kChipmunk:
      return std::make_unique<ChipmunkSource>(config, http);
    case config::SourceKind::kWeb:
      return std::make_unique<WebSource>(config, http);
    case config::SourceKind::kInterface:
      return std::make_unique<InterfaceSource>(config, allowPrivate);
    case config::SourceKind::kCommand:
      return std::make_unique<CommandSource>(config, http.timeout);
  }
  return nullptr;
}

Discovery::Discovery(const std::vector<config::SourceConfig>& sources,
                     const providers::HttpOptions& http, bool allowPrivate, int consensus)
    : allowPrivate_(allowPrivate), consensus_(consensus), budget_(2 * http.timeout) {
  for (const auto& s : sources) {
    sources_.push_back({s.name, lowercase(s.operatorName.empty() ? s.name : s.operatorName),
                        makeSource(s, http, allowPrivate)});
  }
}

DiscoveryResult Discovery::discover(Family family) {
  return consensus_ > 1 ? discoverByConsensus(family) : discoverInOrder(family);
}

DiscoveryResult Discovery::discoverInOrder(Family family) {
  DiscoveryResult result;
  for (auto& entry : sources_) {
    if (!entry.source->handles(family)) {
      continue;
    }
    std::string error;
    const auto text = entry.source->fetch(family, error);
    if (text) {
      const auto ip = validateAddress(*text, family, allowPrivate_, error);
      if (ip) {
        result.ip = ip;
        result.source = entry.name;
        return result;
      }
    }
    result.errors.push_back(entry.name + ": " + error);
  }
  if (result.errors.empty()) {
    result.errors.push_back(std::string("no source is configured for ") + toString(family));
  }
  return result;
}

}  // namespace chipmunk::updater
