// SPDX-License-Identifier: MIT
// Gandi LiveDNS through the Gandi API v5.
//   Reference: https://api.gandi.net/docs/livedns/
//   Auth:      https://api.gandi.net/docs/authentication/ (Authorization: Bearer PAT, a
//              personal access token with "Manage domain name technical configurations")
//   Read:      GET /v5/livedns/domains/FQDN/records/NAME/TYPE ("@" for the apex) ->
//              {"rrset_name","rrset_type","rrset_ttl","rrset_values":[...],"rrset_href"}
//   Write:     PUT the same URL {"rrset_values":[ADDRESS],"rrset_ttl":N} -> 201: it creates or
//              replaces the RRset, and a TTL left out resets to 10800, so the RRset's own is
//              sent back
//   Errors:    {"code":N,"message":"...","object":"...","cause":"..."}; 401/403 refused token,
//              404 unknown domain or RRset, 429 rate limit (with Retry-After)
#include "common/strings.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kGandiEndpoint = "https://api.gandi.net/v5/livedns";
constexpr long long kGandiDefaultTtl = 10800;

class GandiProvider final : public DnsProvider {
 public:
  explicit GandiProvider(const ProviderContext& context)
      : api_(context, "Authorization", "Bearer " + context.get("token"),
             [](const HttpResponse& resp, const std::string& what) {
               return classifyJsonMessage(resp, what, {"/message"});
             }) {}

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string name = record.host.empty() ? "@" : lowercase(record.host);
    const std::string type = toString(record.type);
    const std::string path = "/domains/" + urlEncode(lowercase(record.domain)) + "/records/" +
                             (name == "@" ? name : urlEncode(name)) + "/" +
                             type;  // "@" is a legal path character, sent as the docs show it
    const std::string content = ip.toString();
    rapidjson::Document doc;
    int status = 0;
    std::optional<FoundRecord> found;
    auto stop = api_.fetch(api_.request("GET", path), {200}, "read rrset",
                           {"rrset_values", "an RRset"}, doc, &status);
    if (stop && (status != 404 || !api_.createMissing())) {
      return *stop;  // a missing RRset without create_missing: Gandi's 404 says why
    }
    if (!stop) {
      const auto& values = doc["rrset_values"];
      const bool one = values.Size() == 1 && values[0].IsString();
      found = FoundRecord{"", one ? values[0].GetString() : "",
                          jsonInt(doc, "rrset_ttl", kGandiDefaultTtl)};
    }
    // PUT creates or replaces the RRset: keep its TTL unless one is set.
    const auto put = [&](long long ttl) {
      return api_.send(
          {api_.request("PUT", path,
                        JsonBody().addList("rrset_values", content).add("rrset_ttl", ttl).text()),
           {201, 200},
           "put rrset",
           "RRset " + record.fqdn() + " " + type + " -> " + content});
    };
    return api_.sync(
        {record.fqdn(), type, content, "RRset"}, found,
        [&] { return put(api_.ttlOr(kGandiDefaultTtl)); },
        [&](const FoundRecord& f) { return put(api_.ttlOr(f.ttl)); });
  }

 private:
  RestRecords api_;
};

}  // namespace

ProviderInfo gandiProvider() {
  using T = config::SettingType;
  return providerOf<GandiProvider>(
      "gandi", "Gandi LiveDNS, API v5 with a personal access token",
      "https://api.gandi.net/docs/livedns/",
      restSettings({config::Setting("token", T::kSecret)
                        .required()
                        .help("Personal access token allowed to manage the domain's technical "
                              "configuration.")},
                   {kGandiEndpoint, "TTL to set (300 s or more); 0: keep the RRset's.", 2592000,
                    "Create the RRset when the domain lacks it (TTL 10800 unless ttl is set)."}));
}

}  // namespace chipmunk::providers
