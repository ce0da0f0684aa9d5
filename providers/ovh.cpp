// SPDX-License-Identifier: MIT
// OVHcloud DNS zones through the signed OVHcloud API v1 (the `ovh-dynhost` dyndns2 preset
// covers DynHost logins).
//   Reference: https://help.ovhcloud.com/csm/en-api-getting-started-ovhcloud-api
//              ("First steps with the OVHcloud APIs") and https://api.ovh.com/console/
//              (/domain/zone)
//   Endpoints: ovh-eu https://eu.api.ovh.com/1.0, ovh-ca https://ca.api.ovh.com/1.0,
//              ovh-us https://api.us.ovhcloud.com/1.0
//   Auth:      X-Ovh-Application: AK, X-Ovh-Consumer: CK, X-Ovh-Timestamp: server time,
//              X-Ovh-Signature: "$1$" + sha1_hex(AS+"+"+CK+"+"+METHOD+"+"+URL+"+"+BODY+"+"+TS)
//              where URL is the full URL with its query; GET /auth/time (unsigned) gives
//              the server's time, from which our clock's offset is kept
//   Find:      GET /domain/zone/ZONE/record?fieldType=A&subDomain=SUB -> [ids]
//              GET /domain/zone/ZONE/record/ID -> {"id","zone","fieldType","subDomain",
//              "target","ttl"} (ttl 0: the zone's)
//   Update:    PUT /domain/zone/ZONE/record/ID {"target"[,"ttl"]}: the fields sent change,
//              the others stay -> 200 null
//   Create:    POST /domain/zone/ZONE/record {"fieldType","subDomain","target"[,"ttl"]}
//   Apply:     POST /domain/zone/ZONE/refresh: a change is served only once the zone is
//              refreshed; a refresh that failed is retried at the next update
//   Errors:    {"errorCode","httpCode","message"} or {"class","message"}: 403 INVALID_KEY,
//              INVALID_CREDENTIAL, NOT_GRANTED_CALL; 400 INVALID_SIGNATURE; 400
//              QUERY_TIME_OUT (timestamp off: the time is fetched again); 404
//              Client::NotFound ("This service does not exist": not our zone); 429
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "common/json.hpp"
#include "common/logging.hpp"
#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"
#include "providers/signing.hpp"

namespace chipmunk::providers {
namespace {

// The context with `endpoint` resolved: a region's name to its URL, a URL kept as it is.
ProviderContext withEndpoint(ProviderContext context) {
  static const std::map<std::string, std::string> kRegions = {
      {"ovh-eu", "https://eu.api.ovh.com/1.0"},
      {"ovh-ca", "https://ca.api.ovh.com/1.0"},
      {"ovh-us", "https://api.us.ovhcloud.com/1.0"}};
  std::string& endpoint = context.settings["endpoint"];
  if (const auto it = kRegions.find(lowercase(endpoint)); it != kRegions.end()) {
    endpoint = it->second;
  }
  return context;
}

bool authCode(const std::string& code) {
  static const std::set<std::string> kCodes = {"INVALID_KEY",       "INVALID_CREDENTIAL",
                                               "INVALID_SIGNATURE", "NOT_CREDENTIAL",
                                               "NOT_GRANTED_CALL",  "FORBIDDEN"};
  return kCodes.count(code) != 0;
}

class OvhProvider final : public DnsProvider {
 public:
  explicit OvhProvider(const ProviderContext& context)
      : appKey_(context.get("application_key")),
        appSecret_(context.get("application_secret")),
        consumerKey_(context.get("consumer_key")),
        zone_(lowercase(context.get("zone"))),
        api_(withEndpoint(context), "", "",
             [this](const HttpResponse& resp, const std::string& what) {
               return failure(resp, what);
             }) {
    for (const auto& record : context.records) {
      if (!zone_.empty() && !inZone(record)) {
        throw std::invalid_argument("[" + context.section + "] record " + record.fqdn() +
                                    " is not in zone " + zone_);
      }
    }
  }

  // DnsProvider
  UpdateResult prepare() override { return syncTime(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    if (!offset_) {
      if (UpdateResult r = syncTime(); !r.ok()) {
        return r;
      }
    }
    const std::string zone = zone_.empty() ? lowercase(record.domain) : zone_;
    const std::string base = "/domain/zone/" + urlEncode(zone);
    const std::string sub = subDomain(record);
    const std::string type = toString(record.type);
    std::optional<FoundRecord> found;
    if (auto stop = find(base, sub, type, record.fqdn(), found)) {
      return *stop;
    }
    const std::string content = ip.toString();
    UpdateResult r = api_.sync(
        {record.fqdn(), type, content}, found,
        [&] {
          return api_.send({signedRequest("POST", base + "/record",
                                          JsonBody()
                                              .add("fieldType", type)
                                              .add("subDomain", sub)
                                              .add("target", content)
                                              .addPositive("ttl", api_.ttl())
                                              .text()),
                            {200},
                            "create record",
                            "record created -> " + content});
        },
        [&](const FoundRecord& f) {
          return api_.sendUpdate(
              signedRequest(
                  "PUT", base + "/record/" + f.id,
                  JsonBody().add("target", content).addPositive("ttl", api_.ttl()).text()),
              {200}, f.id, content);
        });
    if (r.status == UpdateStatus::Updated || (r.ok() && pendingRefresh_.count(zone) != 0)) {
      return refresh(zone, base, r);
    }
    return r;
  }

  // The first record of the name and type, read now (the ids listing and one read).
  CurrentRecord current(const Record& record) override {
    if (!offset_) {
      if (UpdateResult r = syncTime(); !r.ok()) {
        return currentFrom(r, "");
      }
    }
    const std::string zone = zone_.empty() ? lowercase(record.domain) : zone_;
    std::optional<FoundRecord> found;
    auto stop = find("/domain/zone/" + urlEncode(zone), subDomain(record), toString(record.type),
                     record.fqdn(), found);
    if (!stop && !found) {
      stop = outcome(UpdateStatus::NotFound, "no record " + record.fqdn());
    }
    return stop ? currentFrom(*stop, "")
                : currentFrom(outcome(UpdateStatus::Unchanged, "record read"), found->content);
  }

 private:
  bool inZone(const Record& record) const {
    const std::string fqdn = lowercase(record.fqdn());
    return fqdn == zone_ ||
           (fqdn.size() > zone_.size() &&
            fqdn.compare(fqdn.size() - zone_.size() - 1, std::string::npos, "." + zone_) == 0);
  }

  std::string subDomain(const Record& record) const {
    if (zone_.empty()) {
      return lowercase(record.host);
    }
    const std::string fqdn = lowercase(record.fqdn());
    return fqdn == zone_ ? "" : fqdn.substr(0, fqdn.size() - zone_.size() - 1);
  }

  // GET /auth/time: the offset of the server's clock from ours.
  UpdateResult syncTime() {
    HttpRequest req;
    req.url = api_.endpoint() + "/auth/time";
    req.headers.emplace_back("Accept", "application/json");
    const HttpResponse resp = api_.http().perform(req);
    if (!resp.transportOk() || resp.status != 200) {
      return classifyHttpFailure(resp, "auth/time");
    }
    rapidjson::Document doc;
    std::string error;
    if (!json::parse(doc, resp.body, error) || !doc.IsInt64()) {
      return outcome(UpdateStatus::Failed, "auth/time: not a timestamp");
    }
    offset_ = doc.GetInt64() - now();
    return outcome(UpdateStatus::Unchanged, "server time read");
  }

  static long long now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  HttpRequest signedRequest(const std::string& method, const std::string& path,
                            std::string body = "") const {
    HttpRequest req = api_.request(method, path, std::move(body));
    const std::string timestamp = std::to_string(now() + offset_.value_or(0));
    req.headers.emplace_back("X-Ovh-Application", appKey_);
    req.headers.emplace_back("X-Ovh-Consumer", consumerKey_);
    req.headers.emplace_back("X-Ovh-Timestamp", timestamp);
    req.headers.emplace_back("X-Ovh-Signature",
                             "$1$" + sha1Hex(appSecret_ + "+" + consumerKey_ + "+" + method + "+" +
                                             req.url + "+" + req.body + "+" + timestamp));
    return req;
  }

  // The first record of `sub` and `type` in the zone at `base`, read in full.
  std::optional<UpdateResult> find(const std::string& base, const std::string& sub,
                                   const std::string& type, const std::string& fqdn,
                                   std::optional<FoundRecord>& found) {
    rapidjson::Document ids;
    if (auto stop = api_.fetch(signedRequest("GET", base + "/record?fieldType=" + type +
                                                        "&subDomain=" + urlEncode(sub)),
                               {200}, "list records", {nullptr, "an id listing"}, ids)) {
      return stop;
    }
    if (ids.Empty()) {
      return std::nullopt;
    }
    if (!ids[0].IsInt64()) {
      return outcome(UpdateStatus::Failed, "list records: not an id listing");
    }
    const std::string id = std::to_string(ids[0].GetInt64());
    recordFound(*logging::get("provider.ovh"), static_cast<int>(ids.Size()), fqdn, type, id);
    const HttpResponse resp = api_.http().perform(signedRequest("GET", base + "/record/" + id));
    if (!resp.transportOk() || resp.status != 200) {
      return failure(resp, "read record");
    }
    rapidjson::Document doc;
    std::string error;
    if (!json::parse(doc, resp.body, error) || !doc.IsObject() ||
        jsonString(doc, "fieldType") != type) {
      return outcome(UpdateStatus::Failed, "read record: not a " + type + " record");
    }
    found = FoundRecord{id, jsonString(doc, "target"), jsonInt(doc, "ttl", 0)};
    return std::nullopt;
  }

  // POST /refresh after a change (or for one whose refresh failed): `done` when it worked.
  UpdateResult refresh(const std::string& zone, const std::string& base, UpdateResult done) {
    const UpdateResult r = api_.send({signedRequest("POST", base + "/refresh"),
                                      {200, 204},
                                      "refresh zone " + zone,
                                      "zone refreshed"});
    if (r.status != UpdateStatus::Updated) {
      pendingRefresh_.insert(zone);
      return r;
    }
    if (pendingRefresh_.erase(zone) != 0 && done.status == UpdateStatus::Unchanged) {
      done = outcome(UpdateStatus::Updated, done.detail + "; zone " + zone + " refreshed");
    }
    return done;
  }

  // classifyHttpFailure refined by OVHcloud's error body: refused keys and signatures stop,
  // a timestamp out of range reads the server time again, an unknown zone is not-found.
  UpdateResult failure(const HttpResponse& resp, const std::string& what) {
    return classifyJsonFailure(resp, what, [&](const rapidjson::Document& doc, UpdateResult& r) {
      const std::string code = jsonString(doc, "errorCode");
      const std::string kind = jsonString(doc, "class");
      if (authCode(code) || kind == "Client::Forbidden") {
        r.status = UpdateStatus::AuthFailed;
        r.stop = true;
      } else if (code == "QUERY_TIME_OUT") {
        r.status = UpdateStatus::RetryLater;
        offset_.reset();
      } else if (kind == "Client::NotFound") {
        r.status = UpdateStatus::NotFound;
      }
      appendReason(r, jsonString(doc, "message"));
    });
  }

  std::string appKey_;
  std::string appSecret_;
  std::string consumerKey_;
  std::string zone_;  // "" : each record's domain
  RestRecords api_;
  std::optional<long long> offset_;       // server time - our time, once read
  std::set<std::string> pendingRefresh_;  // zones changed but not refreshed yet
};

}  // namespace

ProviderInfo ovhProvider() {
  using T = config::SettingType;
  ProviderInfo info = providerOf<OvhProvider>(
      "ovh", "OVHcloud DNS zones, signed API v1",
      "https://help.ovhcloud.com/csm/en-api-getting-started-ovhcloud-api",
      restSettings({config::Setting("application_key", T::kString)
                        .required()
                        .help("Application key (AK) from the API's createApp page."),
                    config::Setting("application_secret", T::kSecret)
                        .required()
                        .help("Application secret (AS)."),
                    config::Setting("consumer_key", T::kSecret)
                        .required()
                        .help("Consumer key (CK) granted GET/PUT/POST on /domain/zone/*."),
                    config::Setting("zone", T::kString)
                        .help("Zone holding the records; empty: each record's domain.")},
                   {"ovh-eu", "TTL to set; 0: keep the record's (new records: the zone's).", 86400,
                    "Create the record when the zone lacks it."}));
  for (auto& setting : info.settings) {
    if (setting.key == "endpoint") {
      setting.help = "ovh-eu, ovh-ca, ovh-us or the API base URL.";
    }
  }
  return info;
}

}  // namespace chipmunk::providers
