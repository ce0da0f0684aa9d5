// SPDX-License-Identifier: MIT
// A fake Amazon Route 53 API; see fake_route53.hpp and
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
#include "tests/support/fake_route53.hpp"

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "common/strings.hpp"
#include "providers/signing.hpp"
#include "providers/xml_reply.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/runnable_fake.hpp"

namespace chipmunk::test {
namespace {

constexpr const char* kNs = "https://route53.amazonaws.com/doc/2013-04-01/";

FakeResponse xmlReply(int status, std::string body) {
  FakeResponse r = jsonReply(status, std::move(body));
  r.contentType = "text/xml";
  return r;
}

FakeResponse route53Error(int status, const std::string& code, const std::string& message) {
  return xmlReply(status, FakeRoute53::errorBody(code, message));
}

std::string withDot(std::string name) {
  name = lowercase(std::move(name));
  return name.empty() || name.back() != '.' ? name + "." : name;
}

// "Credential=AK/20150830/us-east-1/route53/aws4_request, SignedHeaders=a;b, Signature=..."
std::map<std::string, std::string> authFields(const std::string& header) {
  std::map<std::string, std::string> fields;
  const std::string scheme = "AWS4-HMAC-SHA256 ";
  if (header.rfind(scheme, 0) != 0) {
    return fields;
  }
  for (size_t pos = scheme.size(); pos < header.size();) {
    const size_t comma = std::min(header.find(',', pos), header.size());
    std::string item = header.substr(pos, comma - pos);
    item.erase(0, item.find_first_not_of(' '));
    const size_t eq = item.find('=');
    if (eq != std::string::npos) {
      fields[item.substr(0, eq)] = item.substr(eq + 1);
    }
    pos = comma + 1;
  }
  return fields;
}

}  // namespace

FakeRoute53::FakeRoute53(std::string accessKeyId, std::string secret, std::string sessionToken)
    : accessKeyId_(std::move(accessKeyId)),
      secret_(std::move(secret)),
      sessionToken_(std::move(sessionToken)) {
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return handle(r); });
}

FakeRoute53::~FakeRoute53() {
  server_->stop();
}

std::string FakeRoute53::endpoint() const {
  return server_->url();
}

std::string FakeRoute53::errorBody(const std::string& code, const std::string& message) {
  return std::string("<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"") + kNs +
         "\"><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message +
         "</Message></Error><RequestId>8d6b9a2c-0000-4000-8000-000000000000</RequestId>"
         "</ErrorResponse>";
}

void FakeRoute53::addZone(const std::string& id, const std::string& name, bool isPrivate) {
  std::lock_guard<std::mutex> lock(mutex_);
  zones_[id].name = withDot(name);
  zones_[id].isPrivate = isPrivate;
}

void FakeRoute53::setRRset(const std::string& zone, const std::string& name,
                           const std::string& type, RRset rrset) {
  std::lock_guard<std::mutex> lock(mutex_);
  zones_[zone].sets[{withDot(name), type}] = std::move(rrset);
}

std::optional<FakeRoute53::RRset> FakeRoute53::rrset(const std::string& zone,
                                                     const std::string& name,
                                                     const std::string& type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto z = zones_.find(zone);
  if (z == zones_.end()) {
    return std::nullopt;
  }
  const auto it = z->second.sets.find({withDot(name), type});
  return it == z->second.sets.end() ? std::nullopt : std::optional<RRset>(it->second);
}

void FakeRoute53::setClockSkew(long long seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  skew_ = seconds;
}

void FakeRoute53::failNext(int status, std::string body, std::string retryAfter) {
  failures_.push(status, std::move(body), retryAfter);
}

std::vector<FakeRequest> FakeRoute53::requests() const {
  return server_->requests();
}

std::optional<FakeResponse> FakeRoute53::refuseSignature(const FakeRequest& req) const {
  const std::string authorization = req.header("authorization");
  if (authorization.empty()) {
    return route53Error(403, "MissingAuthenticationToken", "Missing Authentication Token");
  }
  auto fields = authFields(authorization);
  const std::string date = req.header("x-amz-date");
  const std::string credential = fields["Credential"];
  const std::string expectedScope = "/" + date.substr(0, 8) + "/us-east-1/route53/aws4_request";
  if (credential.substr(0, credential.find('/')) != accessKeyId_ ||
      (!sessionToken_.empty() && req.header("x-amz-security-token") != sessionToken_)) {
    return route53Error(403, "InvalidClientTokenId",
                        "The security token included in the request is invalid.");
  }
  // X-Amz-Date within 5 minutes of our clock.
  std::tm tm{};
  const bool dated = date.size() == 16 && strptime(date.c_str(), "%Y%m%dT%H%M%SZ", &tm) != nullptr;
  const auto skew = std::chrono::system_clock::now() + std::chrono::seconds(skew_) -
                    std::chrono::system_clock::from_time_t(dated ? timegm(&tm) : 0);
  if (!dated || std::chrono::abs(skew) > std::chrono::minutes(5)) {
    return route53Error(403, "SignatureDoesNotMatch", "Signature expired");
  }
  // The signature recomputed from the request as received, over the headers it names.
  std::map<std::string, std::string> headers;
  const std::string names = fields["SignedHeaders"];
  for (size_t pos = 0; pos < names.size();) {
    const size_t semi = std::min(names.find(';', pos), names.size());
    const std::string name = names.substr(pos, semi - pos);
    headers[name] = req.header(name);
    pos = semi + 1;
  }
  std::string signedHeaders;
  const std::string canonical = providers::sigV4CanonicalRequest(req.method, req.path, req.query,
                                                                 headers, req.body, signedHeaders);
  const std::string expected =
      providers::sigV4Signature(secret_, date, {"us-east-1", "route53"}, canonical);
  if (credential != accessKeyId_ + expectedScope || signedHeaders != names ||
      headers.count("host") == 0 || headers.count("x-amz-date") == 0 ||
      fields["Signature"] != expected) {
    return route53Error(403, "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you "
                        "provided. Check your AWS Secret Access Key and signing method.");
  }
  return std::nullopt;
}

FakeResponse FakeRoute53::handle(const FakeRequest& req) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = failures_.pop()) {
    return *failure;
  }
  FakeResponse r = route(req);
  const std::time_t now = std::time(nullptr) + skew_;
  std::tm tm{};
  gmtime_r(&now, &tm);
  char date[40];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  r.headers.emplace_back("Date", date);
  return r;
}

FakeResponse FakeRoute53::route(const FakeRequest& req) {
  if (auto refused = refuseSignature(req)) {
    return *refused;
  }
  const auto parts = splitPath(req.path);
  if (req.method == "GET" && req.path == "/2013-04-01/hostedzonesbyname") {
    return listZones(req);
  }
  if (parts.size() < 4 || parts[0] != "2013-04-01" || parts[1] != "hostedzone" ||
      parts[3] != "rrset" || parts.size() > 5 || (parts.size() == 5 && !parts[4].empty())) {
    return route53Error(404, "UnknownOperationException", "Unknown operation");
  }
  const auto zone = zones_.find(parts[2]);
  if (zone == zones_.end()) {
    return route53Error(404, "NoSuchHostedZone", "No hosted zone found with ID: " + parts[2]);
  }
  if (req.method == "GET") {
    return listSets(zone->second, req);
  }
  return req.method == "POST" ? change(zone->second, req)
                              : route53Error(405, "InvalidAction", "Method not allowed");
}

FakeResponse FakeRoute53::listZones(const FakeRequest& req) const {
  const std::string from = withDot(urlDecode(req.param("dnsname")));
  const int max = std::atoi(req.param("maxitems").c_str());
  std::string body =
      std::string("<?xml version=\"1.0\"?>\n<ListHostedZonesByNameResponse xmlns=\"") + kNs +
      "\"><HostedZones>";
  int listed = 0;
  for (const auto& [id, zone] : zones_) {
    if (zone.name >= from && listed < std::max(max, 1)) {
      ++listed;
      body += "<HostedZone><Id>/hostedzone/" + id + "</Id><Name>" + zone.name +
              "</Name><CallerReference>ref</CallerReference><Config><PrivateZone>" +
              (zone.isPrivate ? "true" : "false") +
              "</PrivateZone></Config><ResourceRecordSetCount>" + std::to_string(zone.sets.size()) +
              "</ResourceRecordSetCount></HostedZone>";
    }
  }
  return xmlReply(200, body + "</HostedZones><DNSName>" + from +
                           "</DNSName><IsTruncated>false</IsTruncated><MaxItems>" +
                           std::to_string(max) + "</MaxItems></ListHostedZonesByNameResponse>");
}

FakeResponse FakeRoute53::listSets(const Zone& zone, const FakeRequest& req) const {
  const std::pair<std::string, std::string> from{withDot(urlDecode(req.param("name"))),
                                                 req.param("type")};
  const int max = std::max(1, std::atoi(req.param("maxitems").c_str()));
  std::string body =
      std::string("<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse xmlns=\"") + kNs +
      "\"><ResourceRecordSets>";
  int listed = 0;
  auto it = zone.sets.lower_bound(from);
  for (; it != zone.sets.end() && listed < max; ++it, ++listed) {
    body += "<ResourceRecordSet><Name>" + it->first.first + "</Name><Type>" + it->first.second +
            "</Type>" +
            (it->second.setIdentifier.empty() ? ""
                                              : "<SetIdentifier>" + it->second.setIdentifier +
                                                    "</SetIdentifier><Weight>1</Weight>") +
            "<TTL>" + std::to_string(it->second.ttl) + "</TTL><ResourceRecords>";
    for (const auto& v : it->second.values) {
      body += "<ResourceRecord><Value>" + v + "</Value></ResourceRecord>";
    }
    body += "</ResourceRecords></ResourceRecordSet>";
  }
  body += "</ResourceRecordSets><IsTruncated>" +
          std::string(it != zone.sets.end() ? "true" : "false") + "</IsTruncated>";
  if (it != zone.sets.end()) {
    body += "<NextRecordName>" + it->first.first + "</NextRecordName><NextRecordType>" +
            it->first.second + "</NextRecordType>";
  }
  return xmlReply(200, body + "<MaxItems>" + std::to_string(max) +
                           "</MaxItems></ListResourceRecordSetsResponse>");
}

FakeResponse FakeRoute53::change(Zone& zone, const FakeRequest& req) {
  providers::xml::Document doc;
  std::string parseError;
  const providers::xml::Element* changes = nullptr;
  if (!doc.parse(req.body, parseError) || doc.root()->name != "ChangeResourceRecordSetsRequest" ||
      (changes = doc.find(*doc.root(), {"ChangeBatch", "Changes"})) == nullptr) {
    return route53Error(400, "InvalidInput", "Invalid XML ; " + parseError);
  }
  for (const auto* c : doc.children(*changes, "Change")) {
    const std::string action = doc.text(*c, {"Action"});
    const std::string name = withDot(doc.text(*c, {"ResourceRecordSet", "Name"}));
    const std::string type = doc.text(*c, {"ResourceRecordSet", "Type"});
    const std::string ttl = doc.text(*c, {"ResourceRecordSet", "TTL"});
    RRset set;
    set.ttl = std::atoll(ttl.c_str());
    if (const auto* records = doc.find(*c, {"ResourceRecordSet", "ResourceRecords"})) {
      for (const auto* rr : doc.children(*records, "ResourceRecord")) {
        set.values.push_back(doc.text(*rr, {"Value"}));
      }
    }
    const bool inZone =
        name.size() >= zone.name.size() &&
        name.compare(name.size() - zone.name.size(), std::string::npos, zone.name) == 0;
    if ((action != "UPSERT" && action != "CREATE" && action != "DELETE") || !inZone ||
        (type != "A" && type != "AAAA") || ttl.empty() || set.values.empty()) {
      return route53Error(400, "InvalidChangeBatch", "Invalid change for " + name);
    }
    if (action == "DELETE") {
      zone.sets.erase({name, type});
    } else {
      zone.sets[{name, type}] = set;
    }
  }
  return xmlReply(
      200, std::string("<?xml version=\"1.0\"?>\n<ChangeResourceRecordSetsResponse xmlns=\"") +
               kNs +
               "\"><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING"
               "</Status><SubmittedAt>2026-12-01T00:00:00.000Z</SubmittedAt>"
               "</ChangeInfo></ChangeResourceRecordSetsResponse>");
}

namespace {

// `chipmunk-fake route53` (tests/support/runnable_fake.hpp).
const RunnableFake kRoute53Runnable{
    "route53", [] {
      auto f = std::make_shared<FakeRoute53>();
      f->addZone("Z1", "example.com");
      seedHome([&](const char* type, const char* ip) {
        f->setRRset("Z1", "home.example.com", type, {300, {ip}, ""});
      });
      return RunningFake{
          f, fakeSection("route53",
                         "access_key_id = AKIDEXAMPLE\n"
                         "secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
                         f->endpoint())};
    }};

}  // namespace

}  // namespace chipmunk::test
