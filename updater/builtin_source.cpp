// SPDX-License-Identifier: MIT
#include "updater/builtin_source.hpp"

#include <cstdlib>
#include <set>
#include <sstream>

#include "common/ip.hpp"
#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "updater/dns_query.hpp"

namespace chipmunk::updater {
namespace {

using config::BuiltinAnswer;
using config::BuiltinSource;

// A well-known echo service answers in a few hundred bytes; anything much larger is not an
// answer (an error page, or a hostile stream).
constexpr size_t kMaxBuiltinBody = 4096;

class BuiltinIpSource final : public IpSource {
 public:
  BuiltinIpSource(std::string name, providers::HttpOptions http,
                  std::optional<BuiltinOverride> override)
      : name_(std::move(name)), http_(std::move(http)), override_(std::move(override)) {}

  // IpSource
  bool handles(Family family) const override { return row(family) != nullptr; }
  std::optional<std::string> fetch(Family family, std::string& error) override {
    const BuiltinSource* r = row(family);
    if (r == nullptr) {
      error = "no " + std::string(toString(family)) + " question";
      return std::nullopt;
    }
    return r->url.empty() ? fetchDns(*r, error) : fetchHttp(*r, family, error);
  }

 private:
  const BuiltinSource* row(Family family) const {
    for (const auto& r : config::builtinSources()) {
      if (r.name == name_ && r.ipv6 == (family == Family::kIPv6)) {
        return &r;
      }
    }
    return nullptr;
  }

  std::optional<std::string> fetchHttp(const BuiltinSource& r, Family family, std::string& error) {
    const auto url = builtinUrl(r, override_);
    if (!url) {
      error = std::string(config::kBuiltinOverrideVariable) + " names no target for " + r.name;
      return std::nullopt;
    }
    providers::HttpOptions http = http_;
    http.resolve = family == Family::kIPv4 ? providers::IpResolve::kV4 : providers::IpResolve::kV6;
    http.maxBodySize = kMaxBuiltinBody;
    providers::HttpClient client(http);
    providers::HttpRequest req;
    req.url = *url;
    const auto resp = client.perform(req);
    if (!resp.transportOk()) {
      error = *url + ": " + resp.error;
      return std::nullopt;
    }
    if (resp.status != 200) {
      error = *url + ": HTTP " + std::to_string(resp.status);
      return std::nullopt;
    }
    return readHttpAnswer(r, resp.body, error);
  }

  std::optional<std::string> fetchDns(const BuiltinSource& r, std::string& error) {
    DnsQuestion q{r.qname, r.qtype, r.qclass, r.server};
    if (override_) {
      const auto it = override_->targets.find(r.ipv6 ? "dns6" : "dns4");
      if (it == override_->targets.end()) {
        error = std::string(config::kBuiltinOverrideVariable) + " names no target for " + r.name;
        return std::nullopt;
      }
      q.server = it->second;
    }
    const auto records = askDns(q, http_.timeout, error);
    if (!records) {
      error = q.qname + " " + q.qclass + " " + q.qtype + " @" + q.server + ": " + error;
      return std::nullopt;
    }
    return readDnsAnswer(r, *records, error);
  }

  std::string name_;
  providers::HttpOptions http_;
  std::optional<BuiltinOverride> override_;
};

}  // namespace

std::optional<BuiltinOverride> parseBuiltinOverride(const std::string& text) {
  BuiltinOverride out;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      return std::nullopt;
    }
    const std::string key(trimAscii(item.substr(0, eq)));
    if (key != "https4" && key != "https6" && key != "dns4" && key != "dns6") {
      return std::nullopt;
    }
    out.targets[key] = std::string(trimAscii(item.substr(eq + 1)));
  }
  return out;
}

std::optional<BuiltinOverride> builtinOverrideFromEnvironment() {
  const char* value = std::getenv(config::kBuiltinOverrideVariable);
  if (value == nullptr) {
    return std::nullopt;
  }
  // A malformed value still overrides (with no target): a test must never fall through to
  // the real servers.
  auto parsed = parseBuiltinOverride(value);
  return parsed ? parsed : BuiltinOverride{};
}

std::optional<std::string> builtinUrl(const BuiltinSource& row,
                                      const std::optional<BuiltinOverride>& override) {
  if (!override) {
    return row.url;
  }
  const auto it = override->targets.find(row.ipv6 ? "https6" : "https4");
  if (it == override->targets.end()) {
    return std::nullopt;
  }
  const auto scheme = row.url.find("://");
  const auto path = row.url.find('/', scheme + 3);
  return it->second + "/" + row.name + (path == std::string::npos ? "/" : row.url.substr(path));
}

std::optional<std::string> readHttpAnswer(const BuiltinSource& row, const std::string& body,
                                          std::string& error) {
  std::optional<std::string> text;
  if (row.answer == BuiltinAnswer::kText) {
    text = body;
  } else if (row.answer == BuiltinAnswer::kJson) {
    text = jsonField(body, row.field);
  } else {
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(row.field + "=", 0) == 0) {
        text = line.substr(row.field.size() + 1);
        break;
      }
    }
  }
  if (!text) {
    error = "no \"" + row.field + "\" in the reply";
  }
  return text;
}

std::optional<std::string> readDnsAnswer(const BuiltinSource& row,
                                         const std::vector<std::string>& records,
                                         std::string& error) {
  std::set<std::string> addresses;
  for (const auto& r : records) {
    // A TXT record may hold other text besides the address (Google adds an
    // "edns0-client-subnet" one when asked with ECS, which we never send).
    if (row.answer == BuiltinAnswer::kDnsAddress || IpAddress::parse(std::string(trimAscii(r)))) {
      addresses.insert(std::string(trimAscii(r)));
    }
  }
  if (addresses.size() != 1) {
    error = addresses.empty() ? "no address in the " + row.qtype + " answer"
                              : "the " + row.qtype + " answer holds several addresses";
    return std::nullopt;
  }
  return *addresses.begin();
}

std::unique_ptr<IpSource> makeBuiltinSource(const std::string& name,
                                            const providers::HttpOptions& http,
                                            const std::optional<BuiltinOverride>& override) {
  return std::make_unique<BuiltinIpSource>(lowercase(name), http, override);
}

std::string builtinOperator(const std::string& name) {
  for (const auto& r : config::builtinSources()) {
    if (r.name == lowercase(name)) {
      return r.operator_;
    }
  }
  return {};
}

}  // namespace chipmunk::updater
