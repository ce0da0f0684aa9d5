// SPDX-License-Identifier: MIT
// netcup DNS through the netcup CCP API (JSON).
//   Reference: https://ccp.netcup.net/run/webservice/servers/endpoint.php
//              https://helpcenter.netcup.com/en/wiki/general/our-api
//   Endpoint:  POST https://ccp.netcup.net/run/webservice/servers/endpoint.php?JSON with
//              {"action":NAME,"param":{...}}; every answer is HTTP 200
//              {"serverrequestid","clientrequestid","action","status":"success"|"error"|...,
//              "statuscode":N,"shortmessage","longmessage","responsedata"}
//   Login:     login {customernumber, apikey, apipassword} -> responsedata.apisessionid
//   Read:      infoDnsRecords {domainname, customernumber, apikey, apisessionid}
//              -> responsedata.dnsrecords [{id, hostname ("@" for the apex), type, priority,
//              destination, deleterecord, state}]; an empty zone answers error 5029
//   Write:     updateDnsRecords {..., dnsrecordset:{dnsrecords:[record]}}: a record with its
//              id is changed (every field sent back as read, only destination replaced), one
//              without an id is created
//   Logout:    logout {customernumber, apikey, apisessionid}
//   Errors:    status "error" with statuscode 4013 ("Validation Error.", longmessage says
//              what: refused credentials, an unknown domain, "More than 180 requests per
//              minute"); netcup has no per-record TTL (the zone's applies)
// Every update logs in, reads, writes when the address differs, and logs out: a session
// lives 15 minutes and updates are minutes to hours apart.
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <functional>
#include <optional>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kNetcupEndpoint =
    "https://ccp.netcup.net/run/webservice/servers/endpoint.php?JSON";
constexpr int kEmptyZone = 5029;  // "Can not get DNS records for zone": it holds none

// One CCP answer: success, or the error's code and words.
struct Answer {
  bool success = false;
  long long code = 0;
  std::string message;  // shortmessage: longmessage
  rapidjson::Document doc;
};

bool netcupMentions(const std::string& text, const char* needle) {
  return lowercase(text).find(needle) != std::string::npos;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void member(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

class NetcupProvider final : public DnsProvider {
 public:
  explicit NetcupProvider(const ProviderContext& context)
      : customer_(context.get("customer_number")),
        apiKey_(context.get("api_key")),
        apiPassword_(context.get("api_password")),
        zone_(lowercase(context.get("zone"))),
        api_(context, "", "", classifyHttpFailure) {}

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string zone = zone_.empty() ? lowercase(record.domain) : zone_;
    const auto name = nameInZone(record, zone);
    if (!name) {
      return outcome(UpdateStatus::NotFound, record.fqdn() + " is not in zone " + zone, true);
    }
    const std::string host = name->empty() ? "@" : *name;
    Answer login = call("login", "", "", nullptr);
    if (!login.success) {
      return failure(login, "login", true);
    }
    const std::string session = sessionOf(login);
    if (session.empty()) {
      return outcome(UpdateStatus::Failed, "login: no apisessionid in the answer");
    }
    UpdateResult r = updateIn(session, zone, host, record, ip.toString());
    call("logout", session, "", nullptr);  // best effort: the session expires anyway
    return r;
  }

 private:
  static std::string sessionOf(const Answer& a) {
    const auto data = a.doc.FindMember("responsedata");
    return data == a.doc.MemberEnd() ? "" : jsonString(data->value, "apisessionid");
  }

  UpdateResult updateIn(const std::string& session, const std::string& zone,
                        const std::string& host, const Record& record, const std::string& content) {
    const std::string type = toString(record.type);
    Answer info = call("infoDnsRecords", session, zone, nullptr);
    if (!info.success && info.code != kEmptyZone) {
      return failure(info, "infoDnsRecords", false);
    }
    std::optional<FoundRecord> found;
    if (info.success) {
      const rapidjson::Value* list = rapidjson::Pointer("/responsedata/dnsrecords").Get(info.doc);
      if (list == nullptr || !list->IsArray()) {
        return outcome(UpdateStatus::Failed, "infoDnsRecords: not a dnsrecords listing");
      }
      for (const auto& item : list->GetArray()) {
        if (!found && jsonString(item, "type") == type &&
            lowercase(jsonString(item, "hostname")) == host && !jsonString(item, "id").empty()) {
          found = FoundRecord{jsonString(item, "id"), jsonString(item, "destination"), 0, &item};
        }
      }
    }
    const auto write = [&](const rapidjson::Value* existing, const std::string& done) {
      Answer a = call("updateDnsRecords", session, zone, [&](Writer& w) {
        w.StartObject();
        if (existing != nullptr) {  // every field as read, the destination replaced
          for (const auto& m : existing->GetObject()) {
            if (std::string(m.name.GetString()) != "destination") {
              m.name.Accept(w);
              m.value.Accept(w);
            }
          }
        } else {
          member(w, "hostname", host);
          member(w, "type", type);
          w.Key("deleterecord");
          w.Bool(false);
        }
        member(w, "destination", content);
        w.EndObject();
      });
      return a.success ? outcome(UpdateStatus::Updated, done)
                       : failure(a, "updateDnsRecords", false);
    };
    return api_.sync(
        {record.fqdn(), type, content, "record", "create_missing = no"}, found,
        [&] { return write(nullptr, "record created -> " + content); },
        [&](const FoundRecord& f) { return write(f.item, "record " + f.id + " -> " + content); });
  }

  // POSTs `action` with the credentials (the password for login, else `session`), the
  // domain when set, and the record set `records` writes; the answer, parsed. A refused
  // exchange (transport, HTTP status, not JSON) keeps its response in `http_`.
  Answer call(const char* action, const std::string& session, const std::string& domain,
              const std::function<void(Writer&)>& record) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    member(w, "action", action);
    w.Key("param");
    w.StartObject();
    member(w, "customernumber", customer_);
    member(w, "apikey", apiKey_);
    if (session.empty()) {
      member(w, "apipassword", apiPassword_);
    } else {
      member(w, "apisessionid", session);
    }
    if (!domain.empty()) {
      member(w, "domainname", domain);
    }
    if (record) {
      w.Key("dnsrecordset");
      w.StartObject();
      w.Key("dnsrecords");
      w.StartArray();
      record(w);
      w.EndArray();
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
    last_ = api_.http().perform(api_.request("POST", "", buf.GetString()));
    Answer a;
    std::string error;
    if (!last_.transportOk() || last_.status != 200 || !json::parse(a.doc, last_.body, error) ||
        !a.doc.IsObject()) {
      return a;
    }
    a.success = jsonString(a.doc, "status") == "success";
    a.code = jsonInt(a.doc, "statuscode", 0);
    a.message = jsonString(a.doc, "shortmessage");
    const std::string more = jsonString(a.doc, "longmessage");
    if (!more.empty()) {
      a.message += (a.message.empty() ? "" : " ") + more;
    }
    return a;
  }

  // A failed action: the HTTP failure of the exchange, or the CCP's error. A refused login
  // (`login`) cannot be retried into working, but "More than 180 requests per minute" can.
  UpdateResult failure(const Answer& a, const std::string& what, bool login) const {
    if (!last_.transportOk() || last_.status != 200) {
      return classifyHttpFailure(last_, what);
    }
    if (!a.doc.IsObject() || !a.doc.HasMember("status")) {
      return outcome(UpdateStatus::Failed, what + ": not a CCP answer");
    }
    UpdateResult r = outcome(UpdateStatus::Failed, what + ": " + std::to_string(a.code));
    if (netcupMentions(a.message, "requests per minute") ||
        netcupMentions(a.message, "retry later")) {
      r.status = UpdateStatus::RetryLater;
    } else if (netcupMentions(a.message, "session")) {  // expired between login and use
      r.status = UpdateStatus::RetryLater;
    } else if (login || netcupMentions(a.message, "api key")) {
      r = outcome(UpdateStatus::AuthFailed, r.detail, true);
    } else if (netcupMentions(a.message, "domain") || netcupMentions(a.message, "not found")) {
      r = outcome(UpdateStatus::NotFound, r.detail, true);
    }
    appendReason(r, a.message);
    return r;
  }

  std::string customer_;
  std::string apiKey_;
  std::string apiPassword_;
  std::string zone_;
  RestRecords api_;
  HttpResponse last_;
};

}  // namespace

ProviderInfo netcupProvider() {
  using T = config::SettingType;
  return providerOf<NetcupProvider>(
      "netcup", "netcup DNS, CCP API (JSON)",
      "https://ccp.netcup.net/run/webservice/servers/endpoint.php",
      {config::Setting("customer_number", T::kString)
           .required()
           .help("Customer number (shown next to your name in the CCP)."),
       config::Setting("api_key", T::kSecret).required().help("API key (CCP: Master Data, API)."),
       config::Setting("api_password", T::kSecret)
           .required()
           .help("API password (one per account; not the account password)."),
       config::Setting("zone", T::kString)
           .help("The netcup domain holding the records; empty: each record's domain."),
       config::Setting("endpoint", T::kString).byDefault(kNetcupEndpoint).help("API URL."),
       config::Setting("create_missing", T::kBool)
           .byDefault("no")
           .help("Create the record when the zone lacks it (netcup has no per-record TTL).")});
}

}  // namespace chipmunk::providers
