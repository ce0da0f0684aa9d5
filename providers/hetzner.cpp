// SPDX-License-Identifier: MIT
// Hetzner DNS through the Hetzner DNS Console API v1.
//   Reference: https://dns.hetzner.com/api-docs
//   Auth:      Auth-API-Token: TOKEN (dns.hetzner.com: API tokens)
//   Zones:     GET /api/v1/zones?name=DOMAIN -> {"zones":[{"id","name",...}],"meta":{...}}
//   Records:   GET /api/v1/records?zone_id=ID&page=&per_page= -> {"records":[{"id","type",
//              "name" ("@" for the apex),"value","ttl" (absent: the zone's),"zone_id"}],
//              "meta":{"pagination":{"page","per_page","last_page","total_entries"}}}
//   Update:    PUT /api/v1/records/ID {"zone_id","type","name","value"[,"ttl"]}: a full
//              replacement, so the record's own TTL is sent back when it has one
//   Create:    POST /api/v1/records {"zone_id","type","name","value"[,"ttl"]}
//   Errors:    {"message":"..."} or {"error":{"message","code"}}; 401 invalid token, 404
//              unknown zone or record, 422 invalid value, 429 with Retry-After (the API
//              rate-limits per second, minute and hour and says so in Ratelimit-* headers)
// Hetzner is moving DNS into its Cloud Console and API; this provider speaks the DNS Console
// API that existing dns.hetzner.com tokens use.
#include <rapidjson/pointer.h>

#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kHetznerEndpoint = "https://dns.hetzner.com/api/v1";
constexpr int kHetznerPerPage = 100;
constexpr int kHetznerMaxPages = 100;

class HetznerProvider final : public DnsProvider {
 public:
  explicit HetznerProvider(const ProviderContext& context)
      : api_(context, "Auth-API-Token", context.get("api_token"),
             [](const HttpResponse& resp, const std::string& what) {
               return classifyJsonMessage(resp, what, {"/message", "/error/message"});
             }) {}

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string domain = lowercase(record.domain);
    const std::string name = record.host.empty() ? "@" : lowercase(record.host);
    const std::string type = toString(record.type);
    std::string zoneId;
    if (auto stop = api_.zoneId(domain, "/zones?name=" + urlEncode(domain),
                                {"zones", "a zones listing"}, zoneId)) {
      return *stop;
    }
    std::optional<FoundRecord> found;
    int page = 1;
    const auto pagePath = [&] {
      return "/records?zone_id=" + urlEncode(zoneId) + "&page=" + std::to_string(page) +
             "&per_page=" + std::to_string(kHetznerPerPage);
    };
    const auto next = [&](const rapidjson::Document& doc) -> std::string {
      const rapidjson::Value* last = rapidjson::Pointer("/meta/pagination/last_page").Get(doc);
      const int lastPage = last != nullptr && last->IsInt() ? last->GetInt() : 1;
      return found || ++page > lastPage ? "" : pagePath();
    };
    const auto visit = [&](const rapidjson::Value& item) {
      if (!found && jsonString(item, "type") == type &&
          lowercase(jsonString(item, "name")) == name && !jsonString(item, "id").empty()) {
        found = FoundRecord{jsonString(item, "id"), jsonString(item, "value"),
                            jsonInt(item, "ttl", 0)};  // 0: the zone's default applies
      }
    };
    int status = 0;
    if (auto stop = api_.listPages(pagePath(), {"records", "a records listing"}, kHetznerMaxPages,
                                   next, visit, &status)) {
      if (status == 404) {
        api_.forgetZone(domain);
      }
      return *stop;
    }
    const std::string content = ip.toString();
    // Create and update send the whole record; the update keeps the record's own TTL.
    const auto body = [&](long long ttl) {
      return JsonBody()
          .add("zone_id", zoneId)
          .add("type", type)
          .add("name", name)
          .add("value", content)
          .addPositive("ttl", ttl)
          .text();
    };
    return api_.sync(
        {record.fqdn(), type, content}, found,
        [&] {
          return api_.sendCreate(api_.request("POST", "/records", body(api_.ttl())), {200},
                                 content);
        },
        [&](const FoundRecord& f) {
          return api_.sendUpdate(
              api_.request("PUT", "/records/" + urlEncode(f.id), body(api_.ttlOr(f.ttl))), {200},
              f.id, content);
        });
  }

 private:
  RestRecords api_;
};

}  // namespace

ProviderInfo hetznerProvider() {
  using T = config::SettingType;
  return providerOf<HetznerProvider>(
      "hetzner", "Hetzner DNS Console, API v1", "https://dns.hetzner.com/api-docs",
      restSettings(
          {config::Setting("api_token", T::kSecret).required().help("DNS Console API token.")},
          {kHetznerEndpoint, "TTL to set; 0: keep the record's (or the zone's default).", 86400,
           "Create the record when the zone lacks it."}));
}

}  // namespace chipmunk::providers
