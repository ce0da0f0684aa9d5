// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "config/updater_config.hpp"
#include "providers/http/client.hpp"

namespace chipmunk::updater {

enum class Family { kIPv4, kIPv6 };

inline const char* toString(Family f) {
  return f == Family::kIPv4 ? "ipv4" : "ipv6";
}

// chipmunk-api's base URL from [ChipmunkAPIServer] endpoint, which may name /set or /get/ip.
std::string chipmunkBaseUrl(const std::string& url);

// Turns text a source returned into an address: surrounding white space is dropped; anything
// else that is not exactly one address (an HTML error page, "Your IP: ...") is an error, as
// is an address of the other family, one that is no host's (isHostAddress: unspecified,
// broadcast, multicast, ... even with `allowPrivate`) or, unless `allowPrivate`, one that is
// not public.
std::optional<IpAddress> validateAddress(const std::string& text, Family family, bool allowPrivate,
                                         std::string& error);

// The value of a dotted field ("ip", "data.ip") of a JSON object, as text; nullopt when the
// body is not JSON or lacks the field.
std::optional<std::string> jsonField(const std::string& body, const std::string& field);
// The first capture group of the first match (or the whole match when the regex has none).
// PCRE2 with match and heap limits (common/pattern.hpp): when the pattern gives up on the
// text, nullopt with the reason in `error` (if given).
std::optional<std::string> regexMatch(const std::string& text, const std::string& regex,
                                      std::string* error = nullptr);

// An address of an interface, as the OS reports it.
struct InterfaceAddress {
  std::string interface;
  IpAddress ip;
  bool temporary = false;   // IPv6 privacy address (IFA_F_TEMPORARY)
  bool deprecated = false;  // preferred lifetime over (IFA_F_DEPRECATED), or tentative
};

// The addresses of `name` (getifaddrs, plus /proc/net/if_inet6 for IPv6 flags on Linux).
std::vector<InterfaceAddress> interfaceAddresses(const std::string& name);
// Picks the address to publish: right family, not temporary or deprecated, public first
// (a private one only when allowed). Global IPv6 addresses are preferred.
std::optional<IpAddress> pickInterfaceAddress(const std::vector<InterfaceAddress>& addresses,
                                              Family family, bool allowPrivate);

// One way to learn the address.
class IpSource {
 public:
  virtual ~IpSource() = default;
  // The raw text holding the address for `family`, or nullopt with `error` set.
  virtual std::optional<std::string> fetch(Family family, std::string& error) = 0;
  virtual bool handles(Family family) const = 0;
};

std::unique_ptr<IpSource> makeSource(const config::SourceConfig& config,
                                     const providers::HttpOptions& http, bool allowPrivate);

struct DiscoveryResult {
  std::optional<IpAddress> ip;
  std::string source;               // the source(s) that answered: "a" or "a+b" (consensus)
  std::vector<std::string> errors;  // "source: message" for every source that failed
  // Consensus: "source: answered X, the agreed address is Y" for every source outvoted.
  std::vector<std::string> outliers;
};

// The configured sources. With consensus 1, tried in order until one gives a valid address;
// with consensus N, asked in parallel (one source per operator, in order, as few as can still
// agree; more when answers fail or differ), and an address is taken only when N operators
// report it. The whole discovery takes at most twice the HTTP timeout.
class Discovery {
 public:
  Discovery(const std::vector<config::SourceConfig>& sources, const providers::HttpOptions& http,
            bool allowPrivate, int consensus = 1);
  DiscoveryResult discover(Family family);

  struct Entry {
    std::string name;
    std::string operatorName;
    std::unique_ptr<IpSource> source;
  };
  // One source's answer in a consensus round.
  struct Answer {
    Entry* entry = nullptr;
    std::optional<IpAddress> ip;
    std::string error;
  };

 private:
  DiscoveryResult discoverInOrder(Family family);
  DiscoveryResult discoverByConsensus(Family family);
  std::vector<Answer> ask(const std::vector<Entry*>& batch, Family family);

  std::vector<Entry> sources_;
  bool allowPrivate_ = false;
  int consensus_ = 1;
  std::chrono::milliseconds budget_{0};
};

}  // namespace chipmunk::updater
