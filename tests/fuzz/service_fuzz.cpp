// SPDX-License-Identifier: MIT
// The routes of chipmunk-api (ApiService: api/service.cpp, routes.cpp and route_*.cpp)
// below the HTTP library: /set query and form fields (metadata, ttl, hostname), /nic/update
// hostnames and myip lists, /hosts, together with the Authorization, forwarding and browser
// (Origin, Fetch Metadata) headers, against an in-memory store. Every JSON answer must be valid
// UTF-8, whatever the store holds; a NUL or a repeated field is refused, never cut short or settled
// by order, and an update names at most one address per family.
#include <fuzzer/FuzzedDataProvider.h>
#include <rapidjson/document.h>

#include <atomic>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>

#include "api/access.hpp"
#include "api/service.hpp"
#include "common/base64.hpp"
#include "common/password_hash.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace chipmunk;
using namespace chipmunk::api;

class MemoryStore final : public Store {
 public:
  std::atomic<long long> updates{0};  // calls of update(): a request that changed state

  api::UpdateResult update(const std::string& name, const RecordUpdate& u, int64_t now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++updates;
    api::UpdateResult r;
    auto& rec = records_[name];
    r.before = rec;
    rec.name = name;
    if (u.ipv4) {
      rec.ipv4 = u.ipv4;
    }
    if (u.ipv6) {
      rec.ipv6 = u.ipv6;
    }
    rec.ip = u.primary ? u.primary : (u.ipv4 ? u.ipv4 : u.ipv6);
    if (u.metadata) {
      rec.metadata = *u.metadata;
    }
    if (u.ttl) {
      rec.ttl = *u.ttl;
    }
    rec.lastSeen = now;
    r.after = rec;
    r.outcome = r.addressChanged() ? SetOutcome::kSaved : SetOutcome::kUnchanged;
    if (records_.size() > 64) {
      records_.clear();  // bounded memory across runs
    }
    return r;
  }
  std::optional<HostRecord> get(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = records_.find(name);
    return it == records_.end() ? std::nullopt : std::optional<HostRecord>(it->second);
  }
  std::vector<HostRecord> list() override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<HostRecord> out;
    for (const auto& [k, v] : records_) {
      out.push_back(v);
    }
    return out;
  }
  std::vector<HostRecord> expireDue(int64_t) override { return {}; }
  void flush() override {}
  bool put(const HostRecord& record) override {
    std::lock_guard<std::mutex> lock(mutex_);
    records_[record.name] = record;
    return true;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, HostRecord> records_;
};

config::ApiConfig makeConfig() {
  config::ApiConfig c;
  // bob is hashed with the fewest iterations allowed: every failed check costs that much
  // (the Authenticator evens failures out to the largest configured count), not the
  // default 600,000 a plaintext-only configuration would pay per failure.
  c.users = {{"alice", "alice-fuzz-pw", false, "fuzz:1"},
             {"bob", hashPassword("bob-fuzz-pw", kMinPbkdf2Iterations), true, "fuzz:2"}};
  c.hostOwners = {{"home.example.com", "alice"}, {"nas.example.net", "bob"}};
  c.readAll = {"bob"};
  c.trustedProxies = {*Cidr::parse("127.0.0.1"), *Cidr::parse("::1")};
  c.maxFailedLogins = 1000000;  // the limiter would otherwise shadow the routes
  c.abuseNochgLimit = 1000000;
  return c;
}

std::string basic(const std::string& user, const std::string& password) {
  return "Basic " + base64Encode(user + ":" + password);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quietLogging();
  static auto store = std::make_shared<MemoryStore>();
  static ApiService service(makeConfig(), store);

  FuzzedDataProvider in(data, size);
  RequestInfo req;
  req.method = in.PickValueInArray({Method::kGet, Method::kHead, Method::kPost, Method::kOther});
  req.methodName = "GET";
  req.path = in.ConsumeBool()
                 ? in.PickValueInArray<std::string>({"/set", "/nic/update", "/v3/update", "/hosts",
                                                     "/get/ip", "/get/ip.json", "/", "/healthz",
                                                     "/hosts/alice", "/hosts/home.example.com"})
                 : in.ConsumeRandomLengthString(64);
  static const char* kKeys[] = {"hostname",       "myip",          "myipv6",     "ttl",
                                "note",           "wg_public_key", "wg_address", "wg_listen_port",
                                "lan_ip",         "gateway_mac",   "system",     "offline",
                                "wg_public_port", "wait",          "since"};
  const int params = in.ConsumeIntegralInRange(0, 20);
  for (int i = 0; i < params; ++i) {
    std::string key = in.ConsumeBool()
                          ? kKeys[in.ConsumeIntegralInRange<size_t>(0, std::size(kKeys) - 1)]
                          : in.ConsumeRandomLengthString(16);
    std::string value = in.ConsumeRandomLengthString(300);
    if (in.ConsumeIntegralInRange(0, 7) == 0) {
      value.insert(in.ConsumeIntegralInRange<size_t>(0, value.size()), 1, '\0');
    }
    req.query.emplace_back(std::move(key), std::move(value));
  }
  req.badQuery = in.ConsumeIntegralInRange(0, 15) == 0;
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      req.authorization = basic("alice", "alice-fuzz-pw");
      break;
    case 1:
      req.authorization = basic("bob", "bob-fuzz-pw");
      break;
    case 2:
      req.authorization = in.ConsumeRandomLengthString(128);
      break;
    default:
      break;
  }
  req.peer = in.ConsumeBool() ? *IpAddress::parse("127.0.0.1") : *IpAddress::parse("2001:db8::9");
  if (in.ConsumeBool()) {
    req.xForwardedFor = in.ConsumeRandomLengthString(64);
  }
  if (in.ConsumeBool()) {
    req.xRealIp = in.ConsumeRandomLengthString(48);
  }
  if (in.ConsumeBool()) {
    req.forwarded = in.ConsumeRandomLengthString(64);
  }
  if (in.ConsumeBool()) {
    req.userAgent = "fuzz/1";
  }
  if (in.ConsumeBool()) {
    req.contentType = "application/x-www-form-urlencoded";
  }
  if (in.ConsumeBool()) {
    req.host =
        in.ConsumeBool() ? std::string("chipmunk.example") : in.ConsumeRandomLengthString(32);
  }
  if (in.ConsumeBool()) {
    req.origin = in.ConsumeBool() ? std::string("https://chipmunk.example")
                                  : in.ConsumeRandomLengthString(48);
  }
  if (in.ConsumeBool()) {
    req.secFetchSite = in.PickValueInArray<std::string>(
        {"same-origin", "same-site", "cross-site", "none", "other"});
  }
  if (in.ConsumeBool()) {
    req.secFetchMode = in.PickValueInArray<std::string>({"navigate", "cors", "no-cors"});
  }
  if (in.ConsumeBool()) {
    req.secFetchDest = in.PickValueInArray<std::string>({"document", "iframe", "image", "empty"});
  }
  req.upgradeInsecureRequests = in.ConsumeBool();
  req.body = in.ConsumeRemainingBytesAsString();

  const long long updatesBefore = store->updates.load();
  const Response r = service.handle(req, true);
  // Only GET (and POST on /set) change a record: HEAD is a safe method.
  if (store->updates.load() != updatesBefore &&
      !(req.method == Method::kGet || (req.method == Method::kPost && req.path == "/set"))) {
    std::abort();
  }
  // An error body repeats request text as printable ASCII only.
  if (r.code >= 400 && r.contentType.rfind("text/plain", 0) == 0) {
    for (const char c : r.body) {
      if (c != '\n' &&
          (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)) {
        std::abort();
      }
    }
  }
  if (r.code < 200 || r.code > 599 || r.needsSlowAuth) {
    std::abort();
  }
  // A refused cross-site request never reaches the routes: it cannot have changed a record.
  const bool changesState =
      req.path == "/set" || req.path == "/nic/update" || req.path == "/v3/update";
  if (req.path != "/healthz" && crossSiteRefused(req, changesState) && r.code != 403) {
    std::abort();
  }
  if (r.code == 200 && r.contentType == "application/json") {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(r.body.c_str(), r.body.size());
    if (doc.HasParseError()) {
      std::abort();
    }
  }
  // A NUL or a malformed escape in the query is never served, nor a repeated field that a
  // route reads (settled by order, it would be a silent choice).
  bool nul = false;
  std::map<std::string, int> seen;
  for (const auto& [key, value] : req.query) {
    nul = nul || key.find('\0') != std::string::npos || value.find('\0') != std::string::npos;
    ++seen[key];
  }
  const bool nic = req.path == "/nic/update" || req.path == "/v3/update";
  const bool updated = r.body.rfind("good", 0) == 0 || r.body.rfind("nochg", 0) == 0;
  if ((nul || req.badQuery) && (nic ? updated : r.code == 200)) {
    std::abort();
  }
  if (req.path == "/set" && r.code == 200) {
    for (const auto& [key, count] : seen) {
      if (count > 1) {
        std::abort();
      }
    }
  }
  if (nic && updated) {
    if (seen["hostname"] > 1 || seen["myip"] > 1 || seen["myipv6"] > 1) {
      std::abort();
    }
    // "good <v4>", "good <v6>" or "good <v4>,<v6>": one address per family.
    const std::string first = r.body.substr(0, r.body.find('\n'));
    const std::string shown = first.substr(first.find(' ') + 1);
    const size_t comma = shown.find(',');
    if (comma != std::string::npos) {
      const auto a = IpAddress::parse(shown.substr(0, comma));
      const auto b = IpAddress::parse(shown.substr(comma + 1));
      if (!a || !b || a->isV4() == b->isV4()) {
        std::abort();
      }
    }
  }
  return 0;
}
