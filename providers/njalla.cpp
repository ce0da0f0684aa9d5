// SPDX-License-Identifier: MIT
// Njalla DNS through the Njalla API (JSON-RPC style).
//   Reference: https://njal.la/api/
//   Endpoint:  POST https://njal.la/api/1/ {"method":NAME,"params":{...}} with
//              Authorization: Njalla TOKEN; an answer is {"result":{...}} or
//              {"error":{"code":N,"message":"..."}}
//   List:      list-records {domain} -> {"result":{"records":[{"id" (a number),"name" ("@"
//              for the apex),"type","content","ttl"}]}}
//   Update:    edit-record {domain, id, content[, ttl]} -> {"result":{record}}; fields not
//              sent keep their values
//   Create:    add-record {domain, type, name, content, ttl} -> {"result":{record}}
//   TTLs:      60, 300, 900, 3600, 10800, 21600 or 86400
// Njalla also offers a per-record dynamic-DNS URL (https://njal.la/update/?h=NAME&k=KEY&a=IP);
// the API is used instead because one token serves every record (A and AAAA) of the
// account, reads the record first (no write when unchanged), keeps its TTL and can create a
// missing one. The URL is the `url` provider's business (docs/PROVIDERS.md, njalla).
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kNjallaEndpoint = "https://njal.la/api/1";

bool njallaMentions(const std::string& text, const char* needle) {
  return lowercase(text).find(needle) != std::string::npos;
}

// An answer that is not a result: the HTTP status first, then the error object's code and
// message (Njalla sends them with HTTP 200 too).
UpdateResult njallaFailure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& r) {
    const rapidjson::Value* code = rapidjson::Pointer("/error/code").Get(doc);
    const rapidjson::Value* message = rapidjson::Pointer("/error/message").Get(doc);
    const long long c = code != nullptr && code->IsInt64() ? code->GetInt64() : 0;
    const std::string m = message != nullptr && message->IsString() ? message->GetString() : "";
    if (c == 401 || c == 403 || njallaMentions(m, "permission") || njallaMentions(m, "token") ||
        njallaMentions(m, "authoriz")) {
      r = outcome(UpdateStatus::AuthFailed, r.detail, true);
    } else if (c == 404 || njallaMentions(m, "not found") || njallaMentions(m, "no such")) {
      r = outcome(UpdateStatus::NotFound, r.detail, true);
    } else if (c == 429 || njallaMentions(m, "rate limit") || njallaMentions(m, "too many")) {
      r.status = UpdateStatus::RetryLater;
    }
    if (code != nullptr) {
      r.detail += " error " + std::to_string(c);
    }
    appendReason(r, m);
  });
}

std::string idText(const rapidjson::Value& item) {
  const auto it = item.IsObject() ? item.FindMember("id") : item.MemberEnd();
  if (!item.IsObject() || it == item.MemberEnd()) {
    return {};
  }
  return it->value.IsInt64() ? std::to_string(it->value.GetInt64()) : jsonString(item, "id");
}

class NjallaProvider final : public DnsProvider {
 public:
  explicit NjallaProvider(const ProviderContext& context)
      : api_(context, "Authorization", "Njalla " + context.get("token"), njallaFailure) {}

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    // The record's domain is the Njalla domain; a name below a subdomain is relative to it
    // (host = home.lab, domain = example.com).
    const std::string domain = lowercase(record.domain);
    const std::string name = record.host.empty() ? "@" : lowercase(record.host);
    const std::string type = toString(record.type);
    rapidjson::Document doc;
    if (auto stop = call("list-records", {{"domain", domain}}, {}, doc)) {
      return *stop;
    }
    const rapidjson::Value* list = rapidjson::Pointer("/result/records").Get(doc);
    if (list == nullptr || !list->IsArray()) {
      return outcome(UpdateStatus::Failed, "list-records: not a records listing");
    }
    std::optional<FoundRecord> found;
    for (const auto& item : list->GetArray()) {
      const std::string itemName = lowercase(jsonString(item, "name"));
      if (!found && jsonString(item, "type") == type && !idText(item).empty() &&
          (itemName == name || (name == "@" && itemName.empty()))) {
        found = FoundRecord{idText(item), jsonString(item, "content"), jsonInt(item, "ttl", 0)};
      }
    }
    const std::string content = ip.toString();
    rapidjson::Document answer;
    return api_.sync(
        {record.fqdn(), type, content}, found,
        [&] {
          auto stop =
              call("add-record",
                   {{"domain", domain}, {"type", type}, {"name", name}, {"content", content}},
                   api_.ttlOr(3600), answer);
          return stop ? *stop : outcome(UpdateStatus::Updated, "record created -> " + content);
        },
        [&](const FoundRecord& f) {
          auto stop = call("edit-record", {{"domain", domain}, {"id", f.id}, {"content", content}},
                           api_.ttl(), answer);
          return stop ? *stop : outcome(UpdateStatus::Updated, "record " + f.id + " -> " + content);
        });
  }

 private:
  // POSTs `method` with `params` (an "id" as the number it is) and `ttl` when positive;
  // fills `doc` with an answer holding a "result" object, else returns the outcome.
  std::optional<UpdateResult> call(const char* method,
                                   const std::vector<std::pair<const char*, std::string>>& params,
                                   long long ttl, rapidjson::Document& doc) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("method");
    w.String(method);
    w.Key("params");
    w.StartObject();
    for (const auto& [key, value] : params) {
      w.Key(key);
      const bool number = std::string(key) == "id" && !value.empty() && value.size() < 18 &&
                          value.find_first_not_of("0123456789") == std::string::npos;
      if (number) {
        w.Int64(std::stoll(value));
      } else {
        w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
      }
    }
    if (ttl > 0) {
      w.Key("ttl");
      w.Int64(ttl);
    }
    w.EndObject();
    w.EndObject();
    const HttpResponse resp = api_.http().perform(api_.request("POST", "/", buf.GetString()));
    std::string error;
    if (!resp.transportOk() || resp.status != 200 || !json::parse(doc, resp.body, error) ||
        !doc.IsObject() || doc.HasMember("error")) {
      if (resp.transportOk() && resp.status == 200 && !doc.IsObject()) {
        return outcome(UpdateStatus::Failed, std::string(method) + ": not a JSON object");
      }
      return njallaFailure(resp, method);
    }
    if (!doc.HasMember("result") || !doc["result"].IsObject()) {
      return outcome(UpdateStatus::Failed, std::string(method) + ": no result");
    }
    return std::nullopt;
  }

  RestRecords api_;
};

}  // namespace

ProviderInfo njallaProvider() {
  using T = config::SettingType;
  return providerOf<NjallaProvider>(
      "njalla", "Njalla DNS, API (JSON-RPC)", "https://njal.la/api/",
      restSettings(
          {config::Setting("token", T::kSecret)
               .required()
               .help("API token (njal.la: Settings, API), sent as Authorization: Njalla TOKEN.")},
          {kNjallaEndpoint,
           "TTL to set (60, 300, 900, 3600, 10800, 21600 or 86400); 0: keep the record's.", 86400,
           "Create the record when the domain lacks it (TTL 3600 unless ttl is set)."}));
}

}  // namespace chipmunk::providers
