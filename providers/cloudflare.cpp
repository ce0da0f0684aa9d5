// SPDX-License-Identifier: MIT
// Cloudflare DNS through the Cloudflare API v4.
//   Reference:    https://developers.cloudflare.com/api/
//   Tokens:       https://developers.cloudflare.com/fundamentals/api/get-started/create-token/
//   Zones:        https://developers.cloudflare.com/api/resources/zones/methods/list/
//   List records:
//   https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/list/ Edit
//   record:  https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/edit/
//   Create:
//   https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/create/ Rate
//   limits:  https://developers.cloudflare.com/fundamentals/api/reference/limits/
// Setup looks up the zone id by name (GET /zones?name=) unless zone_id is configured, and the
// record id by name and type (GET /zones/:id/dns_records?type=&name=); an update PATCHes the
// content only, so the record keeps its proxied flag and TTL unless they are configured.
// Every reply is the envelope {success, errors:[{code,message}], messages, result,
// result_info}; its error codes go into the detail.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <map>
#include <set>
#include <stdexcept>

#include "common/json.hpp"
#include "common/logging.hpp"
#include "common/strings.hpp"
#include "common/utf8.hpp"
#include "providers/http/url.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kDefaultEndpoint = "https://api.cloudflare.com/client/v4";
constexpr int kPerPage = 50;
constexpr int kMaxPages = 100;

// Error codes that mean "these credentials will not do", whatever the HTTP status:
// 6003/6111 malformed Authorization header, 9103/9106/9107/9109 bad key or token,
// 10000 Authentication error, 10001 unable to authenticate.
const std::set<int> kAuthCodes = {6003, 6111, 9103, 9106, 9107, 9109, 10000, 10001};
// 7003 "Could not route to ..., perhaps your object identifier is invalid?",
// 81044 "Record does not exist.": ids we cached are gone.
const std::set<int> kGoneCodes = {7003, 81044};

struct Envelope {
  bool parsed = false;
  bool success = false;
  std::vector<std::pair<int, std::string>> errors;
  rapidjson::Document doc;
  int totalPages = 1;

  const rapidjson::Value* result() const {
    return parsed && doc.HasMember("result") ? &doc["result"] : nullptr;
  }
  bool hasCode(const std::set<int>& codes) const {
    for (const auto& e : errors) {
      if (codes.count(e.first) != 0) {
        return true;
      }
    }
    return false;
  }
  std::string describe() const {
    // The server's words, for logs, the state file and a terminal: escaped, each cut at
    // 200 bytes and at most kMaxReasons of them, whatever the reply held.
    std::string out;
    for (size_t i = 0; i < errors.size() && i < kMaxReasons; ++i) {
      out += (out.empty() ? "" : "; ") + std::to_string(errors[i].first) + " " +
             escapeText(errors[i].second, 200);
    }
    if (errors.size() > kMaxReasons) {
      out += "; " + std::to_string(errors.size() - kMaxReasons) + " more";
    }
    return out;
  }
};

Envelope parseEnvelope(const std::string& body) {
  Envelope e;
  std::string error;
  if (!json::parse(e.doc, body, error) || !e.doc.IsObject() || !e.doc.HasMember("success") ||
      !e.doc["success"].IsBool()) {
    return e;
  }
  e.parsed = true;
  e.success = e.doc["success"].GetBool();
  if (e.doc.HasMember("errors") && e.doc["errors"].IsArray()) {
    for (const auto& err : e.doc["errors"].GetArray()) {
      if (err.IsObject()) {
        const int code = err.HasMember("code") && err["code"].IsInt() ? err["code"].GetInt() : 0;
        const std::string message =
            err.HasMember("message") && err["message"].IsString() ? err["message"].GetString() : "";
        e.errors.emplace_back(code, message);
      }
    }
  }
  if (e.doc.HasMember("result_info") && e.doc["result_info"].IsObject() &&
      e.doc["result_info"].HasMember("total_pages") &&
      e.doc["result_info"]["total_pages"].IsInt()) {
    e.totalPages = e.doc["result_info"]["total_pages"].GetInt();
  }
  return e;
}

// Classifies a reply that is not a 2xx success envelope.
UpdateResult failure(const HttpResponse& resp, const Envelope& env, const std::string& what) {
  UpdateResult r = classifyHttpFailure(resp, what);
  if (!resp.transportOk()) {
    return r;
  }
  if (resp.status >= 200 && resp.status < 300) {
    // HTTP success but success:false (or no envelope at all).
    r.status = env.parsed ? UpdateStatus::Failed : UpdateStatus::RetryLater;
    r.detail = what + (env.parsed ? ": success is false" : ": reply is not a v4 envelope");
  }
  if (env.hasCode(kAuthCodes)) {
    r.status = UpdateStatus::AuthFailed;
  } else if (env.hasCode(kGoneCodes)) {
    r.status = UpdateStatus::NotFound;
  }
  if (!env.errors.empty()) {
    r.detail += " (" + env.describe() + ")";
  }
  return r;
}

std::string getString(const rapidjson::Value& v, const char* key) {
  return v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

class CloudflareProvider final : public DnsProvider {
 public:
  explicit CloudflareProvider(const ProviderContext& context)
      : records_(context.records),
        token_(context.get("api_token")),
        fixedZoneId_(context.get("zone_id")),
        proxied_(lowercase(context.get("proxied"))),
        createMissing_(context.getBool("create_missing")),
        http_(context.http) {
    const std::string where = "[" + context.section + "] ";
    if (token_.empty()) {
      throw std::invalid_argument(where + "api_token is required");
    }
    endpoint_ = context.get("endpoint").empty() ? kDefaultEndpoint : context.get("endpoint");
    while (!endpoint_.empty() && endpoint_.back() == '/') {
      endpoint_.pop_back();
    }
    if (endpoint_.rfind("http://", 0) != 0 && endpoint_.rfind("https://", 0) != 0) {
      throw std::invalid_argument(where + "endpoint must be an http:// or https:// URL");
    }
    if (proxied_.empty()) {
      proxied_ = "keep";
    }
    long long ttl = 0;
    config::parseSeconds(context.get("ttl").empty() ? "0" : context.get("ttl"), ttl);
    ttl_ = ttl;
    for (const char c : fixedZoneId_) {
      if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
        throw std::invalid_argument(where + "zone_id must be the zone's hexadecimal id");
      }
    }
  }

  // DnsProvider
  UpdateResult prepare() override {
    UpdateResult worst = outcome(UpdateStatus::Unchanged, "ids looked up");
    for (const auto& record : records_) {
      std::string zoneId;
      UpdateResult r = zoneIdFor(record.domain, zoneId);
      if (r.ok()) {
        Cached cached;
        r = findRecord(zoneId, record, cached);
      }
      if (r.status == UpdateStatus::AuthFailed || r.status == UpdateStatus::RetryLater) {
        return r;
      }
      if (!r.ok() && worst.ok()) {
        worst.detail = r.detail;  // a missing record is update()'s business
      }
    }
    return worst;
  }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    UpdateResult r = updateOnce(record, ip);
    if (r.status == UpdateStatus::NotFound && staleIds_) {
      // A cached id no longer exists (record or zone recreated): look them up again, once.
      staleIds_ = false;
      if (fixedZoneId_.empty()) {
        zones_.erase(lowercase(record.domain));
      }
      records_cache_.clear();
      r = updateOnce(record, ip);
    }
    return r;
  }

 private:
  struct Cached {
    std::string id;
    std::string content;
  };

  static std::shared_ptr<spdlog::logger> log() { return logging::get("provider.cloudflare"); }

  HttpRequest request(const std::string& method, const std::string& path) const {
    HttpRequest req;
    req.method = method;
    req.url = endpoint_ + path;
    req.headers.emplace_back("Authorization", "Bearer " + token_);
    req.headers.emplace_back("Accept", "application/json");
    if (method == "PATCH" || method == "POST") {
      req.headers.emplace_back("Content-Type", "application/json");
    }
    return req;
  }

  // GETs every page of a listing, calling `each` for every object of "result".
  template <typename F>
  UpdateResult listAll(const std::string& pathAndQuery, const std::string& what, F each) {
    int pages = 1;
    for (int page = 1; page <= pages && page <= kMaxPages; ++page) {
      const HttpResponse resp =
          http_.perform(request("GET", pathAndQuery + "&page=" + std::to_string(page) +
                                           "&per_page=" + std::to_string(kPerPage)));
      const Envelope env = parseEnvelope(resp.body);
      const rapidjson::Value* result = env.result();
      if (!resp.transportOk() || resp.status != 200 || !env.success || result == nullptr ||
          !result->IsArray()) {
        return failure(resp, env, what);
      }
      for (const auto& item : result->GetArray()) {
        if (item.IsObject()) {
          each(item);
        }
      }
      pages = env.totalPages;
    }
    return outcome(UpdateStatus::Unchanged, what);
  }

  UpdateResult zoneIdFor(const std::string& domain, std::string& id) {
    if (!fixedZoneId_.empty()) {
      id = fixedZoneId_;
      return outcome(UpdateStatus::Unchanged, "configured");
    }
    const std::string wanted = lowercase(domain);
    if (const auto it = zones_.find(wanted); it != zones_.end()) {
      id = it->second;
      return outcome(UpdateStatus::Unchanged, "cached");
    }
    id.clear();
    UpdateResult r =
        listAll("/zones?name=" + urlEncode(wanted), "list zones", [&](const rapidjson::Value& z) {
          if (id.empty() && lowercase(getString(z, "name")) == wanted) {
            id = getString(z, "id");
          }
        });
    if (!r.ok()) {
      return r;
    }
    if (id.empty()) {
      return outcome(UpdateStatus::NotFound,
                     "zone " + wanted + " is not in this account (or the token cannot read it)");
    }
    zones_[wanted] = id;
    log()->info("zone found zone={} zone_id={}", wanted, id);
    return outcome(UpdateStatus::Unchanged, "found");
  }

  static std::string cacheKey(const std::string& zoneId, const Record& record) {
    return zoneId + " " + lowercase(record.fqdn()) + " " + toString(record.type);
  }

  // `missing` is set when the listing worked and holds no such record.
  UpdateResult findRecord(const std::string& zoneId, const Record& record, Cached& out,
                          bool* missing = nullptr) {
    const std::string key = cacheKey(zoneId, record);
    if (const auto it = records_cache_.find(key); it != records_cache_.end()) {
      out = it->second;
      return outcome(UpdateStatus::Unchanged, "cached");
    }
    out = Cached{};
    int matches = 0;
    const std::string fqdn = lowercase(record.fqdn());
    const std::string type = toString(record.type);
    UpdateResult r =
        listAll("/zones/" + zoneId + "/dns_records?type=" + type + "&name=" + urlEncode(fqdn),
                "list records", [&](const rapidjson::Value& item) {
                  // Filter here too, in case the server ignores part of the query.
                  if (lowercase(getString(item, "name")) != fqdn ||
                      getString(item, "type") != type || getString(item, "id").empty()) {
                    return;
                  }
                  if (++matches == 1) {
                    out.id = getString(item, "id");
                    out.content = getString(item, "content");
                  }
                });
    if (!r.ok()) {
      return r;
    }
    if (matches == 0) {
      if (missing != nullptr) {
        *missing = true;
      }
      return outcome(UpdateStatus::NotFound, "no " + type + " record " + fqdn + " in the zone");
    }
    if (matches > 1) {
      log()->warn("several records match; updating the first record={} type={} record_id={}", fqdn,
                  type, out.id);
    }
    records_cache_[key] = out;
    log()->info("record found record={} type={} record_id={}", fqdn, type, out.id);
    return outcome(UpdateStatus::Unchanged, "found");
  }

  std::string body(const Record* create, const std::string& content) const {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    if (create != nullptr) {
      w.Key("type");
      w.String(toString(create->type));
      w.Key("name");
      w.String(lowercase(create->fqdn()).c_str());
    }
    w.Key("content");
    w.String(content.c_str());
    if (ttl_ > 0) {
      w.Key("ttl");
      w.Int64(ttl_);
    } else if (create != nullptr) {
      w.Key("ttl");
      w.Int(1);  // 1 = "automatic"
    }
    if (proxied_ != "keep") {
      w.Key("proxied");
      w.Bool(proxied_ == "yes");
    } else if (create != nullptr) {
      w.Key("proxied");
      w.Bool(false);
    }
    w.EndObject();
    return buf.GetString();
  }

  UpdateResult updateOnce(const Record& record, const IpAddress& ip) {
    std::string zoneId;
    const bool hadZone = !fixedZoneId_.empty() || zones_.count(lowercase(record.domain));
    UpdateResult r = zoneIdFor(record.domain, zoneId);
    if (!r.ok()) {
      return r;
    }
    const std::string key = cacheKey(zoneId, record);
    const bool hadRecord = records_cache_.count(key) != 0;
    Cached cached;
    bool missing = false;
    r = findRecord(zoneId, record, cached, &missing);
    const std::string content = ip.toString();
    if (missing) {
      return createMissing_ ? create(zoneId, record, content) : r;
    }
    if (!r.ok()) {
      if (r.status == UpdateStatus::NotFound && hadZone) {
        staleIds_ = true;
      }
      return r;
    }
    if (!hadRecord && cached.content == content && ttl_ == 0 && proxied_ == "keep") {
      return outcome(UpdateStatus::Unchanged, "record already points at " + content);
    }
    HttpRequest req = request("PATCH", "/zones/" + zoneId + "/dns_records/" + cached.id);
    req.body = body(nullptr, content);
    const HttpResponse resp = http_.perform(req);
    const Envelope env = parseEnvelope(resp.body);
    if (!resp.transportOk() || resp.status != 200 || !env.success) {
      UpdateResult f = failure(resp, env, "patch record");
      if (f.status == UpdateStatus::NotFound && (hadZone || hadRecord)) {
        staleIds_ = true;
      }
      return f;
    }
    records_cache_[key].content = content;
    return outcome(UpdateStatus::Updated, "record " + cached.id + " -> " + content);
  }

  UpdateResult create(const std::string& zoneId, const Record& record, const std::string& content) {
    HttpRequest req = request("POST", "/zones/" + zoneId + "/dns_records");
    req.body = body(&record, content);
    const HttpResponse resp = http_.perform(req);
    const Envelope env = parseEnvelope(resp.body);
    const rapidjson::Value* result = env.result();
    if (!resp.transportOk() || resp.status != 200 || !env.success) {
      return failure(resp, env, "create record");
    }
    if (result != nullptr && result->IsObject() && !getString(*result, "id").empty()) {
      records_cache_[cacheKey(zoneId, record)] = {getString(*result, "id"), content};
    }
    log()->info("record created record={} type={}", record.fqdn(), toString(record.type));
    return outcome(UpdateStatus::Updated, "record created -> " + content);
  }

  std::vector<Record> records_;
  std::string token_;
  std::string fixedZoneId_;
  std::string proxied_;
  bool createMissing_ = false;
  long long ttl_ = 0;
  std::string endpoint_;
  HttpClient http_;
  std::map<std::string, std::string> zones_;
  std::map<std::string, Cached> records_cache_;
  bool staleIds_ = false;
};

}  // namespace

ProviderInfo cloudflareProvider() {
  using T = config::SettingType;
  ProviderInfo info;
  info.name = "cloudflare";
  info.description = "Cloudflare DNS, API v4 with an API token";
  info.documentation = "https://developers.cloudflare.com/api/";
  info.settings = {
      {"", "api_token", T::kSecret, "",
       "API token (Authorization: Bearer) with Zone:DNS:Edit, plus Zone:Zone:Read unless "
       "zone_id is set.",
       true},
      {"", "zone_id", T::kString, "",
       "The zone's id (hexadecimal, on the zone's overview page); empty: looked up by the "
       "record's domain."},
      {"", "endpoint", T::kString, kDefaultEndpoint, "API base URL."},
      {"",
       "proxied",
       T::kChoice,
       "keep",
       "Proxy through Cloudflare (orange cloud): keep (leave as it is), yes or no.",
       false,
       0,
       0,
       {"keep", "yes", "no"}},
      {"", "ttl", T::kSeconds, "0",
       "TTL to set (1: automatic, else 60-86400 s); 0: keep the record's own.", false, 0, 86400},
      {"", "create_missing", T::kBool, "no", "Create the record when the zone lacks it."},
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<CloudflareProvider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
