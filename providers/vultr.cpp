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
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kDefaultEndpoint = "https://api.vultr.com/v2";
constexpr int kPerPage = 500;  // the API's maximum
constexpr int kMaxPages = 50;

UpdateResult failure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& r) {
    if (doc.IsObject() && doc.HasMember("error") && doc["error"].IsString()) {
      r.detail += " (" + std::string(doc["error"].GetString()).substr(0, 200) + ")";
    }
  });
}

std::string str(const rapidjson::Value& v, const char* key) {
  return v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

class VultrProvider final : public DnsProvider {
 public:
  explicit VultrProvider(const ProviderContext& context)
      : key_(context.get("api_key")),
        endpoint_(endpointSetting(context)),
        createMissing_(context.getBool("create_missing")),
        ttl_(ttlSetting(context)),
        http_(context.http) {}

  // DnsProvider
  UpdateResult prepare() override { return outcome(UpdateStatus::Unchanged, "nothing to look up"); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string domain = lowercase(record.domain);
    const std::string name = lowercase(record.host);
    const std::string type = toString(record.type);
    const std::string base = "/domains/" + urlEncode(domain) + "/records";
    std::string id;
    std::string data;
    long long ttl = 0;
    std::string cursor;
    for (int page = 0;; ++page) {
      if (page == kMaxPages) {
        return outcome(UpdateStatus::Failed,
                       "list records: more than " + std::to_string(kMaxPages) + " pages");
      }
      const HttpResponse resp =
          http_.perform(request("GET",
                                base + "?per_page=" + std::to_string(kPerPage) +
                                    (cursor.empty() ? "" : "&cursor=" + urlEncode(cursor)),
                                ""));
      if (!resp.transportOk() || resp.status != 200) {
        return failure(resp, "list records");
      }
      rapidjson::Document doc;
      std::string error;
      if (!json::parse(doc, resp.body, error) || !doc.IsObject() || !doc.HasMember("records") ||
          !doc["records"].IsArray()) {
        return outcome(UpdateStatus::Failed, "list records: not a records listing");
      }
      for (const auto& item : doc["records"].GetArray()) {
        if (id.empty() && item.IsObject() && str(item, "type") == type &&
            lowercase(str(item, "name")) == name && !str(item, "id").empty()) {
          id = str(item, "id");
          data = str(item, "data");
          ttl = item.HasMember("ttl") && item["ttl"].IsInt64() ? item["ttl"].GetInt64() : 0;
        }
      }
      const rapidjson::Value* next = rapidjson::Pointer("/meta/links/next").Get(doc);
      cursor = next != nullptr && next->IsString() ? next->GetString() : "";
      if (!id.empty() || cursor.empty()) {
        break;
      }
    }
    const std::string content = ip.toString();
    if (id.empty()) {
      if (!createMissing_) {
        return outcome(UpdateStatus::NotFound,
                       "no " + type + " record " + record.fqdn() + " (create_missing = no)");
      }
      const HttpResponse resp =
          http_.perform(request("POST", base, body(&name, &type, content, ttl_ > 0 ? ttl_ : 300)));
      if (!resp.transportOk() || resp.status != 201) {
        return failure(resp, "create record");
      }
      return outcome(UpdateStatus::Updated, "record created -> " + content);
    }
    if (data == content && (ttl_ == 0 || ttl_ == ttl)) {
      return outcome(UpdateStatus::Unchanged, "record already points at " + content);
    }
    const HttpResponse resp = http_.perform(
        request("PATCH", base + "/" + urlEncode(id), body(nullptr, nullptr, content, ttl_)));
    if (!resp.transportOk() || (resp.status != 204 && resp.status != 200)) {
      return failure(resp, "update record");
    }
    return outcome(UpdateStatus::Updated, "record " + id + " -> " + content);
  }

 private:
  HttpRequest request(const std::string& method, const std::string& path, std::string body) const {
    return jsonRequest(method, endpoint_ + path, "Authorization", "Bearer " + key_,
                       std::move(body));
  }

  static std::string body(const std::string* name, const std::string* type,
                          const std::string& content, long long ttl) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    if (name != nullptr) {
      w.Key("name");
      w.String(name->c_str());
      w.Key("type");
      w.String(type->c_str());
    }
    w.Key("data");
    w.String(content.c_str());
    if (ttl > 0) {
      w.Key("ttl");
      w.Int64(ttl);
    }
    w.EndObject();
    return buf.GetString();
  }

  std::string key_;
  std::string endpoint_;
  bool createMissing_ = false;
  long long ttl_ = 0;
  HttpClient http_;
};

}  // namespace

ProviderInfo vultrProvider() {
  using T = config::SettingType;
  ProviderInfo info;
  info.name = "vultr";
  info.description = "Vultr DNS, API v2";
  info.documentation = "https://www.vultr.com/api/#tag/dns";
  info.settings = {
      {"", "api_key", T::kSecret, "",
       "API key (its access control must allow this machine's address).", true},
      {"", "endpoint", T::kString, kDefaultEndpoint, "API base URL."},
      {"", "ttl", T::kSeconds, "0", "TTL to set; 0: keep the record's.", false, 0, 86400},
      {"", "create_missing", T::kBool, "no",
       "Create the record when the domain lacks it (TTL 300 unless ttl is set)."},
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<VultrProvider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
