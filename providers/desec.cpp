// SPDX-License-Identifier: MIT
// deSEC (desec.io) through its REST API v1.
//   Reference: https://desec.readthedocs.io/en/latest/dns/rrsets.html
//   Auth:      https://desec.readthedocs.io/en/latest/auth/tokens.html (Authorization: Token T)
//   Limits:    https://desec.readthedocs.io/en/latest/rate-limits.html (429 + Retry-After;
//              RRset writes: 2/s, 15/min, 100/h, 300/day per domain)
//   Read:      GET /api/v1/domains/DOMAIN/rrsets/SUBNAME/TYPE/ ("@" for the apex) ->
//              {"subname","name","type","ttl","records":["192.0.2.1"],...}; 404 when absent
//   Update:    PATCH the same URL {"records":[ADDRESS]}: the TTL stays unless sent
//   Create:    POST /api/v1/domains/DOMAIN/rrsets/ {"subname","type","ttl","records"} -> 201
//   Errors:    {"detail":"..."} (401 "Invalid token.", 404 "Not found.", 429 "Request was
//              throttled..."), 400 {"field":["reason"]} for a bad value (a TTL below the
//              domain's minimum_ttl)
// A dynamic record holds one address: the RRset's records become [ADDRESS].
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

constexpr const char* kDefaultEndpoint = "https://desec.io/api/v1";

// {"detail":"..."} or the first reason of a validation error, cut to 200 characters.
std::string detailOf(const rapidjson::Document& doc) {
  if (!doc.IsObject()) {
    return {};
  }
  for (const auto& m : doc.GetObject()) {
    if (m.value.IsString()) {
      return std::string(m.value.GetString()).substr(0, 200);
    }
    if (m.value.IsArray() && !m.value.Empty() && m.value[0].IsString()) {
      return (std::string(m.name.GetString()) + ": " + m.value[0].GetString()).substr(0, 200);
    }
  }
  return {};
}

UpdateResult failure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& r) {
    const std::string detail = detailOf(doc);
    if (!detail.empty()) {
      r.detail += " (" + detail + ")";
    }
  });
}

class DesecProvider final : public DnsProvider {
 public:
  explicit DesecProvider(const ProviderContext& context)
      : token_(context.get("token")),
        endpoint_(endpointSetting(context)),
        createMissing_(context.getBool("create_missing")),
        ttl_(ttlSetting(context)),
        http_(context.http) {}

  // DnsProvider
  UpdateResult prepare() override { return outcome(UpdateStatus::Unchanged, "nothing to look up"); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string domain = lowercase(record.domain);
    const std::string sub = lowercase(record.host);
    const std::string type = toString(record.type);
    const std::string path = "/domains/" + urlEncode(domain) + "/rrsets/" +
                             (sub.empty() ? "@" : urlEncode(sub)) + "/" + type + "/";
    const std::string content = ip.toString();
    HttpResponse resp = http_.perform(request("GET", path, ""));
    if (resp.transportOk() && resp.status == 404) {
      if (!createMissing_) {
        return outcome(UpdateStatus::NotFound, "no " + type + " RRset " + record.fqdn() +
                                                   " (or no such domain; create_missing = no)");
      }
      return create(domain, sub, type, content);
    }
    if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "read rrset");
    }
    rapidjson::Document doc;
    std::string error;
    if (!json::parse(doc, resp.body, error) || !doc.IsObject() || !doc.HasMember("records") ||
        !doc["records"].IsArray()) {
      return outcome(UpdateStatus::Failed, "read rrset: not an RRset");
    }
    const auto& records = doc["records"];
    const long long ttl = doc.HasMember("ttl") && doc["ttl"].IsInt64() ? doc["ttl"].GetInt64() : 0;
    if (records.Size() == 1 && records[0].IsString() && records[0].GetString() == content &&
        (ttl_ == 0 || ttl_ == ttl)) {
      return outcome(UpdateStatus::Unchanged, "RRset already holds " + content);
    }
    resp = http_.perform(request("PATCH", path, body(nullptr, nullptr, content)));
    if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "update rrset");
    }
    return outcome(UpdateStatus::Updated, "RRset " + record.fqdn() + " " + type + " -> " + content);
  }

 private:
  HttpRequest request(const std::string& method, const std::string& path, std::string body) const {
    return jsonRequest(method, endpoint_ + path, "Authorization", "Token " + token_,
                       std::move(body));
  }

  std::string body(const std::string* sub, const std::string* type,
                   const std::string& content) const {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    if (sub != nullptr) {
      w.Key("subname");
      w.String(sub->c_str());
      w.Key("type");
      w.String(type->c_str());
    }
    if (ttl_ > 0 || sub != nullptr) {
      w.Key("ttl");
      w.Int64(ttl_ > 0 ? ttl_ : 3600);  // deSEC's usual minimum
    }
    w.Key("records");
    w.StartArray();
    w.String(content.c_str());
    w.EndArray();
    w.EndObject();
    return buf.GetString();
  }

  UpdateResult create(const std::string& domain, const std::string& sub, const std::string& type,
                      const std::string& content) {
    const HttpResponse resp = http_.perform(
        request("POST", "/domains/" + urlEncode(domain) + "/rrsets/", body(&sub, &type, content)));
    if (!resp.transportOk() || resp.status != 201) {
      return failure(resp, "create rrset");
    }
    return outcome(UpdateStatus::Updated, "RRset created -> " + content);
  }

  std::string token_;
  std::string endpoint_;
  bool createMissing_ = false;
  long long ttl_ = 0;
  HttpClient http_;
};

}  // namespace

ProviderInfo desecProvider() {
  using T = config::SettingType;
  ProviderInfo info;
  info.name = "desec";
  info.description = "deSEC (desec.io), REST API v1";
  info.documentation = "https://desec.readthedocs.io/en/latest/dns/rrsets.html";
  info.settings = {
      {"", "token", T::kSecret, "", "API token (desec.io: Token Management).", true},
      {"", "endpoint", T::kString, kDefaultEndpoint, "API base URL."},
      {"", "ttl", T::kSeconds, "0",
       "TTL to set (not below the domain's minimum, usually 3600 s); 0: keep the RRset's.", false,
       0, 86400},
      {"", "create_missing", T::kBool, "no",
       "Create the RRset when the domain lacks it (TTL 3600 unless ttl is set)."},
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<DesecProvider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
