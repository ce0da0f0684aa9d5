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
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "providers/http/retry_after.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kDefaultEndpoint = "https://api.digitalocean.com/v2";
constexpr int kPerPage = 200;  // the API's maximum
constexpr int kMaxPages = 50;

struct Found {
  long long id = 0;
  std::string data;
  long long ttl = 0;
};

std::string errorText(const rapidjson::Document& doc, std::string& id) {
  if (!doc.IsObject()) {
    return {};
  }
  const auto idIt = doc.FindMember("id");
  if (idIt != doc.MemberEnd() && idIt->value.IsString()) {
    id = idIt->value.GetString();
  }
  const auto m = doc.FindMember("message");
  return m != doc.MemberEnd() && m->value.IsString()
             ? std::string(m->value.GetString()).substr(0, 200)
             : std::string();
}

UpdateResult failure(const HttpResponse& resp, const std::string& what) {
  UpdateResult r =
      classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& result) {
        std::string id;
        const std::string message = errorText(doc, id);
        if (id == "unauthorized" || id == "forbidden") {
          result.status = UpdateStatus::AuthFailed;
        }
        if (!message.empty() || !id.empty()) {
          result.detail += " (" + id + (message.empty() ? "" : ": " + message) + ")";
        }
      });
  if (!resp.transportOk()) {
    return r;
  }
  if (resp.status == 429 && !r.retryAfter) {
    // No Retry-After: ratelimit-reset says when the hourly window opens again.
    long long reset = 0;
    const std::string header = resp.header("ratelimit-reset");
    if (!header.empty() && header.find_first_not_of("0123456789") == std::string::npos &&
        header.size() < 12) {
      reset = std::stoll(header);
      const long long now = static_cast<long long>(std::time(nullptr));
      r.retryAfter =
          std::chrono::seconds(std::clamp<long long>(reset - now, 1, kMaxRetryAfter.count()));
    }
  }
  return r;
}

class DigitalOceanProvider final : public DnsProvider {
 public:
  explicit DigitalOceanProvider(const ProviderContext& context)
      : token_(context.get("api_token")),
        endpoint_(endpointSetting(context)),
        createMissing_(context.getBool("create_missing")),
        ttl_(ttlSetting(context)),
        http_(context.http) {}

  // DnsProvider
  UpdateResult prepare() override { return outcome(UpdateStatus::Unchanged, "nothing to look up"); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string domain = lowercase(record.domain);
    const std::string fqdn = lowercase(record.fqdn());
    const std::string relative = record.host.empty() ? "@" : lowercase(record.host);
    const std::string type = toString(record.type);
    Found found;
    int matches = 0;
    // Every page, in case a server ignores part of the filter; names compared here too.
    std::string next = "/domains/" + urlEncode(domain) + "/records?type=" + type +
                       "&name=" + urlEncode(fqdn) + "&per_page=" + std::to_string(kPerPage);
    for (int page = 0; !next.empty(); ++page) {
      if (page == kMaxPages) {
        return outcome(UpdateStatus::Failed,
                       "list records: more than " + std::to_string(kMaxPages) + " pages");
      }
      const HttpResponse resp = http_.perform(request("GET", next));
      if (!resp.transportOk() || resp.status != 200) {
        return failure(resp, "list records");
      }
      rapidjson::Document doc;
      std::string error;
      if (!json::parse(doc, resp.body, error) || !doc.IsObject() ||
          !doc.HasMember("domain_records") || !doc["domain_records"].IsArray()) {
        return outcome(UpdateStatus::Failed, "list records: not a domain_records listing");
      }
      for (const auto& item : doc["domain_records"].GetArray()) {
        if (!item.IsObject() || !item.HasMember("id") || !item["id"].IsInt64() ||
            !item.HasMember("name") || !item["name"].IsString() || !item.HasMember("type") ||
            !item["type"].IsString() || std::string(item["type"].GetString()) != type) {
          continue;
        }
        const std::string name = lowercase(item["name"].GetString());
        if (name != relative && name != fqdn) {
          continue;
        }
        if (++matches == 1) {
          found.id = item["id"].GetInt64();
          found.data =
              item.HasMember("data") && item["data"].IsString() ? item["data"].GetString() : "";
          found.ttl = item.HasMember("ttl") && item["ttl"].IsInt64() ? item["ttl"].GetInt64() : 0;
        }
      }
      next = nextPage(doc);
    }
    const std::string content = ip.toString();
    if (matches == 0) {
      return createMissing_ ? create(domain, relative, type, content)
                            : outcome(UpdateStatus::NotFound,
                                      "no " + type + " record " + fqdn + " (create_missing = no)");
    }
    if (found.data == content && (ttl_ == 0 || ttl_ == found.ttl)) {
      return outcome(UpdateStatus::Unchanged, "record already points at " + content);
    }
    HttpRequest req =
        request("PATCH", "/domains/" + urlEncode(domain) + "/records/" + std::to_string(found.id));
    req.body = body({{"data", content}}, ttl_);
    const HttpResponse resp = http_.perform(req);
    if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "update record");
    }
    return outcome(UpdateStatus::Updated, "record " + std::to_string(found.id) + " -> " + content);
  }

 private:
  HttpRequest request(const std::string& method, const std::string& path) const {
    HttpRequest req;
    req.method = method;
    req.url = endpoint_ + path;
    req.headers.emplace_back("Authorization", "Bearer " + token_);
    req.headers.emplace_back("Accept", "application/json");
    if (method != "GET") {
      req.headers.emplace_back("Content-Type", "application/json");
    }
    return req;
  }

  // The path and query of links.pages.next, when it points under our endpoint.
  std::string nextPage(const rapidjson::Document& doc) const {
    const rapidjson::Value* v = rapidjson::Pointer("/links/pages/next").Get(doc);
    if (v == nullptr || !v->IsString()) {
      return {};
    }
    const std::string url = v->GetString();
    const auto at = url.find("/domains/");
    return at == std::string::npos ? std::string() : url.substr(at);
  }

  static std::string body(const std::vector<std::pair<std::string, std::string>>& fields,
                          long long ttl) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    for (const auto& [k, v] : fields) {
      w.Key(k.c_str());
      w.String(v.c_str());
    }
    if (ttl > 0) {
      w.Key("ttl");
      w.Int64(ttl);
    }
    w.EndObject();
    return buf.GetString();
  }

  UpdateResult create(const std::string& domain, const std::string& name, const std::string& type,
                      const std::string& content) {
    HttpRequest req = request("POST", "/domains/" + urlEncode(domain) + "/records");
    req.body = body({{"type", type}, {"name", name}, {"data", content}}, ttl_ > 0 ? ttl_ : 1800);
    const HttpResponse resp = http_.perform(req);
    if (!resp.transportOk() || (resp.status != 201 && resp.status != 200)) {
      return failure(resp, "create record");
    }
    return outcome(UpdateStatus::Updated, "record created -> " + content);
  }

  std::string token_;
  std::string endpoint_;
  bool createMissing_ = false;
  long long ttl_ = 0;
  HttpClient http_;
};

}  // namespace

ProviderInfo digitaloceanProvider() {
  using T = config::SettingType;
  ProviderInfo info;
  info.name = "digitalocean";
  info.description = "DigitalOcean DNS, API v2";
  info.documentation =
      "https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domain-Records";
  info.settings = {
      {"", "api_token", T::kSecret, "", "Personal access token with domain read and write.", true},
      {"", "endpoint", T::kString, kDefaultEndpoint, "API base URL."},
      {"", "ttl", T::kSeconds, "0", "TTL to set (30 s or more); 0: keep the record's.", false, 0,
       86400},
      {"", "create_missing", T::kBool, "no", "Create the record when the domain lacks it."},
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<DigitalOceanProvider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
