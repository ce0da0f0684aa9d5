// SPDX-License-Identifier: MIT
// DuckDNS (duckdns.org), its HTTP update API.
//   Reference: https://www.duckdns.org/spec.jsp
//   https://www.duckdns.org/update?domains=NAME&token=TOKEN&ip=V4&ipv6=V6&verbose=true
// The reply is "OK" or "KO"; with verbose=true, "OK" is followed by the IPv4 and IPv6 now
// stored and UPDATED or NOCHANGE. DuckDNS answers KO both for a bad token and for a domain
// that is not the account's, and nothing else: neither heals by retrying.
// DuckDNS fills in a missing ip= from the address the request came from, so an AAAA update
// carries the IPv4 this provider last pushed for the same name, if any, to keep A as it is.
#include <map>
#include <sstream>
#include <stdexcept>

#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kDuckdnsEndpoint = "https://www.duckdns.org/update";
constexpr const char* kZone = "duckdns.org";

class DuckDnsProvider final : public DnsProvider {
 public:
  explicit DuckDnsProvider(const ProviderContext& context)
      : token_(context.get("token")), http_(context.http) {
    const std::string where = "[" + context.section + "] ";
    if (token_.empty()) {
      throw std::invalid_argument(where + "token is required");
    }
    endpoint_ = context.get("endpoint").empty() ? kDuckdnsEndpoint : context.get("endpoint");
    if (endpoint_.rfind("http://", 0) != 0 && endpoint_.rfind("https://", 0) != 0) {
      throw std::invalid_argument(where + "endpoint must be an http:// or https:// URL");
    }
    for (const auto& record : context.records) {
      if (subdomain(record).empty()) {
        throw std::invalid_argument(where + "record " + record.name +
                                    ": DuckDNS needs a host under duckdns.org (host = NAME, "
                                    "domain = duckdns.org)");
      }
    }
  }

  // DnsProvider
  UpdateResult prepare() override { return outcome(UpdateStatus::Unchanged, "nothing to look up"); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string name = subdomain(record);
    std::string url = endpoint_ + (endpoint_.find('?') == std::string::npos ? "?" : "&") +
                      "domains=" + urlEncode(name) + "&token=" + urlEncode(token_);
    if (ip.isV4()) {
      url += "&ip=" + urlEncode(ip.toString());
    } else {
      if (const auto it = lastV4_.find(name); it != lastV4_.end()) {
        url += "&ip=" + urlEncode(it->second);
      }
      url += "&ipv6=" + urlEncode(ip.toString());
    }
    url += "&verbose=true";
    HttpRequest req;
    req.url = url;
    const HttpResponse resp = http_.perform(req);
    if (!resp.transportOk() || resp.status != 200) {
      return classifyHttpFailure(resp, "update");
    }
    std::istringstream in(resp.body);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
        line.pop_back();
      }
      lines.push_back(line);
    }
    const std::string first = lines.empty() ? "" : lines[0];
    if (first == "KO") {
      return outcome(UpdateStatus::AuthFailed,
                     "update: KO (token refused, or " + name + " is not this account's domain)",
                     true);
    }
    if (first != "OK") {
      return outcome(UpdateStatus::Failed, "update: unexpected reply");
    }
    if (ip.isV4()) {
      lastV4_[name] = ip.toString();
    }
    // verbose=true: OK, IPv4, IPv6, UPDATED|NOCHANGE. A server that ignores verbose says
    // only OK: then the address was accepted, and we cannot tell whether it changed.
    const std::string change = lines.size() >= 4 ? lines[3] : "";
    if (change == "NOCHANGE") {
      return outcome(UpdateStatus::Unchanged, "update: OK NOCHANGE");
    }
    return outcome(UpdateStatus::Updated, "update: OK" + (change.empty() ? "" : " " + change));
  }

 private:
  // "home" for home.duckdns.org (also when written as host = home.duckdns.org, domain =
  // duckdns.org); empty when the record is not under duckdns.org.
  static std::string subdomain(const Record& record) {
    const std::string domain = lowercase(record.domain);
    std::string host = lowercase(record.host);
    if (domain == kZone) {
      return host;
    }
    const std::string fqdn = lowercase(record.fqdn());
    const std::string suffix = std::string(".") + kZone;
    if (fqdn.size() > suffix.size() &&
        fqdn.compare(fqdn.size() - suffix.size(), std::string::npos, suffix) == 0) {
      return fqdn.substr(0, fqdn.size() - suffix.size());
    }
    return {};
  }

  std::string token_;
  std::string endpoint_;
  HttpClient http_;
  std::map<std::string, std::string> lastV4_;  // subdomain -> IPv4 last accepted
};

}  // namespace

ProviderInfo duckdnsProvider() {
  using T = config::SettingType;
  ProviderInfo info = providerOf<DuckDnsProvider>("duckdns", "DuckDNS (NAME.duckdns.org)",
                                                  "https://www.duckdns.org/spec.jsp");
  info.settings = {
      config::Setting("token", T::kSecret)
          .required()
          .help("The account token shown on duckdns.org."),
      config::Setting("endpoint", T::kString)
          .byDefault(kDuckdnsEndpoint)
          .help("Update URL (for tests and mirrors)."),
  };
  // Not fuzzed with the JSON APIs: it serves only NAME.duckdns.org records, and its one-word
  // reply is parsed in the plain; tests/providers/duckdns_test.cpp covers it.
  info.httpApi = false;
  return info;
}

}  // namespace chipmunk::providers
