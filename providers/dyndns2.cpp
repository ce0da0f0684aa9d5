// SPDX-License-Identifier: MIT
// The dyndns2 protocol (DynDNS "Remote Access API"), spoken by many providers and by
// chipmunk-api's own /nic/update.
//   Reference: https://help.dyn.com/remote-access-api/perform-update/
//   Return codes: https://help.dyn.com/remote-access-api/return-codes/
// GET /nic/update?hostname=FQDN&myip=ADDRESS with HTTP Basic auth and our User-Agent (Dyn
// blocks clients without one: "badagent"). The first word of the reply is the return code.
// Codes that mean "this will never work as configured" stop the record until the
// configuration is reloaded, as the return-codes page asks of clients; "dnserr" and "911"
// ask for at least 30 minutes before the next try.
#include <map>
#include <stdexcept>
#include <utility>

#include "common/strings.hpp"
#include "providers/dyndns2_codes.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers {
namespace {

constexpr std::chrono::seconds kServerTrouble{30 * 60};

class Dyndns2Provider final : public DnsProvider {
 public:
  explicit Dyndns2Provider(const ProviderContext& context)
      : server_(context.get("server")),
        username_(context.get("username")),
        password_(context.get("password")),
        ipv6Param_(lowercase(context.get("ipv6_param"))),
        path_(context.get("path")),
        http_(context.http) {
    if (server_.rfind("http://", 0) != 0 && server_.rfind("https://", 0) != 0) {
      throw std::invalid_argument("[" + context.section +
                                  "] server must be an http:// or https:// URL");
    }
    if (path_.empty()) {
      path_ = "/nic/update";
    }
    if (path_[0] != '/' || path_.find_first_of(" #") != std::string::npos) {
      throw std::invalid_argument("[" + context.section +
                                  "] path must start with / (and hold no space or #)");
    }
    while (server_.back() == '/') {
      server_.pop_back();
    }
    if (ipv6Param_.empty()) {
      ipv6Param_ = "myip";
    }
  }

  // DnsProvider
  UpdateResult prepare() override { return outcome(UpdateStatus::Unchanged, "nothing to look up"); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    HttpRequest req;
    // Servers that keep A and AAAA apart read an IPv6 address from myipv6= (ipv6_param =
    // myipv6); Dyn-style servers, chipmunk-api included, take either family in myip=; some
    // (ddclient 4, Fritz!Box style) want both at once, myip=V4,V6 (ipv6_param = combined):
    // then the other family's last accepted address goes along.
    const std::string fqdn = lowercase(record.fqdn());
    std::string value = ip.toString();
    if (ipv6Param_ == "combined") {
      const auto& last = last_[fqdn];
      const std::string& other = ip.isV4() ? last.second : last.first;
      if (!other.empty()) {
        value = ip.isV4() ? value + "," + other : other + "," + value;
      }
    }
    const std::string param = ip.isV6() && ipv6Param_ == "myipv6" ? "myipv6" : "myip";
    // A path with a query of its own (OVH's /nic/update?system=dyndns) keeps it.
    req.url = server_ + path_ + (path_.find('?') == std::string::npos ? "?" : "&") +
              "hostname=" + urlEncode(record.fqdn()) + "&" + param + "=" + urlEncode(value);
    req.basicAuth = std::make_pair(username_, password_);
    const HttpResponse resp = http_.perform(req);
    const std::string code =
        resp.transportOk() ? resp.body.substr(0, resp.body.find_first_of(" \r\n")) : "";
    const std::string detail = "nic/update: " + code;
    if (code == dyndns2::k911 || code == dyndns2::kDnserr) {
      // Also when it comes with a 5xx, as chipmunk-api sends it.
      UpdateResult r =
          outcome(UpdateStatus::RetryLater, detail + " (server trouble; waiting 30 min)");
      r.retryAfter = std::max(kServerTrouble, resp.retryAfter().value_or(kServerTrouble));
      return r;
    }
    if (!resp.transportOk() || resp.status != 200) {
      return classifyHttpFailure(resp, "nic/update");
    }
    if (code == dyndns2::kGood || code == dyndns2::kNochg) {
      (ip.isV4() ? last_[fqdn].first : last_[fqdn].second) = ip.toString();
      return outcome(code == dyndns2::kGood ? UpdateStatus::Updated : UpdateStatus::Unchanged,
                     detail);
    }
    if (code == dyndns2::kBadauth) {
      return outcome(UpdateStatus::AuthFailed, detail + " (user name or password refused)", true);
    }
    if (code == dyndns2::kNotDonator || code == dyndns2::kAbuse || code == dyndns2::kBadagent) {
      return outcome(UpdateStatus::AuthFailed,
                     detail + (code == dyndns2::kAbuse      ? " (account blocked for abuse)"
                               : code == dyndns2::kBadagent ? " (client refused)"
                                                            : " (feature needs a paid account)"),
                     true);
    }
    if (code == dyndns2::kNohost || code == dyndns2::kNotfqdn || code == dyndns2::kNumhost) {
      return outcome(UpdateStatus::NotFound,
                     detail + (code == dyndns2::kNohost    ? " (host name not in this account)"
                               : code == dyndns2::kNotfqdn ? " (not a fully qualified host name)"
                                                           : " (too many hosts in one request)"),
                     true);
    }
    return outcome(UpdateStatus::Failed, "nic/update: unexpected reply");
  }

 private:
  std::string server_;
  std::string username_;
  std::string password_;
  std::string ipv6Param_;
  std::string path_;
  HttpClient http_;
  std::map<std::string, std::pair<std::string, std::string>> last_;  // fqdn -> accepted v4, v6
};

}  // namespace

ProviderInfo dyndns2Provider() {
  using T = config::SettingType;
  ProviderInfo info = providerOf<Dyndns2Provider>(
      "dyndns2", "Any dyndns2 (/nic/update) server, chipmunk-api included",
      "https://help.dyn.com/remote-access-api/perform-update/");
  info.settings = {
      config::Setting("server", T::kString)
          .required()
          .help("Base URL of the server (https://members.example.net)."),
      config::Setting("username", T::kString).required().help("Account name."),
      config::Setting("password", T::kSecret).required().help("Account password or update token."),
      config::Setting("ipv6_param", T::kChoice)
          .choices({"myip", "myipv6", "combined"})
          .byDefault("myip")
          .help("Query parameter that carries an AAAA record's address: myip (Dyn, chipmunk-api), "
                "myipv6 (servers that keep the families apart) or combined (myip=V4,V6 with the "
                "other family's last address)."),
      config::Setting("path", T::kString)
          .byDefault("/nic/update")
          .help("Update path, with a query of its own if the server needs one "
                "(/nic/update?system=dyndns); ddclient calls it script."),
  };
  // No `endpoint`: the server setting; dyndns2_fuzz covers its replies.
  info.httpApi = false;
  return info;
}

}  // namespace chipmunk::providers
