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
#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kDesecEndpoint = "https://desec.io/api/v1";

// {"detail":"..."} or the first reason of a validation error.
UpdateResult desecFailure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonFailure(resp, what, [](const rapidjson::Document& doc, UpdateResult& r) {
    if (!doc.IsObject()) {
      return;
    }
    for (const auto& m : doc.GetObject()) {
      if (m.value.IsString()) {
        return appendReason(r, m.value.GetString());
      }
      if (m.value.IsArray() && !m.value.Empty() && m.value[0].IsString()) {
        return appendReason(r, std::string(m.name.GetString()) + ": " + m.value[0].GetString());
      }
    }
  });
}

class DesecProvider final : public DnsProvider {
 public:
  explicit DesecProvider(const ProviderContext& context)
      : api_(context, "Authorization", "Token " + context.get("token"), desecFailure) {}

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string domain = lowercase(record.domain);
    const std::string sub = lowercase(record.host);
    const std::string type = toString(record.type);
    const std::string path = "/domains/" + urlEncode(domain) + "/rrsets/" +
                             (sub.empty() ? "@" : urlEncode(sub)) + "/" + type + "/";
    const std::string content = ip.toString();
    rapidjson::Document doc;
    int status = 0;
    std::optional<FoundRecord> found;
    auto stop = api_.fetch(api_.request("GET", path), {200}, "read rrset", {"records", "an RRset"},
                           doc, &status);
    if (stop && status != 404) {
      return *stop;
    }
    if (!stop) {
      const auto& records = doc["records"];
      const bool one = records.Size() == 1 && records[0].IsString();
      found = FoundRecord{"", one ? records[0].GetString() : "", jsonInt(doc, "ttl", 0)};
    }
    const long long ttl = api_.ttlOr(3600);  // deSEC's usual minimum TTL
    const std::string done = "RRset " + record.fqdn() + " " + type + " -> " + content;
    return api_.sync(
        {record.fqdn(), type, content, "RRset", "or no such domain; create_missing = no"}, found,
        [&] {
          return api_.send({api_.request("POST", "/domains/" + urlEncode(domain) + "/rrsets/",
                                         JsonBody()
                                             .add("subname", sub)
                                             .add("type", type)
                                             .add("ttl", ttl)
                                             .addList("records", content)
                                             .text()),
                            {201},
                            "create rrset",
                            "RRset created -> " + content});
        },
        [&](const FoundRecord&) {
          return api_.send(
              {api_.request(
                   "PATCH", path,
                   JsonBody().addPositive("ttl", api_.ttl()).addList("records", content).text()),
               {200},
               "update rrset",
               done});
        });
  }

 private:
  RestRecords api_;
};

}  // namespace

ProviderInfo desecProvider() {
  using T = config::SettingType;
  return providerOf<DesecProvider>(
      "desec", "deSEC (desec.io), REST API v1",
      "https://desec.readthedocs.io/en/latest/dns/rrsets.html",
      restSettings(
          {config::Setting("token", T::kSecret)
               .required()
               .help("API token (desec.io: Token Management).")},
          {kDesecEndpoint,
           "TTL to set (not below the domain's minimum, usually 3600 s); 0: keep the RRset's.",
           86400, "Create the RRset when the domain lacks it (TTL 3600 unless ttl is set)."}));
}

}  // namespace chipmunk::providers
