// SPDX-License-Identifier: MIT
// Amazon Route 53 through its REST API (2013-04-01), signed with AWS Signature Version 4
// (providers/signing.hpp; OpenSSL, no AWS SDK).
//   Reference:
//   https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
//              https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
//              https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html
//              https://docs.aws.amazon.com/Route53/latest/APIReference/CommonErrors.html
//   Endpoint:  https://route53.amazonaws.com (global; signed for region us-east-1, service
//              route53)
//   Zone:      GET /2013-04-01/hostedzonesbyname?dnsname=DOMAIN&maxitems=10
//              -> <ListHostedZonesByNameResponse><HostedZones><HostedZone><Id>/hostedzone/Z..
//              </Id><Name>example.com.</Name><Config><PrivateZone>false</PrivateZone>...
//              (only when hosted_zone_id is not set)
//   Read:      GET /2013-04-01/hostedzone/ID/rrset?maxitems=1&name=FQDN&type=A
//              -> <ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet>
//              <Name>home.example.com.</Name><Type>A</Type><TTL>300</TTL><ResourceRecords>
//              <ResourceRecord><Value>192.0.2.1</Value>... The listing starts AT name and type
//              in Route 53's order, so with maxitems=1 its one set is ours or, when ours is
//              missing, the next one: pagination (IsTruncated, NextRecordName) never matters.
//   Write:     POST /2013-04-01/hostedzone/ID/rrset/ <ChangeResourceRecordSetsRequest> with
//              one UPSERT of the whole set -> 200 <ChangeResourceRecordSetsResponse>
//              <ChangeInfo><Id>/change/C..</Id><Status>PENDING</Status>
//   Errors:    <ErrorResponse><Error><Type>Sender</Type><Code>..</Code><Message>..</Message>
//              </Error><RequestId>..</RequestId></ErrorResponse>: 403 SignatureDoesNotMatch,
//              InvalidClientTokenId, AccessDenied; 404 NoSuchHostedZone; 400 Throttling,
//              PriorRequestNotComplete (retry later), InvalidChangeBatch, InvalidInput;
//              403 "Signature expired" when our clock is over 5 minutes off (the reply's
//              Date gives the server's time: signed again once).
// An RRset is one name and type with all its values: a set holding several addresses is
// replaced by ours alone; its TTL is kept unless `ttl` is set. Sets with a routing policy
// (SetIdentifier) and alias records are left alone (a failure that stops the record).
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <string>

#include "common/logging.hpp"
#include "common/strings.hpp"
#include "providers/http/retry_after.hpp"
#include "providers/http/url.hpp"
#include "providers/json_api.hpp"
#include "providers/provider.hpp"
#include "providers/rest_records.hpp"
#include "providers/signing.hpp"
#include "providers/xml_reply.hpp"

namespace chipmunk::providers {
namespace {

constexpr const char* kRoute53Endpoint = "https://route53.amazonaws.com";
constexpr const char* kApi = "/2013-04-01";
constexpr long long kRoute53CreateTtl = 300;  // a new set's TTL when `ttl` is not set
const AwsScope kScope{"us-east-1", "route53"};

// `text` with the three characters XML text cannot hold escaped.
std::string xmlEscape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    out += c == '<'   ? std::string("&lt;")
           : c == '>' ? "&gt;"
           : c == '&' ? "&amp;"
                      : std::string(1, c);
  }
  return out;
}

std::string trim(const std::string& text) {
  return std::string(trimAscii(text));
}

// A Route 53 reply: its parsed XML, or nothing when it is not XML the reader accepts.
std::optional<xml::Document> parseXml(const std::string& body) {
  xml::Document doc;
  std::string error;
  return doc.parse(body, error) ? std::optional<xml::Document>(std::move(doc)) : std::nullopt;
}

// classifyHttpFailure(), refined by the <ErrorResponse> code: refused credentials stop,
// an unknown zone is not-found, throttling (sent as 400) is retried, honouring Retry-After.
UpdateResult route53Failure(const HttpResponse& resp, const std::string& what) {
  UpdateResult r = classifyHttpFailure(resp, what);
  if (!resp.transportOk()) {
    return r;
  }
  const auto doc = parseXml(resp.body);
  if (!doc || doc->root()->name != "ErrorResponse") {
    return r;
  }
  const std::string code = trim(doc->text(*doc->root(), {"Error", "Code"}));
  if (code == "Throttling" || code == "PriorRequestNotComplete" || code == "ThrottlingException") {
    r.status = UpdateStatus::RetryLater;
    r.retryAfter = resp.retryAfter();
    r.stop = false;
  } else if (code == "SignatureDoesNotMatch" || code == "InvalidClientTokenId" ||
             code == "AccessDenied" || code == "IncompleteSignature" ||
             code == "MissingAuthenticationToken" || code == "ExpiredToken") {
    r.status = UpdateStatus::AuthFailed;
    r.stop = true;
  } else if (code == "NoSuchHostedZone") {
    r.status = UpdateStatus::NotFound;
    r.stop = true;
  }
  appendReason(r, code + ": " + trim(doc->text(*doc->root(), {"Error", "Message"})));
  return r;
}

// The zone id as the API writes it ("/hostedzone/Z123" or "Z123") without its prefix; ""
// unless it is letters and digits.
std::string zoneIdOf(std::string id) {
  id = trim(id);
  const std::string prefix = "/hostedzone/";
  if (id.rfind(prefix, 0) == 0) {
    id = id.substr(prefix.size());
  }
  const bool plain =
      !id.empty() && id.size() <= 64 &&
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == std::string::npos;
  return plain ? id : "";
}

class Route53Provider final : public DnsProvider {
 public:
  explicit Route53Provider(const ProviderContext& context)
      : credentials_{context.get("access_key_id"), context.get("secret_access_key"),
                     context.get("session_token")},
        api_(context, "", "", route53Failure) {
    if (const std::string& zone = context.get("hosted_zone_id"); !zone.empty()) {
      configuredZone_ = zoneIdOf(zone);
      if (configuredZone_.empty()) {
        throw std::invalid_argument("[" + context.section +
                                    "] hosted_zone_id must be a zone id such as Z0123456789ABC");
      }
    }
  }

  // DnsProvider
  UpdateResult prepare() override { return nothingToPrepare(); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string domain = lowercase(record.domain);
    std::string zone;
    if (auto stop = zoneId(domain, zone)) {
      return *stop;
    }
    std::optional<FoundRecord> found;
    if (auto stop = readSet(zone, record, found)) {
      if (stop->status == UpdateStatus::NotFound) {
        zones_.erase(domain);
      }
      return *stop;
    }
    const std::string type = toString(record.type);
    const std::string content = ip.toString();
    const auto upsert = [&](long long ttl) { return change(zone, record, content, ttl); };
    return api_.sync(
        {record.fqdn(), type, content, "RRset"}, found,
        [&] { return upsert(api_.ttlOr(kRoute53CreateTtl)); },
        [&](const FoundRecord& f) { return upsert(api_.ttlOr(f.ttl)); });
  }

  // One read of the record set (the zone id is cached): every address it holds now.
  CurrentRecord current(const Record& record) override {
    std::string zone;
    std::optional<FoundRecord> found;
    std::vector<std::string> values;
    auto stop = zoneId(lowercase(record.domain), zone);
    if (!stop) {
      stop = readSet(zone, record, found, &values);
    }
    if (!stop && !found) {
      stop = outcome(UpdateStatus::NotFound, "no RRset " + record.fqdn());
    }
    if (stop) {
      return currentFrom(*stop, "");
    }
    CurrentRecord now = currentFrom(outcome(UpdateStatus::Unchanged, "RRset read"), "");
    now.addresses = values;
    return now;
  }

 private:
  // `method` on endpoint + kApi + `path`, signed now (by the server's clock once known).
  // AWS refuses a signature more than 5 minutes off its clock ("Signature expired"): then
  // the offset of the reply's Date from our clock is kept and the request signed again, once.
  HttpResponse call(const std::string& method, const std::string& path, std::string body = "") {
    HttpRequest req;
    req.method = method;
    req.url = api_.endpoint() + kApi + path;
    if (!body.empty()) {
      req.headers.emplace_back("Content-Type", "text/xml");
      req.body = std::move(body);
    }
    HttpResponse resp = api_.http().perform(signedNow(req));
    const auto serverTime = parseHttpDate(resp.header("date"));
    if (resp.status == 403 && resp.body.find("Signature expired") != std::string::npos &&
        serverTime) {
      clockOffset_ = std::chrono::seconds(*serverTime - std::time(nullptr));
      logging::get("provider.route53")
          ->warn("clock is off; signing with the server's time offset_s={}", clockOffset_.count());
      resp = api_.http().perform(signedNow(req));
    }
    return resp;
  }

  HttpRequest signedNow(HttpRequest req) const {
    signSigV4(req, credentials_, kScope, std::chrono::system_clock::now() + clockOffset_);
    return req;
  }

  // GET `path`: its XML with root `rootName`, or the outcome to stop with.
  std::optional<UpdateResult> fetch(const std::string& path, const char* rootName,
                                    const std::string& what, std::optional<xml::Document>& doc) {
    const HttpResponse resp = call("GET", path);
    if (!resp.transportOk() || resp.status != 200) {
      return api_.failure(resp, what);
    }
    doc = parseXml(resp.body);
    if (!doc || doc->root()->name != rootName) {
      return outcome(UpdateStatus::Failed, what + ": not a " + rootName);
    }
    return std::nullopt;
  }

  std::optional<UpdateResult> zoneId(const std::string& domain, std::string& zone) {
    if (!configuredZone_.empty()) {
      zone = configuredZone_;
      return std::nullopt;
    }
    if (const auto it = zones_.find(domain); it != zones_.end()) {
      zone = it->second;
      return std::nullopt;
    }
    std::optional<xml::Document> doc;
    if (auto stop = fetch("/hostedzonesbyname?dnsname=" + urlEncode(domain) + "&maxitems=10",
                          "ListHostedZonesByNameResponse", "list hosted zones", doc)) {
      return stop;
    }
    const xml::Element* zones = doc->find(*doc->root(), {"HostedZones"});
    for (const xml::Element* z :
         zones ? doc->children(*zones, "HostedZone") : std::vector<const xml::Element*>{}) {
      const bool isPrivate = trim(doc->text(*z, {"Config", "PrivateZone"})) == "true";
      if (lowercase(trim(doc->text(*z, {"Name"}))) == domain + "." && !isPrivate &&
          !(zone = zoneIdOf(doc->text(*z, {"Id"}))).empty()) {
        logging::get("provider.route53")
            ->info("hosted zone found domain={} zone_id={}", domain, zone);
        zones_[domain] = zone;
        return std::nullopt;
      }
    }
    return outcome(UpdateStatus::NotFound,
                   "no public hosted zone " + domain + " in this account (or set hosted_zone_id)",
                   true);
  }

  // Reads the set of `record` into `found` (nothing when the zone lacks it);
  // `values` (when given) gets every address of the set.
  std::optional<UpdateResult> readSet(const std::string& zone, const Record& record,
                                      std::optional<FoundRecord>& found,
                                      std::vector<std::string>* values = nullptr) {
    const std::string fqdn = lowercase(record.fqdn());
    const std::string type = toString(record.type);
    std::optional<xml::Document> doc;
    if (auto stop = fetch(
            "/hostedzone/" + zone + "/rrset?maxitems=1&name=" + urlEncode(fqdn) + "&type=" + type,
            "ListResourceRecordSetsResponse", "list record sets", doc)) {
      return stop;
    }
    const xml::Element* sets = doc->find(*doc->root(), {"ResourceRecordSets"});
    if (sets == nullptr) {
      return outcome(UpdateStatus::Failed, "list record sets: no ResourceRecordSets");
    }
    const xml::Element* set = doc->child(*sets, "ResourceRecordSet");
    if (set == nullptr || lowercase(trim(doc->text(*set, {"Name"}))) != fqdn + "." ||
        trim(doc->text(*set, {"Type"})) != type) {
      return std::nullopt;  // the listing started at the next name: ours is missing
    }
    if (doc->child(*set, "SetIdentifier") != nullptr ||
        doc->child(*set, "AliasTarget") != nullptr) {
      return outcome(UpdateStatus::Failed,
                     type + " " + fqdn + " is an alias or has a routing policy; left alone", true);
    }
    std::vector<std::string> addresses;
    if (const xml::Element* records = doc->child(*set, "ResourceRecords")) {
      for (const xml::Element* rr : doc->children(*records, "ResourceRecord")) {
        addresses.push_back(trim(doc->text(*rr, {"Value"})));
      }
    }
    const std::string ttl = trim(doc->text(*set, {"TTL"}));
    const bool ttlOk = !ttl.empty() && ttl.size() <= 10 &&
                       ttl.find_first_not_of("0123456789") == std::string::npos;
    found = FoundRecord{"", addresses.size() == 1 ? addresses[0] : "", ttlOk ? std::stoll(ttl) : 0};
    if (values != nullptr) {
      *values = std::move(addresses);
    }
    return std::nullopt;
  }

  UpdateResult change(const std::string& zone, const Record& record, const std::string& content,
                      long long ttl) {
    const std::string body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
        "<ChangeBatch><Comment>chipmunk-updater</Comment><Changes><Change><Action>UPSERT</Action>"
        "<ResourceRecordSet><Name>" +
        xmlEscape(lowercase(record.fqdn())) + "</Name><Type>" + toString(record.type) +
        "</Type><TTL>" + std::to_string(ttl) + "</TTL><ResourceRecords><ResourceRecord><Value>" +
        content +
        "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes>"
        "</ChangeBatch></ChangeResourceRecordSetsRequest>";
    const HttpResponse resp = call("POST", "/hostedzone/" + zone + "/rrset/", body);
    if (!resp.transportOk() || resp.status != 200) {
      return api_.failure(resp, "change record set");
    }
    const auto doc = parseXml(resp.body);
    const std::string change =
        doc ? trim(doc->text(*doc->root(), {"ChangeInfo", "Id"})) : std::string();
    if (change.empty() || doc->root()->name != "ChangeResourceRecordSetsResponse") {
      return outcome(UpdateStatus::Failed, "change record set: not a ChangeInfo reply");
    }
    return outcome(UpdateStatus::Updated,
                   "RRset " + record.fqdn() + " -> " + content + " (" + change.substr(0, 64) + ")");
  }

  AwsCredentials credentials_;
  std::string configuredZone_;
  RestRecords api_;
  std::map<std::string, std::string> zones_;  // domain -> hosted zone id
  std::chrono::seconds clockOffset_{0};       // the server's clock - ours
};

}  // namespace

ProviderInfo route53Provider() {
  using T = config::SettingType;
  return providerOf<Route53Provider>(
      "route53", "Amazon Route 53, REST API 2013-04-01 (SigV4)",
      "https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html",
      restSettings({config::Setting("access_key_id", T::kString)
                        .required()
                        .help("AWS access key id (AKIA... or, with session_token, ASIA...)."),
                    config::Setting("secret_access_key", T::kSecret)
                        .required()
                        .help("AWS secret access key."),
                    config::Setting("session_token", T::kSecret)
                        .help("Session token of temporary credentials; empty: none."),
                    config::Setting("hosted_zone_id", T::kString)
                        .help("Hosted zone id (Z...); empty: looked up by the record's domain.")},
                   {kRoute53Endpoint, "TTL to set; 0: keep the set's (300 for a new one).",
                    2147483647, "Create the record set when the zone lacks it."}));
}

}  // namespace chipmunk::providers
