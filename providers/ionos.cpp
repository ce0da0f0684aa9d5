// SPDX-License-Identifier: MIT
// IONOS DNS through the IONOS Hosting DNS API v1.
//   Reference: https://developer.hosting.ionos.com/docs/dns
//   Auth:      https://developer.hosting.ionos.com/docs/getstarted (X-API-Key: PREFIX.SECRET)
//   Zones:     GET /dns/v1/zones -> [{"name","id","type"}]
//   Records:   GET /dns/v1/zones/ZONE_ID?recordName=FQDN&recordType=TYPE -> {"name","id",
//              "type","records":[{"name","rootName","type","content","changeDate","ttl",
//              "prio","disabled","id"}]}
//   Update:    PUT /dns/v1/zones/ZONE_ID/records/RECORD_ID {"content","ttl","prio",
//              "disabled"}: every field is set, so the record's own ttl, prio and disabled flag
//              are sent back with the new content
//   Create:    POST /dns/v1/zones/ZONE_ID/records [{"name","type","content","ttl","prio",
//              "disabled"}] -> 201
//   Errors:    [{"code":"UNAUTHORIZED"|"NOT_FOUND"|...,"message":"..."}]; 401 refused key,
//              403 key without access, 404 unknown zone or record, 429 rate limit
#include <rapidjson/pointer.h>

#include <stdexcept>

#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kIonosEndpoint = "https://api.hosting.ionos.com/dns/v1";
constexpr long long kDefaultTtl = 3600;

// [{"code","message"}]: the first error's.
UpdateResult ionosFailure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& r) {
    const rapidjson::Value* first = doc.IsArray() ? rapidjson::Pointer("/0").Get(doc) : nullptr;
    if (first != nullptr && first->IsObject()) {
      const std::string message = jsonString(*first, "message");
      r.detail += " (" + jsonString(*first, "code") +
                  (message.empty() ? "" : ": " + message.substr(0, 200)) + ")";
    }
  });
}

const std::string& checkedKey(const ProviderContext& context) {
  const std::string& key = context.get("api_key");
  if (key.find('.') == std::string::npos) {
    throw std::invalid_argument("[" + context.section +
                                "] api_key must be PREFIX.SECRET, as IONOS shows it");
  }
  return key;
}

class IonosProvider final : public DnsProvider {
 public:
  explicit IonosProvider(const ProviderContext& context)
      : api_(context, "X-API-Key", checkedKey(context), ionosFailure) {}

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string domain = lowercase(record.domain);
    const std::string fqdn = lowercase(record.fqdn());
    const std::string type = toString(record.type);
    std::string zoneId;
    if (auto stop = api_.zoneId(domain, "/zones", {nullptr, "a zone list"}, zoneId)) {
      return *stop;
    }
    const std::string zone = "/zones/" + urlEncode(zoneId);
    rapidjson::Document doc;
    int status = 0;
    if (auto stop = api_.fetch(
            api_.request("GET", zone + "?recordName=" + urlEncode(fqdn) + "&recordType=" + type),
            {200}, "read records", {"records", "a zone with records"}, doc, &status)) {
      if (status == 404) {
        api_.forgetZone(domain);  // the zone may have been recreated under a new id
      }
      return *stop;
    }
    std::optional<FoundRecord> found;
    for (const auto& item : doc["records"].GetArray()) {
      if (jsonString(item, "type") == type && lowercase(jsonString(item, "name")) == fqdn &&
          !jsonString(item, "id").empty()) {
        found = FoundRecord{jsonString(item, "id"), jsonString(item, "content"),
                            jsonInt(item, "ttl", kDefaultTtl), &item};
        break;
      }
    }
    const std::string content = ip.toString();
    return api_.sync(
        {fqdn, type, content}, found,
        [&] {
          const long long ttl = api_.ttlOr(kDefaultTtl);
          const std::string body = "[" +
                                   JsonBody()
                                       .add("name", fqdn)
                                       .add("type", type)
                                       .add("content", content)
                                       .add("ttl", ttl)
                                       .add("prio", 0LL)
                                       .add("disabled", false)
                                       .text() +
                                   "]";
          return api_.sendCreate(api_.request("POST", zone + "/records", body), {201}, content);
        },
        [&](const FoundRecord& f) { return put(zone, f, content); });
  }

 private:
  // Every field is set: the record's own ttl, prio and disabled flag go back with the address.
  UpdateResult put(const std::string& zone, const FoundRecord& f, const std::string& content) {
    const bool disabled = f.item->HasMember("disabled") && (*f.item)["disabled"].IsBool() &&
                          (*f.item)["disabled"].GetBool();
    const std::string body = JsonBody()
                                 .add("content", content)
                                 .add("ttl", api_.ttlOr(f.ttl))
                                 .add("prio", jsonInt(*f.item, "prio", 0))
                                 .add("disabled", disabled)
                                 .text();
    return api_.sendUpdate(api_.request("PUT", zone + "/records/" + urlEncode(f.id), body), {200},
                           f.id, content);
  }

  RestRecords api_;
};

}  // namespace

ProviderInfo ionosProvider() {
  using T = config::SettingType;
  return providerOf<IonosProvider>(
      "ionos", "IONOS DNS, Hosting DNS API v1", "https://developer.hosting.ionos.com/docs/dns",
      restSettings({config::Setting("api_key", T::kSecret)
                        .required()
                        .help("API key as PREFIX.SECRET (developer.hosting.ionos.com).")},
                   {kIonosEndpoint, "TTL to set; 0: keep the record's.", 86400,
                    "Create the record when the zone lacks it (TTL 3600 unless ttl is set)."}));
}

}  // namespace chipmunk::providers
