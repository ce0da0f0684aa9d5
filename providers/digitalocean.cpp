// SPDX-License-Identifier: MIT
// DigitalOcean DNS through the DigitalOcean API v2.
//   Reference: https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domain-Records
//   List:      GET /v2/domains/DOMAIN/records?type=A&name=FQDN&page=&per_page= ->
//              {"domain_records":[{"id","type","name" (relative, "@" for the apex),"data",
//              "priority","port","ttl","weight","flags","tag"}],"links":{"pages":{"next"}},
//              "meta":{"total"}}
//   Update:    PATCH /v2/domains/DOMAIN/records/ID {"data"[,"ttl"]}: fields not sent keep
//              their values (priority, weight, port, flags, tag)
//   Create:    POST /v2/domains/DOMAIN/records {"type","name","data","ttl"} -> 201
//   Errors:    {"id":"unauthorized"|"not_found"|"too_many_requests"|...,"message":"..."};
//              429 carries ratelimit-reset (epoch seconds) and sometimes Retry-After
//   Auth:      Authorization: Bearer TOKEN (a token with domain read/write scope)
#include <rapidjson/pointer.h>

#include <algorithm>
#include <ctime>

#include "common/strings.hpp"
#include "providers/http/retry_after.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kDigitaloceanEndpoint = "https://api.digitalocean.com/v2";
constexpr int kDigitaloceanPerPage = 200;  // the API's maximum
constexpr int kDigitaloceanMaxPages = 50;

UpdateResult digitaloceanFailure(const HttpResponse& resp, const std::string& what) {
  UpdateResult r =
      classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& result) {
        const std::string id = jsonString(doc, "id");
        const std::string message = jsonString(doc, "message").substr(0, 200);
        if (id == "unauthorized" || id == "forbidden") {
          result.status = UpdateStatus::AuthFailed;
        }
        if (!message.empty() || !id.empty()) {
          result.detail += " (" + id + (message.empty() ? "" : ": " + message) + ")";
        }
      });
  if (resp.transportOk() && resp.status == 429 && !r.retryAfter) {
    // No Retry-After: ratelimit-reset says when the hourly window opens again.
    const std::string header = resp.header("ratelimit-reset");
    if (!header.empty() && header.find_first_not_of("0123456789") == std::string::npos &&
        header.size() < 12) {
      const long long now = static_cast<long long>(std::time(nullptr));
      r.retryAfter = std::chrono::seconds(
          std::clamp<long long>(std::stoll(header) - now, 1, kMaxRetryAfter.count()));
    }
  }
  return r;
}

// The path and query of links.pages.next, when it points under our endpoint.
std::string nextPage(const rapidjson::Document& doc) {
  const rapidjson::Value* v = rapidjson::Pointer("/links/pages/next").Get(doc);
  if (v == nullptr || !v->IsString()) {
    return {};
  }
  const std::string url = v->GetString();
  const auto at = url.find("/domains/");
  return at == std::string::npos ? std::string() : url.substr(at);
}

class DigitalOceanProvider final : public DnsProvider {
 public:
  explicit DigitalOceanProvider(const ProviderContext& context)
      : api_(context, "Authorization", "Bearer " + context.get("api_token"), digitaloceanFailure) {}

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string base = "/domains/" + urlEncode(lowercase(record.domain)) + "/records";
    const std::string fqdn = lowercase(record.fqdn());
    const std::string relative = record.host.empty() ? "@" : lowercase(record.host);
    const std::string type = toString(record.type);
    std::optional<FoundRecord> found;
    // Every page, in case a server ignores part of the filter; names compared here too.
    const auto visit = [&](const rapidjson::Value& item) {
      const std::string name = lowercase(jsonString(item, "name"));
      const auto id = item.IsObject() ? item.FindMember("id") : item.MemberEnd();
      if (!found && id != item.MemberEnd() && id->value.IsInt64() &&
          jsonString(item, "type") == type && (name == relative || name == fqdn)) {
        found = FoundRecord{std::to_string(id->value.GetInt64()), jsonString(item, "data"),
                            jsonInt(item, "ttl", 0)};
      }
    };
    if (auto stop = api_.listPages(base + "?type=" + type + "&name=" + urlEncode(fqdn) +
                                       "&per_page=" + std::to_string(kDigitaloceanPerPage),
                                   {"domain_records", "a domain_records listing"},
                                   kDigitaloceanMaxPages, nextPage, visit)) {
      return *stop;
    }
    const std::string content = ip.toString();
    return api_.sync(
        {fqdn, type, content}, found,
        [&] {
          return api_.sendCreate(api_.request("POST", base,
                                              JsonBody()
                                                  .add("type", type)
                                                  .add("name", relative)
                                                  .add("data", content)
                                                  .add("ttl", api_.ttlOr(1800))
                                                  .text()),
                                 {201, 200}, content);
        },
        [&](const FoundRecord& f) {
          return api_.sendUpdate(
              api_.request("PATCH", base + "/" + f.id,
                           JsonBody().add("data", content).addPositive("ttl", api_.ttl()).text()),
              {200}, f.id, content);
        });
  }

 private:
  RestRecords api_;
};

}  // namespace

ProviderInfo digitaloceanProvider() {
  using T = config::SettingType;
  return providerOf<DigitalOceanProvider>(
      "digitalocean", "DigitalOcean DNS, API v2",
      "https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domain-Records",
      restSettings({config::Setting("api_token", T::kSecret)
                        .required()
                        .help("Personal access token with domain read and write.")},
                   {kDigitaloceanEndpoint, "TTL to set (30 s or more); 0: keep the record's.",
                    86400, "Create the record when the domain lacks it."}));
}

}  // namespace chipmunk::providers
