// SPDX-License-Identifier: MIT
// Cloudflare DNS through the Cloudflare API v4.
//   Reference:    https://developers.cloudflare.com/api/
//   Tokens:       https://developers.cloudflare.com/fundamentals/api/get-started/create-token/
//   Zones:        https://developers.cloudflare.com/api/resources/zones/methods/list/
//   Records:      https://developers.cloudflare.com/api/resources/dns/subresources/records/
//                 (methods/list, methods/edit, methods/create)
//   Rate limits:  https://developers.cloudflare.com/fundamentals/api/reference/limits/
// Setup looks up the zone id by name (GET /zones?name=) unless zone_id is configured, and the
// record id by name and type (GET /zones/:id/dns_records?type=&name=); an update PATCHes the
// content only, so the record keeps its proxied flag, TTL, comment and tags unless proxied or
// ttl are configured (for the account, or for one record in its [record:NAME] section).
// Every reply is the envelope {success, errors:[{code,message}], messages, result,
// result_info}; its error codes go into the detail.
#include <rapidjson/document.h>
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
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kCloudflareEndpoint = "https://api.cloudflare.com/client/v4";
constexpr int kCloudflarePerPage = 50;
constexpr int kCloudflareMaxPages = 100;

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

// zone_id: empty or the zone's hexadecimal id.
std::string zoneIdSetting(const ProviderContext& context) {
  const std::string& id = context.get("zone_id");
  for (const char c : id) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      throw std::invalid_argument("[" + context.section +
                                  "] zone_id must be the zone's hexadecimal id");
    }
  }
  return id;
}

class CloudflareProvider final : public DnsProvider {
 public:
  explicit CloudflareProvider(const ProviderContext& context)
      : records_(context.records),
        token_(requiredSetting(context, "api_token")),
        endpoint_(endpointSetting(context, kCloudflareEndpoint)),
        fixedZoneId_(zoneIdSetting(context)),
        createMissing_(context.getBool("create_missing")),
        http_(context.http) {
    for (const Record& r : records_) {  // a [record:NAME] section may set its own
      chosen_[cacheKey("", r)] = {proxiedSetting(context, r), ttlSetting(context, r)};
    }
  }

  // DnsProvider
  UpdateResult prepare() override {
    return prepareEach(records_, [this](const Record& record) {
      std::string zoneId;
      UpdateResult r = zoneIdFor(record.domain, zoneId);
      if (r.ok()) {
        Cached cached;
        r = findRecord(zoneId, record, cached);
      }
      return r;
    });
  }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    // A cached id may no longer exist (record or zone recreated): look them up again, once.
    return withFreshIds([&] { return updateOnce(record, ip); }, staleIds_,
                        [&] {
                          if (fixedZoneId_.empty()) {
                            zones_.erase(lowercase(record.domain));
                          }
                          records_cache_.clear();
                        });
  }

  // One listing of the record by name and type (the zone id is cached or configured).
  CurrentRecord current(const Record& record) override {
    Cached cached;
    std::string zoneId;
    UpdateResult r = zoneIdFor(record.domain, zoneId);
    if (r.ok()) {
      records_cache_.erase(cacheKey(zoneId, record));
      r = findRecord(zoneId, record, cached);
    }
    return currentFrom(r, cached.content);
  }

 private:
  struct Cached {
    std::string id;
    std::string content;
  };
  // What a record's PATCH sends besides the content: proxied ("keep": not sent) and ttl (0:
  // not sent), its [record:NAME] section's own or the account's.
  struct Chosen {
    std::string proxied = "keep";
    long long ttl = 0;
  };

  static std::string proxiedSetting(const ProviderContext& context, const Record& record) {
    const std::string p = lowercase(context.get(record, "proxied"));
    if (!p.empty() && p != "keep" && p != "yes" && p != "no") {
      throw std::invalid_argument("[" + context.section + "] proxied must be keep, yes or no");
    }
    return p.empty() ? "keep" : p;
  }

  static long long ttlSetting(const ProviderContext& context, const Record& record) {
    ProviderContext one;
    one.section = context.section;
    one.settings["ttl"] = context.get(record, "ttl");
    return providers::ttlSetting(one);
  }

  Chosen chosen(const Record& record) const {
    const auto it = chosen_.find(cacheKey("", record));
    return it == chosen_.end() ? Chosen{} : it->second;
  }

  static std::shared_ptr<spdlog::logger> log() { return logging::get("provider.cloudflare"); }

  HttpRequest request(const std::string& method, const std::string& path,
                      std::string body = "") const {
    return jsonRequest(method, endpoint_ + path, "Authorization", "Bearer " + token_,
                       std::move(body));
  }

  // GETs every page of a listing, calling `each` for every object of "result".
  template <typename F>
  UpdateResult listAll(const std::string& pathAndQuery, const std::string& what, F each) {
    int pages = 1;
    for (int page = 1; page <= pages && page <= kCloudflareMaxPages; ++page) {
      const HttpResponse resp =
          http_.perform(request("GET", pathAndQuery + "&page=" + std::to_string(page) +
                                           "&per_page=" + std::to_string(kCloudflarePerPage)));
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
          if (id.empty() && lowercase(jsonString(z, "name")) == wanted) {
            id = jsonString(z, "id");
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
                  if (lowercase(jsonString(item, "name")) != fqdn ||
                      jsonString(item, "type") != type || jsonString(item, "id").empty()) {
                    return;
                  }
                  if (++matches == 1) {
                    out.id = jsonString(item, "id");
                    out.content = jsonString(item, "content");
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
    records_cache_[key] = out;
    return recordFound(*log(), matches, fqdn, type, out.id);
  }

  // The PATCH sends the content and what is configured; a create also the name, type and
  // Cloudflare's defaults for the rest (TTL 1: automatic, not proxied).
  std::string body(const Record& record, bool create, const std::string& content) const {
    const Chosen c = chosen(record);
    JsonBody body;
    if (create) {
      body.add("type", toString(record.type)).add("name", lowercase(record.fqdn()));
    }
    body.add("content", content);
    if (c.ttl > 0 || create) {
      body.add("ttl", c.ttl > 0 ? c.ttl : 1LL);
    }
    if (c.proxied != "keep" || create) {
      body.add("proxied", c.proxied == "yes");
    }
    return body.text();
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
    const Chosen c = chosen(record);
    if (!hadRecord && cached.content == content && c.ttl == 0 && c.proxied == "keep") {
      return outcome(UpdateStatus::Unchanged, "record already points at " + content);
    }
    const HttpResponse resp = http_.perform(request(
        "PATCH", "/zones/" + zoneId + "/dns_records/" + cached.id, body(record, false, content)));
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
    const HttpResponse resp = http_.perform(
        request("POST", "/zones/" + zoneId + "/dns_records", body(record, true, content)));
    const Envelope env = parseEnvelope(resp.body);
    const rapidjson::Value* result = env.result();
    if (!resp.transportOk() || resp.status != 200 || !env.success) {
      return failure(resp, env, "create record");
    }
    if (result != nullptr && result->IsObject() && !jsonString(*result, "id").empty()) {
      records_cache_[cacheKey(zoneId, record)] = {jsonString(*result, "id"), content};
    }
    log()->info("record created record={} type={}", record.fqdn(), toString(record.type));
    return outcome(UpdateStatus::Updated, "record created -> " + content);
  }

  std::vector<Record> records_;
  std::string token_;
  std::string endpoint_;
  std::map<std::string, Chosen> chosen_;  // by cacheKey("", record)
  std::string fixedZoneId_;
  bool createMissing_ = false;
  HttpClient http_;
  std::map<std::string, std::string> zones_;
  std::map<std::string, Cached> records_cache_;
  bool staleIds_ = false;
};

}  // namespace

ProviderInfo cloudflareProvider() {
  using T = config::SettingType;
  ProviderInfo info =
      providerOf<CloudflareProvider>("cloudflare", "Cloudflare DNS, API v4 with an API token",
                                     "https://developers.cloudflare.com/api/");
  info.settings = {
      config::Setting("api_token", T::kSecret)
          .required()
          .help("API token (Authorization: Bearer) with Zone:DNS:Edit, plus Zone:Zone:Read unless "
                "zone_id is set."),
      config::Setting("zone_id", T::kString)
          .help("The zone's id (hexadecimal, on the zone's overview page); empty: looked up by the "
                "record's domain."),
      config::Setting("endpoint", T::kString).byDefault(kCloudflareEndpoint).help("API base URL."),
      config::Setting("proxied", T::kChoice)
          .choices({"keep", "yes", "no"})
          .byDefault("keep")
          .help("Proxy through Cloudflare (orange cloud): keep (leave as it is), yes or no."),
      config::Setting("ttl", T::kSeconds)
          .range(0, 86400)
          .byDefault("0")
          .help("TTL to set (1: automatic, else 60-86400 s); 0: keep the record's own."),
      config::Setting("create_missing", T::kBool)
          .byDefault("no")
          .help("Create the record when the zone lacks it."),
  };
  // A [record:NAME] section may set these for its record alone (else the account's apply).
  info.recordSettings = {
      config::Setting("proxied", T::kChoice)
          .choices({"keep", "yes", "no"})
          .help("This record only: proxy through Cloudflare (keep, yes or no)."),
      config::Setting("ttl", T::kSeconds)
          .range(0, 86400)
          .help("This record only: TTL to set (1: automatic); 0: keep the record's own."),
  };
  return info;
}

}  // namespace chipmunk::providers
