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
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <stdexcept>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kDefaultEndpoint = "https://dns.hetzner.com/api/v1";
constexpr int kPerPage = 100;
constexpr int kMaxPages = 100;

UpdateResult failure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& r) {
    if (!doc.IsObject()) {
      return;
    }
    const rapidjson::Value* m = rapidjson::Pointer("/message").Get(doc);
    if (m == nullptr || !m->IsString() || m->GetStringLength() == 0) {
      m = rapidjson::Pointer("/error/message").Get(doc);
    }
    if (m != nullptr && m->IsString() && m->GetStringLength() > 0) {
      r.detail += " (" + std::string(m->GetString()).substr(0, 200) + ")";
    }
  });
}

std::string str(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

class HetznerProvider final : public DnsProvider {
 public:
  explicit HetznerProvider(const ProviderContext& context)
      : token_(context.get("api_token")),
        endpoint_(endpointSetting(context)),
        createMissing_(context.getBool("create_missing")),
        ttl_(ttlSetting(context)),
        http_(context.http) {}

  // DnsProvider
  UpdateResult prepare() override { return outcome(UpdateStatus::Unchanged, "nothing to look up"); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string domain = lowercase(record.domain);
    const std::string name = record.host.empty() ? "@" : lowercase(record.host);
    const std::string type = toString(record.type);
    std::string zoneId;
    UpdateResult r = zoneIdFor(domain, zoneId);
    if (!r.ok()) {
      return r;
    }
    std::string id;
    std::string value;
    long long ttl = 0;  // 0: the record has none (the zone's default applies)
    int lastPage = 1;
    for (int page = 1; page <= lastPage && id.empty(); ++page) {
      if (page > kMaxPages) {
        return outcome(UpdateStatus::Failed, "list records: too many pages");
      }
      const HttpResponse resp = http_.perform(request("GET",
                                                      "/records?zone_id=" + urlEncode(zoneId) +
                                                          "&page=" + std::to_string(page) +
                                                          "&per_page=" + std::to_string(kPerPage),
                                                      ""));
      if (!resp.transportOk() || resp.status != 200) {
        if (resp.transportOk() && resp.status == 404) {
          zones_.erase(domain);
        }
        return failure(resp, "list records");
      }
      rapidjson::Document doc;
      std::string error;
      if (!json::parse(doc, resp.body, error) || !doc.IsObject() || !doc.HasMember("records") ||
          !doc["records"].IsArray()) {
        return outcome(UpdateStatus::Failed, "list records: not a records listing");
      }
      for (const auto& item : doc["records"].GetArray()) {
        if (str(item, "type") == type && lowercase(str(item, "name")) == name &&
            !str(item, "id").empty()) {
          id = str(item, "id");
          value = str(item, "value");
          ttl = item.HasMember("ttl") && item["ttl"].IsInt64() ? item["ttl"].GetInt64() : 0;
          break;
        }
      }
      const rapidjson::Value* last = rapidjson::Pointer("/meta/pagination/last_page").Get(doc);
      lastPage = last != nullptr && last->IsInt() ? last->GetInt() : 1;
    }
    const std::string content = ip.toString();
    if (id.empty()) {
      if (!createMissing_) {
        return outcome(UpdateStatus::NotFound,
                       "no " + type + " record " + record.fqdn() + " (create_missing = no)");
      }
      const HttpResponse resp =
          http_.perform(request("POST", "/records", body(zoneId, type, name, content, ttl_)));
      if (!resp.transportOk() || resp.status != 200) {
        return failure(resp, "create record");
      }
      return outcome(UpdateStatus::Updated, "record created -> " + content);
    }
    if (value == content && (ttl_ == 0 || ttl_ == ttl)) {
      return outcome(UpdateStatus::Unchanged, "record already points at " + content);
    }
    const HttpResponse resp =
        http_.perform(request("PUT", "/records/" + urlEncode(id),
                              body(zoneId, type, name, content, ttl_ > 0 ? ttl_ : ttl)));
    if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "update record");
    }
    return outcome(UpdateStatus::Updated, "record " + id + " -> " + content);
  }

 private:
  HttpRequest request(const std::string& method, const std::string& path, std::string body) const {
    return jsonRequest(method, endpoint_ + path, "Auth-API-Token", token_, std::move(body));
  }

  static std::string body(const std::string& zoneId, const std::string& type,
                          const std::string& name, const std::string& value, long long ttl) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("zone_id");
    w.String(zoneId.c_str());
    w.Key("type");
    w.String(type.c_str());
    w.Key("name");
    w.String(name.c_str());
    w.Key("value");
    w.String(value.c_str());
    if (ttl > 0) {
      w.Key("ttl");
      w.Int64(ttl);
    }
    w.EndObject();
    return buf.GetString();
  }

  UpdateResult zoneIdFor(const std::string& domain, std::string& id) {
    if (const auto it = zones_.find(domain); it != zones_.end()) {
      id = it->second;
      return outcome(UpdateStatus::Unchanged, "cached");
    }
    const HttpResponse resp = http_.perform(request("GET", "/zones?name=" + urlEncode(domain), ""));
    if (resp.transportOk() && resp.status == 404) {
      return failure(resp, "zone " + domain);  // the API answers 404 for an unknown name
    }
    if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "list zones");
    }
    rapidjson::Document doc;
    std::string error;
    if (!json::parse(doc, resp.body, error) || !doc.IsObject() || !doc.HasMember("zones") ||
        !doc["zones"].IsArray()) {
      return outcome(UpdateStatus::Failed, "list zones: not a zones listing");
    }
    for (const auto& zone : doc["zones"].GetArray()) {
      if (lowercase(str(zone, "name")) == domain && !str(zone, "id").empty()) {
        id = str(zone, "id");
        zones_[domain] = id;
        return outcome(UpdateStatus::Unchanged, "found");
      }
    }
    return outcome(UpdateStatus::NotFound, "zone " + domain + " is not in this account");
  }

  std::string token_;
  std::string endpoint_;
  bool createMissing_ = false;
  long long ttl_ = 0;
  HttpClient http_;
  std::map<std::string, std::string> zones_;
};

}  // namespace

ProviderInfo hetznerProvider() {
  using T = config::SettingType;
  ProviderInfo info;
  info.name = "hetzner";
  info.description = "Hetzner DNS Console, API v1";
  info.documentation = "https://dns.hetzner.com/api-docs";
  info.settings = {
      {"", "api_token", T::kSecret, "", "DNS Console API token.", true},
      {"", "endpoint", T::kString, kDefaultEndpoint, "API base URL."},
      {"", "ttl", T::kSeconds, "0", "TTL to set; 0: keep the record's (or the zone's default).",
       false, 0, 86400},
      {"", "create_missing", T::kBool, "no", "Create the record when the zone lacks it."},
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<HetznerProvider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
