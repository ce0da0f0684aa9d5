// SPDX-License-Identifier: MIT
// GoDaddy DNS through the GoDaddy Domains API v1.
//   Reference: https://developer.godaddy.com/doc/endpoint/domains
//   Auth:      https://developer.godaddy.com/getstarted (Authorization: sso-key KEY:SECRET;
//              production keys; GoDaddy limits the API to qualifying accounts and answers the
//              others 403 ACCESS_DENIED)
//   Read:      GET /v1/domains/DOMAIN/records/TYPE/NAME ("@" for the apex) ->
//              [{"data","name","ttl","type"}], [] when there is none
//   Write:     PUT the same URL [{"data":ADDRESS,"ttl":N}]: replaces every record of that name
//              and type, so the record's own TTL is sent back (600 is GoDaddy's minimum)
//   Errors:    {"code":"...","message":"..."}: 401 UNABLE_TO_AUTHENTICATE, 403 ACCESS_DENIED,
//              404 UNKNOWN_DOMAIN, 422 INVALID_BODY...; 429 TOO_MANY_REQUESTS carries the wait
//              in its body, "retryAfterSec" (60 requests a minute per endpoint)
#include <algorithm>
#include <limits>

#include "common/strings.hpp"
#include "providers/http/retry_after.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kGodaddyEndpoint = "https://api.godaddy.com/v1";
constexpr long long kMinTtl = 600;

// GoDaddy's {"code","message","retryAfterSec"}: UNKNOWN_DOMAIN and NOT_FOUND are NotFound.
UpdateResult godaddyFailure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [&resp](const rapidjson::Document& doc, UpdateResult& r) {
    const std::string code = jsonString(doc, "code");
    const std::string message = jsonString(doc, "message");
    constexpr long long kAbsent = std::numeric_limits<long long>::min();
    const long long wait = jsonInt(doc, "retryAfterSec", kAbsent);
    if (resp.status == 429 && !r.retryAfter && wait != kAbsent) {
      r.retryAfter = std::chrono::seconds(std::clamp<long long>(wait, 1, kMaxRetryAfter.count()));
    }
    if (code == "UNKNOWN_DOMAIN" || code == "NOT_FOUND") {
      r.status = UpdateStatus::NotFound;
    }
    if (!code.empty() || !message.empty()) {
      r.detail += " (" + code + (message.empty() ? "" : ": " + message.substr(0, 200)) + ")";
    }
  });
}

class GoDaddyProvider final : public DnsProvider {
 public:
  explicit GoDaddyProvider(const ProviderContext& context)
      : api_(context, "Authorization",
             "sso-key " + context.get("api_key") + ":" + context.get("api_secret"),
             godaddyFailure) {}

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string name = record.host.empty() ? "@" : lowercase(record.host);
    const std::string type = toString(record.type);
    const std::string path = "/domains/" + urlEncode(lowercase(record.domain)) + "/records/" +
                             type + "/" + (name == "@" ? name : urlEncode(name));
    const std::string content = ip.toString();
    rapidjson::Document doc;
    if (auto stop = api_.fetch(api_.request("GET", path), {200}, "read records",
                               {nullptr, "a record list"}, doc)) {
      return *stop;
    }
    std::optional<FoundRecord> found;
    if (!doc.Empty()) {
      const auto& first = doc[0];
      found = FoundRecord{"", doc.Size() == 1 ? jsonString(first, "data") : "",
                          jsonInt(first, "ttl", kMinTtl)};
    }
    // The PUT replaces every record of the name and type: keep their TTL unless one is set.
    const auto put = [&](long long ttl) {
      const std::string body = "[" + JsonBody().add("data", content).add("ttl", ttl).text() + "]";
      return api_.send({api_.request("PUT", path, body),
                        {200},
                        "put records",
                        record.fqdn() + " " + type + " -> " + content});
    };
    return api_.sync(
        {record.fqdn(), type, content}, found, [&] { return put(api_.ttlOr(kMinTtl)); },
        [&](const FoundRecord& f) { return put(api_.ttlOr(f.ttl)); });
  }

 private:
  RestRecords api_;
};

}  // namespace

ProviderInfo godaddyProvider() {
  using T = config::SettingType;
  return providerOf<GoDaddyProvider>(
      "godaddy", "GoDaddy DNS, Domains API v1 (sso-key)",
      "https://developer.godaddy.com/doc/endpoint/domains",
      restSettings({config::Setting("api_key", T::kSecret).required().help("Production API key."),
                    config::Setting("api_secret", T::kSecret).required().help("Its secret.")},
                   {kGodaddyEndpoint, "TTL to set (600 s or more); 0: keep the record's.", 604800,
                    "Create the record when the domain lacks it (TTL 600 unless ttl is set)."}));
}

}  // namespace chipmunk::providers
