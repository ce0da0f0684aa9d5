// SPDX-License-Identifier: MIT
// Vultr DNS through the Vultr API v2.
//   Reference: https://www.vultr.com/api/#tag/dns
//   Auth:      Authorization: Bearer API_KEY (the key's access-control list must allow this
//              machine's address)
//   List:      GET /v2/domains/DOMAIN/records?per_page=&cursor= -> {"records":[{"id","type",
//              "name" ("" for the apex),"data","priority","ttl"}],"meta":{"total",
//              "links":{"next":CURSOR,"prev"}}}: cursor pagination, "" when done
//   Update:    PATCH /v2/domains/DOMAIN/records/ID {"data"[,"ttl"]} -> 204; fields not sent
//              keep their values (priority, TTL)
//   Create:    POST /v2/domains/DOMAIN/records {"name","type","data","ttl"} -> 201
//   Errors:    {"error":"...","status":N}: 401 bad key, 403 key not allowed from this address,
//              404 unknown domain or record; 429 (and, in older deployments, 503) when over
//              the rate limit
#include <rapidjson/pointer.h>

#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kVultrEndpoint = "https://api.vultr.com/v2";
constexpr int kVultrPerPage = 500;  // the API's maximum
constexpr int kVultrMaxPages = 50;
constexpr JsonShape kListing{"records", "a records listing"};

class VultrProvider final : public DnsProvider {
 public:
  explicit VultrProvider(const ProviderContext& context)
      : api_(context, "Authorization", "Bearer " + context.get("api_key"),
             [](const HttpResponse& resp, const std::string& what) {
               return classifyJsonMessage(resp, what, {"/error"});
             }) {}

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string name = lowercase(record.host);
    const std::string type = toString(record.type);
    const std::string base = "/domains/" + urlEncode(lowercase(record.domain)) + "/records";
    std::optional<FoundRecord> found;
    const auto page = [&](const std::string& cursor) {
      return base + "?per_page=" + std::to_string(kVultrPerPage) +
             (cursor.empty() ? "" : "&cursor=" + urlEncode(cursor));
    };
    const auto next = [&](const rapidjson::Document& doc) -> std::string {
      const rapidjson::Value* v = rapidjson::Pointer("/meta/links/next").Get(doc);
      return found || v == nullptr || !v->IsString() || v->GetStringLength() == 0
                 ? ""
                 : page(v->GetString());
    };
    const auto visit = [&](const rapidjson::Value& item) {
      if (!found && jsonString(item, "type") == type &&
          lowercase(jsonString(item, "name")) == name && !jsonString(item, "id").empty()) {
        found =
            FoundRecord{jsonString(item, "id"), jsonString(item, "data"), jsonInt(item, "ttl", 0)};
      }
    };
    if (auto stop = api_.listPages(page(""), kListing, kVultrMaxPages, next, visit)) {
      return *stop;
    }
    const std::string content = ip.toString();
    return api_.sync(
        {record.fqdn(), type, content}, found,
        [&] {
          JsonBody body;
          body.add("name", name).add("type", type).add("data", content);
          body.add("ttl", api_.ttlOr(300));  // the record gets Vultr's usual TTL unless set
          return api_.sendCreate(api_.request("POST", base, body.text()), {201}, content);
        },
        [&](const FoundRecord& f) {
          return api_.sendUpdate(
              api_.request("PATCH", base + "/" + urlEncode(f.id),
                           JsonBody().add("data", content).addPositive("ttl", api_.ttl()).text()),
              {204, 200}, f.id, content);
        });
  }

 private:
  RestRecords api_;
};

}  // namespace

ProviderInfo vultrProvider() {
  using T = config::SettingType;
  return providerOf<VultrProvider>(
      "vultr", "Vultr DNS, API v2", "https://www.vultr.com/api/#tag/dns",
      restSettings({config::Setting("api_key", T::kSecret)
                        .required()
                        .help("API key (its access control must allow this machine's address).")},
                   {kVultrEndpoint, "TTL to set; 0: keep the record's.", 86400,
                    "Create the record when the domain lacks it (TTL 300 unless ttl is set)."}));
}

}  // namespace chipmunk::providers
