// The dyndns2 protocol (DynDNS "Remote Access API"), spoken by many providers and by
// chipmunk-api's own /nic/update.
//   Reference: https://help.dyn.com/remote-access-api/perform-update/
//   Return codes: https://help.dyn.com/remote-access-api/return-codes/
#include <cctype>

#include <stdexcept>

#include "provider.hpp"

namespace chipmunk::providers {
namespace {

std::string urlEncode(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      static const char* kHex = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

class Dyndns2Provider final : public DnsProvider {
 public:
  explicit Dyndns2Provider(const ProviderContext& context)
      : server_(context.get("server")),
        username_(context.get("username")),
        password_(context.get("password")),
        http_(context.http) {
    if (server_.rfind("http://", 0) != 0 && server_.rfind("https://", 0) != 0) {
      throw std::invalid_argument("[" + context.section +
                                  "] server must be an http:// or https:// URL");
    }
    while (server_.back() == '/') {
      server_.pop_back();
    }
  }

  // DnsProvider
  UpdateResult prepare() override { return {UpdateStatus::Unchanged, "nothing to look up", {}}; }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    HttpRequest req;
    req.url = server_ + "/nic/update?hostname=" + urlEncode(record.fqdn()) +
              "&myip=" + urlEncode(ip.toString());
    req.basicAuth = std::make_pair(username_, password_);
    const HttpResponse resp = http_.perform(req);
    if (!resp.transportOk() || resp.status != 200) {
      return classifyHttpFailure(resp, "nic/update");
    }
    // The first word of the reply is the return code.
    const std::string code = resp.body.substr(0, resp.body.find_first_of(" \r\n"));
    const std::string detail = "nic/update: " + code;
    if (code == "good") {
      return {UpdateStatus::Updated, detail, {}};
    }
    if (code == "nochg") {
      return {UpdateStatus::Unchanged, detail, {}};
    }
    if (code == "badauth" || code == "abuse" || code == "badagent" || code == "!donator") {
      return {UpdateStatus::AuthFailed, detail, {}};
    }
    if (code == "nohost" || code == "notfqdn") {
      return {UpdateStatus::NotFound, detail, {}};
    }
    if (code == "911" || code == "dnserr") {
      return {UpdateStatus::RetryLater, detail, std::chrono::seconds(1800)};
    }
    return {UpdateStatus::Failed, "nic/update: unexpected reply", {}};
  }

 private:
  std::string server_;
  std::string username_;
  std::string password_;
  HttpClient http_;
};

}  // namespace

ProviderInfo dyndns2Provider() {
  using T = config::SettingType;
  ProviderInfo info;
  info.name = "dyndns2";
  info.description = "Any dyndns2 (/nic/update) server, chipmunk-api included";
  info.documentation = "https://help.dyn.com/remote-access-api/perform-update/";
  info.settings = {
      {"", "server", T::kString, "", "Base URL of the server (https://members.example.net).", true},
      {"", "username", T::kString, "", "Account name.", true},
      {"", "password", T::kSecret, "", "Account password or update token.", true},
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<Dyndns2Provider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
