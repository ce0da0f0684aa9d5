// SPDX-License-Identifier: MIT
// Linode DNS Manager through the Linode API v4.
//   Reference: https://techdocs.akamai.com/linode-api/reference/api
//   Domains:   https://techdocs.akamai.com/linode-api/reference/get-domains
//   Records:   https://techdocs.akamai.com/linode-api/reference/get-domain-records
//              https://techdocs.akamai.com/linode-api/reference/put-domain-record
//              https://techdocs.akamai.com/linode-api/reference/post-domain-record
//   Filtering: https://techdocs.akamai.com/linode-api/reference/filtering-and-sorting
// The original Chipmunk client spoke API v3, which Linode retired; the same config keys
// (api_key, host, domain, endpoint) now drive v4.
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <map>
#include <stdexcept>
#include <tuple>

#include "common/json.hpp"
#include "common/logging.hpp"
#include "common/strings.hpp"
#include "common/utf8.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kLinodeEndpoint = "https://api.linode.com/v4";
constexpr int kPageSize = 100;
constexpr int kLinodeMaxPages = 100;  // bounds a listing at 10,000 entries

// The reasons of a v4 error body {"errors":[{"reason":"...","field":"..."}]}, joined.
std::string errorReasons(const std::string& body) {
  rapidjson::Document doc;
  std::string error;
  if (!json::parse(doc, body, error) || !doc.IsObject() || !doc.HasMember("errors") ||
      !doc["errors"].IsArray()) {
    return {};
  }
  // The server's words, for logs, the state file and a terminal: escaped, each cut at 200
  // bytes and at most kMaxReasons of them, whatever the reply held.
  std::string out;
  size_t count = 0;
  for (const auto& e : doc["errors"].GetArray()) {
    if (e.IsObject() && e.HasMember("reason") && e["reason"].IsString()) {
      if (++count <= kMaxReasons) {
        out += (out.empty() ? "" : "; ") +
               escapeText({e["reason"].GetString(), e["reason"].GetStringLength()}, 200);
      }
    }
  }
  if (count > kMaxReasons) {
    out += "; " + std::to_string(count - kMaxReasons) + " more";
  }
  return out;
}

UpdateResult linodeFailure(const HttpResponse& r, const std::string& what) {
  UpdateResult result = classifyHttpFailure(r, what);
  const std::string reasons = errorReasons(r.body);
  if (!reasons.empty()) {
    result.detail += " (" + reasons + ")";
  }
  return result;
}

// The endpoint; a config written for the original client names the retired v3 one.
std::string linodeEndpoint(const ProviderContext& context) {
  const std::string endpoint = endpointSetting(context, kLinodeEndpoint);
  if (endpoint.find("api.linode.com") != std::string::npos &&
      endpoint.find("/v4") == std::string::npos) {
    logging::get("provider.linode")
        ->warn("endpoint is the retired Linode API v3; using v4 endpoint={}", kLinodeEndpoint);
    return kLinodeEndpoint;
  }
  return endpoint;
}

class LinodeProvider final : public DnsProvider {
 public:
  explicit LinodeProvider(const ProviderContext& context)
      : records_(context.records),
        token_(requiredSetting(context, "api_key")),
        createMissing_(context.getBool("create_missing")),
        ttl_(ttlSetting(context)),
        endpoint_(linodeEndpoint(context)),
        http_(context.http) {}

  // DnsProvider
  UpdateResult prepare() override {
    return prepareEach(records_, [this](const Record& record) {
      long long domainId = 0;
      UpdateResult r = domainIdFor(record.domain, domainId);
      if (r.ok() && domainId > 0) {
        Cached cached;
        r = findRecord(domainId, record, cached);
      }
      return r;
    });
  }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    // The ids we cached may be gone (record or domain recreated): look them up afresh.
    return withFreshIds([&] { return updateOnce(record, ip); }, staleIds_,
                        [&] {
                          domains_.erase(record.domain);
                          recordCache_.clear();
                        });
  }

  // One listing of the record by name and type (the domain id is cached): what it holds
  // now, whoever changed it. The cached record id is refreshed on the way.
  CurrentRecord current(const Record& record) override {
    Cached cached;
    long long domainId = 0;
    UpdateResult r = domainIdFor(record.domain, domainId);
    if (r.ok()) {
      recordCache_.erase(RecordKey{domainId, lowercase(record.host), toString(record.type)});
      r = findRecord(domainId, record, cached);
    }
    return currentFrom(r, cached.target);
  }

 private:
  struct Cached {
    long long id = 0;
    std::string target;
  };
  using RecordKey = std::tuple<long long, std::string, std::string>;

  // Looked up on every use, not cached: logging::init() (a reload that changes the log
  // file) replaces the loggers.
  static std::shared_ptr<spdlog::logger> log() { return logging::get("provider.linode"); }

  HttpRequest request(const std::string& method, const std::string& path,
                      std::string body = "") const {
    return jsonRequest(method, endpoint_ + path, "Authorization", "Bearer " + token_,
                       std::move(body));
  }

  // GETs every page of a paginated listing, calling `each` for each item of "data".
  template <typename F>
  UpdateResult listAll(const std::string& path, const std::string& filter, const std::string& what,
                       F each) {
    int pages = 1;
    for (int page = 1; page <= pages && page <= kLinodeMaxPages; ++page) {
      HttpRequest req = request("GET", path + "?page=" + std::to_string(page) +
                                           "&page_size=" + std::to_string(kPageSize));
      req.headers.emplace_back("X-Filter", filter);
      const HttpResponse resp = http_.perform(req);
      if (!resp.transportOk() || resp.status != 200) {
        return linodeFailure(resp, what);
      }
      rapidjson::Document doc;
      std::string error;
      if (!json::parse(doc, resp.body, error)) {
        return outcome(UpdateStatus::RetryLater,
                       what + ": reply is not a v4 page envelope (" + error + ")");
      }
      if (!doc.IsObject() || !doc.HasMember("data") || !doc["data"].IsArray()) {
        return outcome(UpdateStatus::RetryLater, what + ": reply is not a v4 page envelope");
      }
      for (const auto& item : doc["data"].GetArray()) {
        if (item.IsObject()) {
          each(item);
        }
      }
      if (doc.HasMember("pages") && doc["pages"].IsInt()) {
        pages = doc["pages"].GetInt();
      }
    }
    return outcome(UpdateStatus::Unchanged, what);
  }

  UpdateResult domainIdFor(const std::string& domain, long long& id) {
    const auto it = domains_.find(domain);
    if (it != domains_.end()) {
      id = it->second;
      return outcome(UpdateStatus::Unchanged, "cached");
    }
    id = 0;
    const std::string wanted = lowercase(domain);
    UpdateResult r =
        listAll("/domains", JsonBody().add("domain", domain).text(), "list domains",
                [&](const rapidjson::Value& item) {
                  if (id == 0 && item.HasMember("domain") && item["domain"].IsString() &&
                      item.HasMember("id") && item["id"].IsInt64() &&
                      lowercase(item["domain"].GetString()) == wanted) {
                    id = item["id"].GetInt64();
                  }
                });
    if (!r.ok()) {
      return r;
    }
    if (id == 0) {
      return outcome(UpdateStatus::NotFound, "domain " + domain + " is not in this account");
    }
    domains_[domain] = id;
    log()->info("domain found domain={} domain_id={}", domain, id);
    return outcome(UpdateStatus::Unchanged, "found");
  }

  UpdateResult findRecord(long long domainId, const Record& record, Cached& out) {
    const RecordKey key{domainId, lowercase(record.host), toString(record.type)};
    const auto it = recordCache_.find(key);
    if (it != recordCache_.end()) {
      out = it->second;
      return outcome(UpdateStatus::Unchanged, "cached");
    }
    out = Cached{};
    int matches = 0;
    UpdateResult r = listAll(
        "/domains/" + std::to_string(domainId) + "/records",
        JsonBody().add("name", record.host).add("type", toString(record.type)).text(),
        "list records", [&](const rapidjson::Value& item) {
          // The filter is applied here too, in case the server ignores part of
          // it.
          if (!item.HasMember("id") || !item["id"].IsInt64() || !item.HasMember("name") ||
              !item["name"].IsString() || !item.HasMember("type") || !item["type"].IsString() ||
              lowercase(item["name"].GetString()) != std::get<1>(key) ||
              std::string(item["type"].GetString()) != std::get<2>(key)) {
            return;
          }
          if (++matches == 1) {
            out.id = item["id"].GetInt64();
            out.target = item.HasMember("target") && item["target"].IsString()
                             ? item["target"].GetString()
                             : "";
          }
        });
    if (!r.ok()) {
      return r;
    }
    if (matches == 0) {
      return outcome(UpdateStatus::NotFound,
                     "no " + std::get<2>(key) + " record " + record.fqdn() + " in the domain");
    }
    recordCache_[key] = out;
    return recordFound(*log(), matches, record.fqdn(), std::get<2>(key), std::to_string(out.id));
  }

  UpdateResult updateOnce(const Record& record, const IpAddress& ip) {
    long long domainId = 0;
    const bool hadDomain = domains_.count(record.domain) != 0;
    UpdateResult r = domainIdFor(record.domain, domainId);
    if (!r.ok()) {
      return r;
    }
    const RecordKey key{domainId, lowercase(record.host), toString(record.type)};
    const bool hadRecord = recordCache_.count(key) != 0;
    Cached cached;
    r = findRecord(domainId, record, cached);
    const std::string target = ip.toString();
    if (r.status == UpdateStatus::NotFound) {
      return createMissing_ ? create(domainId, record, target) : r;
    }
    if (!r.ok()) {
      return r;
    }
    if (!hadRecord && cached.target == target) {
      return outcome(UpdateStatus::Unchanged, "record already points at " + target);
    }
    const HttpResponse resp = http_.perform(request(
        "PUT", "/domains/" + std::to_string(domainId) + "/records/" + std::to_string(cached.id),
        JsonBody().add("target", target).text()));
    if (!resp.transportOk() || resp.status != 200) {
      if (resp.transportOk() && resp.status == 404 && (hadDomain || hadRecord)) {
        staleIds_ = true;
      }
      return linodeFailure(resp, "update record");
    }
    recordCache_[key].target = target;
    return outcome(UpdateStatus::Updated, "record " + std::to_string(cached.id) + " -> " + target);
  }

  UpdateResult create(long long domainId, const Record& record, const std::string& target) {
    const HttpResponse resp =
        http_.perform(request("POST", "/domains/" + std::to_string(domainId) + "/records",
                              JsonBody()
                                  .add("type", toString(record.type))
                                  .add("name", record.host)
                                  .add("target", target)
                                  .addPositive("ttl_sec", ttl_)
                                  .text()));
    if (!resp.transportOk() || resp.status != 200) {
      return linodeFailure(resp, "create record");
    }
    rapidjson::Document doc;
    std::string error;
    if (json::parse(doc, resp.body, error) && doc.IsObject() && doc.HasMember("id") &&
        doc["id"].IsInt64()) {
      recordCache_[{domainId, lowercase(record.host), toString(record.type)}] = {
          doc["id"].GetInt64(), target};
    }
    log()->info("record created record={} type={}", record.fqdn(), toString(record.type));
    return outcome(UpdateStatus::Updated, "record created -> " + target);
  }

  std::vector<Record> records_;
  std::string token_;
  bool createMissing_ = false;
  long long ttl_ = 0;
  std::string endpoint_;
  HttpClient http_;
  std::map<std::string, long long> domains_;
  std::map<RecordKey, Cached> recordCache_;
  bool staleIds_ = false;
};

}  // namespace

ProviderInfo linodeProvider() {
  using T = config::SettingType;
  ProviderInfo info =
      providerOf<LinodeProvider>("linode", "Linode (Akamai) DNS Manager, API v4",
                                 "https://techdocs.akamai.com/linode-api/reference/api");
  info.settings = {
      config::Setting("api_key", T::kSecret)
          .required()
          .help("Linode personal access token with Domains read/write scope."),
      config::Setting("endpoint", T::kString)
          .byDefault(kLinodeEndpoint)
          .help("API base URL. The retired v3 URL of old configs is replaced by the v4 one."),
      config::Setting("create_missing", T::kBool)
          .byDefault("no")
          .help("Create the record when the domain lacks it."),
      config::Setting("ttl", T::kSeconds)
          .range(0, 7 * 86400)
          .byDefault("0")
          .help("TTL of created records; 0: the domain's default."),
  };
  return info;
}

}  // namespace chipmunk::providers
