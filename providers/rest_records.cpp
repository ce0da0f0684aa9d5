// SPDX-License-Identifier: MIT
#include "providers/rest_records.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace chipmunk::providers {

std::string jsonString(const rapidjson::Value& value, const char* key) {
  if (!value.IsObject()) {
    return {};
  }
  const auto it = value.FindMember(key);
  return it != value.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

long long jsonInt(const rapidjson::Value& value, const char* key, long long fallback) {
  if (!value.IsObject()) {
    return fallback;
  }
  const auto it = value.FindMember(key);
  return it != value.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : fallback;
}

std::optional<std::string> nameInZone(const Record& record, const std::string& zone) {
  const std::string z = lowercase(zone);
  if (z.empty() || z == lowercase(record.domain)) {
    return lowercase(record.host);
  }
  const std::string fqdn = lowercase(record.fqdn());
  if (fqdn == z) {
    return std::string();
  }
  if (fqdn.size() > z.size() + 1 &&
      fqdn.compare(fqdn.size() - z.size() - 1, std::string::npos, "." + z) == 0) {
    return fqdn.substr(0, fqdn.size() - z.size() - 1);
  }
  return std::nullopt;
}

JsonBody::JsonBody() : writer_(buf_) {
  writer_.StartObject();
}

JsonBody& JsonBody::add(const char* key, const std::string& value) {
  writer_.Key(key);
  writer_.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  return *this;
}

JsonBody& JsonBody::add(const char* key, long long value) {
  writer_.Key(key);
  writer_.Int64(value);
  return *this;
}

JsonBody& JsonBody::add(const char* key, bool value) {
  writer_.Key(key);
  writer_.Bool(value);
  return *this;
}

JsonBody& JsonBody::addList(const char* key, const std::string& value) {
  writer_.Key(key);
  writer_.StartArray();
  writer_.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  writer_.EndArray();
  return *this;
}

JsonBody& JsonBody::addPositive(const char* key, long long value) {
  return value > 0 ? add(key, value) : *this;
}

std::string JsonBody::text() {
  writer_.EndObject();
  return buf_.GetString();
}

RestRecords::RestRecords(const ProviderContext& context, std::string authName,
                         std::string authValue, FailureClassifier failure)
    : endpoint_(endpointSetting(context)),
      authName_(std::move(authName)),
      authValue_(std::move(authValue)),
      createMissing_(context.getBool("create_missing")),
      ttl_(ttlSetting(context)),
      failure_(std::move(failure)),
      http_(context.http) {}

HttpRequest RestRecords::request(const std::string& method, const std::string& path,
                                 std::string body) const {
  HttpRequest req = jsonRequest(method, endpoint_ + path, authName_, authValue_, std::move(body));
  if (authName_.empty()) {
    req.headers.erase(req.headers.begin());
  }
  return req;
}

std::optional<UpdateResult> RestRecords::fetch(const HttpRequest& req,
                                               std::initializer_list<int> ok,
                                               const std::string& what, JsonShape shape,
                                               rapidjson::Document& doc, int* status) {
  const HttpResponse resp = http_.perform(req);
  if (status != nullptr) {
    *status = resp.status;
  }
  if (!resp.transportOk() || std::find(ok.begin(), ok.end(), resp.status) == ok.end()) {
    return failure_(resp, what);
  }
  std::string error;
  const bool parsed = json::parse(doc, resp.body, error);
  const bool fits =
      parsed && (shape.member == nullptr ? doc.IsArray()
                                         : doc.IsObject() && doc.HasMember(shape.member) &&
                                               doc[shape.member].IsArray());
  if (!fits) {
    return outcome(UpdateStatus::Failed, what + ": not " + shape.name);
  }
  return std::nullopt;
}

std::optional<UpdateResult> RestRecords::listPages(std::string path, JsonShape shape, int maxPages,
                                                   const NextPage& next, const Visit& visit,
                                                   int* status) {
  for (int page = 0; !path.empty(); ++page) {
    if (page == maxPages) {
      return outcome(UpdateStatus::Failed,
                     "list records: more than " + std::to_string(maxPages) + " pages");
    }
    rapidjson::Document doc;
    if (auto stop = fetch(request("GET", path), {200}, "list records", shape, doc, status)) {
      return stop;
    }
    for (const auto& item : doc[shape.member].GetArray()) {
      visit(item);
    }
    path = next(doc);
  }
  return std::nullopt;
}

std::optional<UpdateResult> RestRecords::zoneId(const std::string& domain, const std::string& path,
                                                JsonShape shape, std::string& id) {
  if (const auto it = zones_.find(domain); it != zones_.end()) {
    id = it->second;
    return std::nullopt;
  }
  rapidjson::Document doc;
  int status = 0;
  if (auto stop = fetch(request("GET", path), {200}, "list zones", shape, doc, &status)) {
    if (status == 404) {  // Hetzner answers 404 for a name it does not hold
      stop->detail.replace(0, std::string("list zones").size(), "zone " + domain);
    }
    return stop;
  }
  const auto& zones = shape.member == nullptr ? doc : doc[shape.member];
  for (const auto& zone : zones.GetArray()) {
    if (lowercase(jsonString(zone, "name")) == domain && !jsonString(zone, "id").empty()) {
      id = jsonString(zone, "id");
      zones_[domain] = id;
      return std::nullopt;
    }
  }
  return outcome(UpdateStatus::NotFound, "zone " + domain + " is not in this account");
}

UpdateResult RestRecords::send(const RecordWrite& write) {
  const HttpResponse resp = http_.perform(write.request);
  if (!resp.transportOk() ||
      std::find(write.ok.begin(), write.ok.end(), resp.status) == write.ok.end()) {
    return failure_(resp, write.what);
  }
  return outcome(UpdateStatus::Updated, write.done);
}

UpdateResult RestRecords::sendCreate(HttpRequest request, std::vector<int> ok,
                                     const std::string& content) {
  return send({std::move(request), std::move(ok), "create record", "record created -> " + content});
}

UpdateResult RestRecords::sendUpdate(HttpRequest request, std::vector<int> ok,
                                     const std::string& id, const std::string& content) {
  return send(
      {std::move(request), std::move(ok), "update record", "record " + id + " -> " + content});
}

UpdateResult RestRecords::sync(const RecordTarget& target, const std::optional<FoundRecord>& found,
                               const Create& create, const Update& update) const {
  if (!found) {
    if (!createMissing_) {
      return outcome(UpdateStatus::NotFound, "no " + target.type + " " + target.noun + " " +
                                                 target.fqdn + " (" + target.missingHint + ")");
    }
    return create();
  }
  if (found->content == target.content && (ttl_ == 0 || ttl_ == found->ttl)) {
    return outcome(UpdateStatus::Unchanged, target.noun == "record"
                                                ? "record already points at " + target.content
                                                : target.noun + " already holds " + target.content);
  }
  return update(*found);
}

std::vector<config::SettingSpec> restSettings(std::vector<config::SettingSpec> credentials,
                                              const RestSettings& rest) {
  using T = config::SettingType;
  credentials.push_back(
      config::Setting("endpoint", T::kString).byDefault(rest.endpoint).help("API base URL."));
  credentials.push_back(
      config::Setting("ttl", T::kSeconds).range(0, rest.maxTtl).byDefault("0").help(rest.ttlHelp));
  credentials.push_back(
      config::Setting("create_missing", T::kBool).byDefault("no").help(rest.createHelp));
  return credentials;
}

UpdateResult recordFound(spdlog::logger& log, int matches, const std::string& fqdn,
                         const std::string& type, const std::string& id) {
  if (matches > 1) {
    log.warn("several records match; updating the first record={} type={} record_id={}", fqdn, type,
             id);
  }
  log.info("record found record={} type={} record_id={}", fqdn, type, id);
  return outcome(UpdateStatus::Unchanged, "found");
}

UpdateResult prepareEach(const std::vector<Record>& records,
                         const std::function<UpdateResult(const Record&)>& lookUp) {
  UpdateResult worst = outcome(UpdateStatus::Unchanged, "ids looked up");
  for (const auto& record : records) {
    const UpdateResult r = lookUp(record);
    if (r.status == UpdateStatus::AuthFailed || r.status == UpdateStatus::RetryLater) {
      return r;
    }
    if (!r.ok() && worst.ok()) {
      worst.detail = r.detail;
    }
  }
  return worst;
}

UpdateResult withFreshIds(const std::function<UpdateResult()>& once, bool& stale,
                          const std::function<void()>& forget) {
  UpdateResult r = once();
  if (r.status == UpdateStatus::NotFound && stale) {
    stale = false;
    forget();
    r = once();
  }
  return r;
}

}  // namespace chipmunk::providers
