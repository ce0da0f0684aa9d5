// SPDX-License-Identifier: MIT
// Gandi LiveDNS through the Gandi API v5.
//   Reference: https://api.gandi.net/docs/livedns/
//   Auth:      https://api.gandi.net/docs/authentication/ (Authorization: Bearer PAT, a
//              personal access token with "Manage domain name technical configurations")
//   Read:      GET /v5/livedns/domains/FQDN/records/NAME/TYPE ("@" for the apex) ->
//              {"rrset_name","rrset_type","rrset_ttl","rrset_values":[...],"rrset_href"}
//   Write:     PUT the same URL {"rrset_values":[ADDRESS],"rrset_ttl":N} -> 201: it creates or
//              replaces the RRset, and a TTL left out resets to 10800, so the RRset's own is
//              sent back
//   Errors:    {"code":N,"message":"...","object":"...","cause":"..."}; 401/403 refused token,
//              404 unknown domain or RRset, 429 rate limit (with Retry-After)
#include <rapidjson/document.h>
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

constexpr const char* kDefaultEndpoint = "https://api.gandi.net/v5/livedns";
constexpr long long kGandiDefaultTtl = 10800;

UpdateResult failure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& r) {
    if (doc.IsObject() && doc.HasMember("message") && doc["message"].IsString()) {
      r.detail += " (" + std::string(doc["message"].GetString()).substr(0, 200) + ")";
    }
  });
}

class GandiProvider final : public DnsProvider {
 public:
  explicit GandiProvider(const ProviderContext& context)
      : token_(context.get("token")),
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
    const std::string path = "/domains/" + urlEncode(domain) + "/records/" +
                             (name == "@" ? name : urlEncode(name)) + "/" +
                             type;  // "@" is a legal path character, sent as the docs show it
    const std::string content = ip.toString();
    HttpResponse resp = http_.perform(request("GET", path, ""));
    long long ttl = ttl_ > 0 ? ttl_ : kGandiDefaultTtl;
    if (resp.transportOk() && resp.status == 404) {
      if (!createMissing_) {
        return failure(resp, "read rrset");
      }
    } else if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "read rrset");
    } else {
      rapidjson::Document doc;
      std::string error;
      if (!json::parse(doc, resp.body, error) || !doc.IsObject() ||
          !doc.HasMember("rrset_values") || !doc["rrset_values"].IsArray()) {
        return outcome(UpdateStatus::Failed, "read rrset: not an RRset");
      }
      const long long current = doc.HasMember("rrset_ttl") && doc["rrset_ttl"].IsInt64()
                                    ? doc["rrset_ttl"].GetInt64()
                                    : kGandiDefaultTtl;
      const auto& values = doc["rrset_values"];
      if (values.Size() == 1 && values[0].IsString() && values[0].GetString() == content &&
          (ttl_ == 0 || ttl_ == current)) {
        return outcome(UpdateStatus::Unchanged, "RRset already holds " + content);
      }
      if (ttl_ == 0) {
        ttl = current;  // PUT replaces the RRset: keep its TTL
      }
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("rrset_values");
    w.StartArray();
    w.String(content.c_str());
    w.EndArray();
    w.Key("rrset_ttl");
    w.Int64(ttl);
    w.EndObject();
    resp = http_.perform(request("PUT", path, buf.GetString()));
    if (!resp.transportOk() || (resp.status != 201 && resp.status != 200)) {
      return failure(resp, "put rrset");
    }
    return outcome(UpdateStatus::Updated, "RRset " + record.fqdn() + " " + type + " -> " + content);
  }

 private:
  HttpRequest request(const std::string& method, const std::string& path, std::string body) const {
    return jsonRequest(method, endpoint_ + path, "Authorization", "Bearer " + token_,
                       std::move(body));
  }

  std::string token_;
  std::string endpoint_;
  bool createMissing_ = false;
  long long ttl_ = 0;
  HttpClient http_;
};

}  // namespace

ProviderInfo gandiProvider() {
  using T = config::SettingType;
  ProviderInfo info;
  info.name = "gandi";
  info.description = "Gandi LiveDNS, API v5 with a personal access token";
  info.documentation = "https://api.gandi.net/docs/livedns/";
  info.settings = {
      {"", "token", T::kSecret, "",
       "Personal access token allowed to manage the domain's technical configuration.", true},
      {"", "endpoint", T::kString, kDefaultEndpoint, "API base URL."},
      {"", "ttl", T::kSeconds, "0", "TTL to set (300 s or more); 0: keep the RRset's.", false, 0,
       2592000},
      {"", "create_missing", T::kBool, "no",
       "Create the RRset when the domain lacks it (TTL 10800 unless ttl is set)."},
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<GandiProvider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
