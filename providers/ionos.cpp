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
#include <rapidjson/document.h>
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

constexpr const char* kDefaultEndpoint = "https://api.hosting.ionos.com/dns/v1";

UpdateResult failure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& r) {
    if (!doc.IsArray() || doc.Empty() || !doc[0].IsObject()) {
      return;
    }
    const auto& e = doc[0];
    const std::string code =
        e.HasMember("code") && e["code"].IsString() ? e["code"].GetString() : "";
    const std::string message =
        e.HasMember("message") && e["message"].IsString() ? e["message"].GetString() : "";
    r.detail += " (" + code + (message.empty() ? "" : ": " + message.substr(0, 200)) + ")";
  });
}

std::string str(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

class IonosProvider final : public DnsProvider {
 public:
  explicit IonosProvider(const ProviderContext& context)
      : key_(context.get("api_key")),
        endpoint_(endpointSetting(context)),
        createMissing_(context.getBool("create_missing")),
        ttl_(ttlSetting(context)),
        http_(context.http) {
    if (key_.find('.') == std::string::npos) {
      throw std::invalid_argument("[" + context.section +
                                  "] api_key must be PREFIX.SECRET, as IONOS shows it");
    }
  }

  // DnsProvider
  UpdateResult prepare() override { return outcome(UpdateStatus::Unchanged, "nothing to look up"); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string domain = lowercase(record.domain);
    const std::string fqdn = lowercase(record.fqdn());
    const std::string type = toString(record.type);
    std::string zoneId;
    UpdateResult r = zoneIdFor(domain, zoneId);
    if (!r.ok()) {
      return r;
    }
    HttpResponse resp = http_.perform(request(
        "GET",
        "/zones/" + urlEncode(zoneId) + "?recordName=" + urlEncode(fqdn) + "&recordType=" + type,
        ""));
    if (!resp.transportOk() || resp.status != 200) {
      if (resp.transportOk() && resp.status == 404) {
        zones_.erase(domain);  // the zone may have been recreated under a new id
      }
      return failure(resp, "read records");
    }
    rapidjson::Document doc;
    std::string error;
    if (!json::parse(doc, resp.body, error) || !doc.IsObject() || !doc.HasMember("records") ||
        !doc["records"].IsArray()) {
      return outcome(UpdateStatus::Failed, "read records: not a zone with records");
    }
    const rapidjson::Value* found = nullptr;
    for (const auto& item : doc["records"].GetArray()) {
      if (str(item, "type") == type && lowercase(str(item, "name")) == fqdn &&
          !str(item, "id").empty()) {
        found = &item;
        break;
      }
    }
    const std::string content = ip.toString();
    if (found == nullptr) {
      if (!createMissing_) {
        return outcome(UpdateStatus::NotFound,
                       "no " + type + " record " + fqdn + " (create_missing = no)");
      }
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      w.StartArray();
      writeRecord(w, &fqdn, &type, content, ttl_ > 0 ? ttl_ : 3600, 0, false);
      w.EndArray();
      resp = http_.perform(
          request("POST", "/zones/" + urlEncode(zoneId) + "/records", buf.GetString()));
      if (!resp.transportOk() || resp.status != 201) {
        return failure(resp, "create record");
      }
      return outcome(UpdateStatus::Updated, "record created -> " + content);
    }
    const long long ttl =
        (*found).HasMember("ttl") && (*found)["ttl"].IsInt64() ? (*found)["ttl"].GetInt64() : 3600;
    if (str(*found, "content") == content && (ttl_ == 0 || ttl_ == ttl)) {
      return outcome(UpdateStatus::Unchanged, "record already points at " + content);
    }
    const long long prio =
        (*found).HasMember("prio") && (*found)["prio"].IsInt64() ? (*found)["prio"].GetInt64() : 0;
    const bool disabled = (*found).HasMember("disabled") && (*found)["disabled"].IsBool() &&
                          (*found)["disabled"].GetBool();
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    writeRecord(w, nullptr, nullptr, content, ttl_ > 0 ? ttl_ : ttl, prio, disabled);
    const std::string id = str(*found, "id");
    resp = http_.perform(request("PUT", "/zones/" + urlEncode(zoneId) + "/records/" + urlEncode(id),
                                 buf.GetString()));
    if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "update record");
    }
    return outcome(UpdateStatus::Updated, "record " + id + " -> " + content);
  }

 private:
  HttpRequest request(const std::string& method, const std::string& path, std::string body) const {
    return jsonRequest(method, endpoint_ + path, "X-API-Key", key_, std::move(body));
  }

  static void writeRecord(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::string* name,
                          const std::string* type, const std::string& content, long long ttl,
                          long long prio, bool disabled) {
    w.StartObject();
    if (name != nullptr) {
      w.Key("name");
      w.String(name->c_str());
      w.Key("type");
      w.String(type->c_str());
    }
    w.Key("content");
    w.String(content.c_str());
    w.Key("ttl");
    w.Int64(ttl);
    w.Key("prio");
    w.Int64(prio);
    w.Key("disabled");
    w.Bool(disabled);
    w.EndObject();
  }

  UpdateResult zoneIdFor(const std::string& domain, std::string& id) {
    if (const auto it = zones_.find(domain); it != zones_.end()) {
      id = it->second;
      return outcome(UpdateStatus::Unchanged, "cached");
    }
    const HttpResponse resp = http_.perform(request("GET", "/zones", ""));
    if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "list zones");
    }
    rapidjson::Document doc;
    std::string error;
    if (!json::parse(doc, resp.body, error) || !doc.IsArray()) {
      return outcome(UpdateStatus::Failed, "list zones: not a zone list");
    }
    for (const auto& zone : doc.GetArray()) {
      if (lowercase(str(zone, "name")) == domain && !str(zone, "id").empty()) {
        id = str(zone, "id");
        zones_[domain] = id;
        return outcome(UpdateStatus::Unchanged, "found");
      }
    }
    return outcome(UpdateStatus::NotFound, "zone " + domain + " is not in this account");
  }

  std::string key_;
  std::string endpoint_;
  bool createMissing_ = false;
  long long ttl_ = 0;
  HttpClient http_;
  std::map<std::string, std::string> zones_;  // domain -> zone id
};

}  // namespace

ProviderInfo ionosProvider() {
  using T = config::SettingType;
  ProviderInfo info;
  info.name = "ionos";
  info.description = "IONOS DNS, Hosting DNS API v1";
  info.documentation = "https://developer.hosting.ionos.com/docs/dns";
  info.settings = {
      {"", "api_key", T::kSecret, "", "API key as PREFIX.SECRET (developer.hosting.ionos.com).",
       true},
      {"", "endpoint", T::kString, kDefaultEndpoint, "API base URL."},
      {"", "ttl", T::kSeconds, "0", "TTL to set; 0: keep the record's.", false, 0, 86400},
      {"", "create_missing", T::kBool, "no",
       "Create the record when the zone lacks it (TTL 3600 unless ttl is set)."},
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<IonosProvider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
