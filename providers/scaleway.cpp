// SPDX-License-Identifier: MIT
// Scaleway Domains and DNS through the Scaleway API (domain v2beta1).
//   Reference: https://www.scaleway.com/en/developers/api/domains-and-dns/
//   Auth:      X-Auth-Token: SECRET_KEY (an API key's secret)
//   List:      GET /domain/v2beta1/dns-zones/ZONE/records?name=&type=&page=&page_size=
//              -> {"records":[{"id","data","name" (relative, "" for the apex),"priority",
//              "ttl","type","comment",...}],"total_count":N}; pages numbered from 1
//   Write:     PATCH /domain/v2beta1/dns-zones/ZONE/records {"changes":[{"set":{"id_fields":
//              {"name","type","data"},"records":[{...}]}}]} replaces the record matching
//              id_fields by the records given (so every field read is sent back, the data
//              replaced), or {"changes":[{"add":{"records":[{...}]}}]} -> 200 {"records":[...]}
//   Errors:    {"message":"...","type":"denied_authentication"|"permissions_denied"|
//              "not_found"|"invalid_arguments"|...}: 401, 403, 404 (an unknown zone), 400;
//              429 when over the rate limit (X-RateLimit-* headers, Retry-After)
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>

#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kScalewayEndpoint = "https://api.scaleway.com/domain/v2beta1";
constexpr int kPageSize = 100;
constexpr int kScalewayMaxPages = 50;
constexpr long long kScalewayCreateTtl = 3600;  // Scaleway's usual TTL
constexpr JsonShape kListing{"records", "a records listing"};

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void member(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

// {"message":...,"type":...}: the type words the refusal; the status decides the class.
UpdateResult scalewayFailure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& r) {
    const std::string type = jsonString(doc, "type");
    if (type == "denied_authentication" || type == "permissions_denied") {
      r = outcome(UpdateStatus::AuthFailed, r.detail, true);
    } else if (type == "not_found") {
      r = outcome(UpdateStatus::NotFound, r.detail, true);
    }
    const std::string message = jsonString(doc, "message");
    appendReason(r, type.empty() ? message : type + ": " + message);
  });
}

class ScalewayProvider final : public DnsProvider {
 public:
  explicit ScalewayProvider(const ProviderContext& context)
      : zone_(lowercase(context.get("dns_zone"))),
        api_(context, "X-Auth-Token", context.get("secret_key"), scalewayFailure) {}

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string zone = zone_.empty() ? lowercase(record.domain) : zone_;
    const auto name = nameInZone(record, zone);
    if (!name) {
      return outcome(UpdateStatus::NotFound, record.fqdn() + " is not in dns_zone " + zone, true);
    }
    const std::string type = toString(record.type);
    const std::string base = "/dns-zones/" + urlEncode(zone) + "/records";
    rapidjson::Document kept;  // the record found, every field as read
    std::optional<FoundRecord> found;
    int page = 1;
    long long seen = 0;
    const auto pagePath = [&](int n) {
      return base + "?name=" + urlEncode(*name) + "&type=" + type + "&page=" + std::to_string(n) +
             "&page_size=" + std::to_string(kPageSize);
    };
    const auto next = [&](const rapidjson::Document& doc) -> std::string {
      const auto count = doc["records"].Size();
      seen += count;
      return found || count == 0 || seen >= jsonInt(doc, "total_count", 0) ? "" : pagePath(++page);
    };
    const auto visit = [&](const rapidjson::Value& item) {
      if (!found && jsonString(item, "type") == type &&
          lowercase(jsonString(item, "name")) == *name && !jsonString(item, "id").empty()) {
        kept.CopyFrom(item, kept.GetAllocator());
        found = FoundRecord{jsonString(item, "id"), jsonString(item, "data"),
                            jsonInt(item, "ttl", 0), &kept};
      }
    };
    if (auto stop = api_.listPages(pagePath(1), kListing, kScalewayMaxPages, next, visit)) {
      return *stop;
    }
    const std::string content = ip.toString();
    return api_.sync(
        {record.fqdn(), type, content}, found,
        [&] {
          return api_.sendCreate(api_.request("PATCH", base, change(nullptr, *name, type, content)),
                                 {200}, content);
        },
        [&](const FoundRecord& f) {
          return api_.sendUpdate(api_.request("PATCH", base, change(&f, *name, type, content)),
                                 {200}, f.id, content);
        });
  }

 private:
  // The PATCH body: "set" the record `found` (matched by name, type and its old data) to
  // itself with `content` (and the configured TTL), or "add" a new one.
  std::string change(const FoundRecord* found, const std::string& name, const std::string& type,
                     const std::string& content) const {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("changes");
    w.StartArray();
    w.StartObject();
    w.Key(found != nullptr ? "set" : "add");
    w.StartObject();
    if (found != nullptr) {
      w.Key("id_fields");
      w.StartObject();
      member(w, "name", name);
      member(w, "type", type);
      member(w, "data", found->content);
      w.EndObject();
    }
    w.Key("records");
    w.StartArray();
    w.StartObject();
    if (found != nullptr) {  // every field as read but the id, the data and the TTL
      for (const auto& m : found->item->GetObject()) {
        const std::string key = m.name.GetString();
        if (key != "id" && key != "data" && key != "ttl") {
          m.name.Accept(w);
          m.value.Accept(w);
        }
      }
    } else {
      member(w, "name", name);
      member(w, "type", type);
    }
    member(w, "data", content);
    w.Key("ttl");
    w.Int64(found != nullptr ? api_.ttlOr(found->ttl > 0 ? found->ttl : kScalewayCreateTtl)
                             : api_.ttlOr(kScalewayCreateTtl));
    w.EndObject();
    w.EndArray();
    w.EndObject();
    w.EndObject();
    w.EndArray();
    w.Key("return_all_records");
    w.Bool(false);
    w.EndObject();
    return buf.GetString();
  }

  std::string zone_;
  RestRecords api_;
};

}  // namespace

ProviderInfo scalewayProvider() {
  using T = config::SettingType;
  return providerOf<ScalewayProvider>(
      "scaleway", "Scaleway Domains and DNS, API v2beta1",
      "https://www.scaleway.com/en/developers/api/domains-and-dns/",
      restSettings(
          {config::Setting("secret_key", T::kSecret)
               .required()
               .help("An API key's secret key (X-Auth-Token), allowed DomainsDNSFullAccess."),
           config::Setting("dns_zone", T::kString)
               .help("The DNS zone holding the records (example.com or lab.example.com); "
                     "empty: each record's domain.")},
          {kScalewayEndpoint, "TTL to set; 0: keep the record's.", 604800,
           "Create the record when the zone lacks it (TTL 3600 unless ttl is set)."}));
}

}  // namespace chipmunk::providers
