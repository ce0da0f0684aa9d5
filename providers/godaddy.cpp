// SPDX-License-Identifier: MIT
// GoDaddy DNS through the GoDaddy Domains API v1.
//   Reference: https://developer.godaddy.com/doc/endpoint/domains
//   Auth:      https://developer.godaddy.com/getstarted (Authorization: sso-key KEY:SECRET;
//              production keys; GoDaddy limits the API to qualifying accounts and answers the
//              others 403 ACCESS_DENIED)
//   Read:      GET /v1/domains/DOMAIN/records/TYPE/NAME ("@" for the apex) ->
//              [{"data","name","ttl","type"}], [] when there is none
//   Write:     PUT the same URL [{"data":ADDRESS,"ttl":N}]: replaces every record of that name
//              and type, so the record's own TTL is sent back (600 is GoDaddy's minimum)
//   Errors:    {"code":"...","message":"..."}: 401 UNABLE_TO_AUTHENTICATE, 403 ACCESS_DENIED,
//              404 UNKNOWN_DOMAIN, 422 INVALID_BODY...; 429 TOO_MANY_REQUESTS carries the wait
//              in its body, "retryAfterSec" (60 requests a minute per endpoint)
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <stdexcept>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "providers/http/retry_after.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kDefaultEndpoint = "https://api.godaddy.com/v1";
constexpr long long kMinTtl = 600;

// GoDaddy's {"code","message","retryAfterSec"}: UNKNOWN_DOMAIN and NOT_FOUND are NotFound.
void refine(const HttpResponse& resp, const rapidjson::Document& doc, UpdateResult& r) {
  if (!doc.IsObject()) {
    return;
  }
  const std::string code =
      doc.HasMember("code") && doc["code"].IsString() ? doc["code"].GetString() : "";
  const std::string message =
      doc.HasMember("message") && doc["message"].IsString() ? doc["message"].GetString() : "";
  if (resp.status == 429 && !r.retryAfter && doc.HasMember("retryAfterSec") &&
      doc["retryAfterSec"].IsInt64()) {
    r.retryAfter = std::chrono::seconds(
        std::clamp<long long>(doc["retryAfterSec"].GetInt64(), 1, kMaxRetryAfter.count()));
  }
  if (code == "UNKNOWN_DOMAIN" || code == "NOT_FOUND") {
    r.status = UpdateStatus::NotFound;
  }
  if (!code.empty() || !message.empty()) {
    r.detail += " (" + code + (message.empty() ? "" : ": " + message.substr(0, 200)) + ")";
  }
}

UpdateResult failure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [&resp](const rapidjson::Document& doc, UpdateResult& r) {
    refine(resp, doc, r);
  });
}

class GoDaddyProvider final : public DnsProvider {
 public:
  explicit GoDaddyProvider(const ProviderContext& context)
      : key_(context.get("api_key")),
        secret_(context.get("api_secret")),
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
    const std::string path = "/domains/" + urlEncode(domain) + "/records/" + type + "/" +
                             (name == "@" ? name : urlEncode(name));
    const std::string content = ip.toString();
    HttpResponse resp = http_.perform(request("GET", path, ""));
    if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "read records");
    }
    rapidjson::Document doc;
    std::string error;
    if (!json::parse(doc, resp.body, error) || !doc.IsArray()) {
      return outcome(UpdateStatus::Failed, "read records: not a record list");
    }
    long long ttl = ttl_ > 0 ? ttl_ : kMinTtl;
    if (doc.Empty()) {
      if (!createMissing_) {
        return outcome(UpdateStatus::NotFound,
                       "no " + type + " record " + record.fqdn() + " (create_missing = no)");
      }
    } else {
      const auto& first = doc[0];
      const long long current = first.IsObject() && first.HasMember("ttl") && first["ttl"].IsInt64()
                                    ? first["ttl"].GetInt64()
                                    : kMinTtl;
      const bool same = doc.Size() == 1 && first.IsObject() && first.HasMember("data") &&
                        first["data"].IsString() && first["data"].GetString() == content;
      if (same && (ttl_ == 0 || ttl_ == current)) {
        return outcome(UpdateStatus::Unchanged, "record already points at " + content);
      }
      if (ttl_ == 0) {
        ttl = current;  // the PUT replaces the records: keep their TTL
      }
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    w.StartObject();
    w.Key("data");
    w.String(content.c_str());
    w.Key("ttl");
    w.Int64(ttl);
    w.EndObject();
    w.EndArray();
    resp = http_.perform(request("PUT", path, buf.GetString()));
    if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "put records");
    }
    return outcome(UpdateStatus::Updated, record.fqdn() + " " + type + " -> " + content);
  }

 private:
  HttpRequest request(const std::string& method, const std::string& path, std::string body) const {
    return jsonRequest(method, endpoint_ + path, "Authorization", "sso-key " + key_ + ":" + secret_,
                       std::move(body));
  }

  std::string key_;
  std::string secret_;
  std::string endpoint_;
  bool createMissing_ = false;
  long long ttl_ = 0;
  HttpClient http_;
};

}  // namespace

ProviderInfo godaddyProvider() {
  using T = config::SettingType;
  ProviderInfo info;
  info.name = "godaddy";
  info.description = "GoDaddy DNS, Domains API v1 (sso-key)";
  info.documentation = "https://developer.godaddy.com/doc/endpoint/domains";
  info.settings = {
      {"", "api_key", T::kSecret, "", "Production API key.", true},
      {"", "api_secret", T::kSecret, "", "Its secret.", true},
      {"", "endpoint", T::kString, kDefaultEndpoint, "API base URL."},
      {"", "ttl", T::kSeconds, "0", "TTL to set (600 s or more); 0: keep the record's.", false, 0,
       604800},
      {"", "create_missing", T::kBool, "no",
       "Create the record when the domain lacks it (TTL 600 unless ttl is set)."},
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<GoDaddyProvider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
