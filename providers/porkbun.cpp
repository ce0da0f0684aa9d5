// SPDX-License-Identifier: MIT
// Porkbun DNS through the Porkbun API v3.
//   Reference: https://porkbun.com/api/json/v3/documentation
//   Endpoint:  https://api.porkbun.com/api/json/v3 (every call is a POST with a JSON body that
//              carries "apikey" and "secretapikey")
//   Ping:      POST /ping -> {"status":"SUCCESS","yourIp":"..."} (checks the keys)
//   Retrieve:  POST /dns/retrieveByNameType/DOMAIN/TYPE[/SUBDOMAIN]
//              -> {"status":"SUCCESS","records":[{"id","name","type","content","ttl","prio",
//              "notes"}]} (numbers as strings)
//   Edit:      POST /dns/edit/DOMAIN/ID {name, type, content, ttl, prio, notes}: a full
//              replacement, so the record's ttl, prio and notes are sent back as they were
//   Create:    POST /dns/create/DOMAIN {name, type, content, ttl} -> {"status":"SUCCESS","id":N}
//   Errors:    {"status":"ERROR","message":"..."}, usually with HTTP 400; the API must be
//              enabled per domain ("API ACCESS" toggle), else the domain's calls fail.
// The record is read before it is written: an unchanged address sends nothing (Porkbun
// answers an edit that changes nothing with an error).
#include "common/json.hpp"
#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kPorkbunEndpoint = "https://api.porkbun.com/api/json/v3";

struct Reply {
  bool success = false;
  std::string message;  // the API's, cut to 200 characters
  rapidjson::Document doc;
};

Reply parseReply(const std::string& body) {
  Reply r;
  std::string error;
  if (!json::parse(r.doc, body, error) || !r.doc.IsObject()) {
    return r;
  }
  const auto status = r.doc.FindMember("status");
  r.success = status != r.doc.MemberEnd() && status->value.IsString() &&
              std::string(status->value.GetString()) == "SUCCESS";
  const auto message = r.doc.FindMember("message");
  if (message != r.doc.MemberEnd() && message->value.IsString()) {
    r.message = std::string(message->value.GetString()).substr(0, 200);
  }
  return r;
}

std::string text(const rapidjson::Value& object, const char* key) {
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd()) {
    return {};
  }
  if (it->value.IsString()) {
    return it->value.GetString();
  }
  if (it->value.IsInt64()) {
    return std::to_string(it->value.GetInt64());
  }
  return {};
}

bool contains(const std::string& haystack, const char* needle) {
  return lowercase(haystack).find(needle) != std::string::npos;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

// A TTL as Porkbun writes it ("600"): -1 when the text is not exactly a number we would send.
long long ttlOf(const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return -1;
  }
  const long long ttl = std::stoll(text);
  return std::to_string(ttl) == text ? ttl : -1;
}

class PorkbunProvider final : public DnsProvider {
 public:
  explicit PorkbunProvider(const ProviderContext& context)
      : apiKey_(context.get("api_key")),
        secretKey_(context.get("secret_api_key")),
        api_(context, "", "", classifyHttpFailure) {}

  // DnsProvider
  UpdateResult prepare() override {
    HttpResponse resp;
    const Reply reply = call("/ping", {}, resp);
    if (!resp.transportOk() || resp.status != 200 || !reply.success) {
      return failure(resp, reply, "ping");
    }
    return outcome(UpdateStatus::Unchanged, "keys accepted");
  }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string domain = urlEncode(lowercase(record.domain));
    const std::string sub = lowercase(record.host);
    const std::string type = toString(record.type);
    HttpResponse resp;
    Reply reply = call("/dns/retrieveByNameType/" + domain + "/" + type +
                           (sub.empty() ? "" : "/" + urlEncode(sub)),
                       {}, resp);
    if (!resp.transportOk() || resp.status != 200 || !reply.success) {
      return failure(resp, reply, "retrieve");
    }
    const auto records = reply.doc.FindMember("records");
    if (records == reply.doc.MemberEnd() || !records->value.IsArray()) {
      return outcome(UpdateStatus::Failed, "retrieve: reply has no records array");
    }
    std::optional<FoundRecord> found;
    for (const auto& item : records->value.GetArray()) {
      if (item.IsObject() && !text(item, "id").empty() && text(item, "type") == type) {
        found =
            FoundRecord{text(item, "id"), text(item, "content"), ttlOf(text(item, "ttl")), &item};
        break;
      }
    }
    const std::string content = ip.toString();
    return api_.sync(
        {record.fqdn(), type, content}, found,
        [&] {
          Fields fields = {{"name", sub}, {"type", type}, {"content", content}};
          if (api_.ttl() > 0) {
            fields.emplace_back("ttl", std::to_string(api_.ttl()));
          }
          return write("/dns/create/" + domain, fields, "create", "record created -> " + content);
        },
        [&](const FoundRecord& f) {
          // A full replacement: everything the record had goes back, the address changed.
          const Fields fields = {
              {"name", sub},
              {"type", type},
              {"content", content},
              {"ttl", api_.ttl() > 0 ? std::to_string(api_.ttl()) : text(*f.item, "ttl")},
              {"prio", text(*f.item, "prio")},
              {"notes", text(*f.item, "notes")}};
          return write("/dns/edit/" + domain + "/" + urlEncode(f.id), fields, "edit",
                       "record " + f.id + " -> " + content);
        });
  }

 private:
  Reply call(const std::string& path, const Fields& fields, HttpResponse& resp) {
    JsonBody body;
    body.add("apikey", apiKey_).add("secretapikey", secretKey_);
    for (const auto& [key, value] : fields) {
      if (key != "prio" || !value.empty()) {
        body.add(key.c_str(), value);
      }
    }
    resp = api_.http().perform(api_.request("POST", path, body.text()));
    return parseReply(resp.body);
  }

  UpdateResult write(const std::string& path, const Fields& fields, const std::string& what,
                     const std::string& done) {
    HttpResponse resp;
    const Reply reply = call(path, fields, resp);
    if (!resp.transportOk() || resp.status != 200 || !reply.success) {
      return failure(resp, reply, what);
    }
    return outcome(UpdateStatus::Updated, done);
  }

  // Errors come as {"status":"ERROR","message":...}, mostly with HTTP 400: the message tells
  // a refused key and an unknown domain from the rest.
  static UpdateResult failure(const HttpResponse& resp, const Reply& reply,
                              const std::string& what) {
    UpdateResult r = classifyHttpFailure(resp, what);
    if (!resp.transportOk()) {
      return r;
    }
    if (resp.status == 200) {
      r.status = UpdateStatus::Failed;
      r.detail = what + ": " + (reply.message.empty() ? "unexpected reply" : "status ERROR");
    }
    const std::string& m = reply.message;
    if (contains(m, "api key") || contains(m, "not opted in") || contains(m, "api access")) {
      r.status = UpdateStatus::AuthFailed;
      r.stop = true;
    } else if (contains(m, "invalid domain") || contains(m, "domain not found")) {
      r.status = UpdateStatus::NotFound;
      r.stop = true;
    } else if (contains(m, "rate limit") && r.status == UpdateStatus::Failed) {
      r.status = UpdateStatus::RetryLater;
    }
    appendReason(r, m);
    return r;
  }

  std::string apiKey_;
  std::string secretKey_;
  RestRecords api_;
};

}  // namespace

ProviderInfo porkbunProvider() {
  using T = config::SettingType;
  return providerOf<PorkbunProvider>(
      "porkbun", "Porkbun DNS, API v3", "https://porkbun.com/api/json/v3/documentation",
      restSettings({config::Setting("api_key", T::kSecret)
                        .required()
                        .help("API key (pk1_...), with API ACCESS on for the domain."),
                    config::Setting("secret_api_key", T::kSecret)
                        .required()
                        .help("Secret API key (sk1_...).")},
                   {kPorkbunEndpoint, "TTL to set (600 s or more); 0: keep the record's.", 86400,
                    "Create the record when the domain lacks it."}));
}

}  // namespace chipmunk::providers
