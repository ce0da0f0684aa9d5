// The routes of chipmunk-api (api/service.cpp) below the HTTP library: /set query and form
// fields (metadata, ttl, hostname), /nic/update hostnames and myip lists, /hosts, together
// with the Authorization and forwarding headers, against an in-memory store.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "base64.hpp"
#include "fuzz_support.hpp"
#include "password_hash.hpp"
#include "service.hpp"

namespace {

using namespace chipmunk;
using namespace chipmunk::api;

class MemoryStore final : public Store {
 public:
  api::UpdateResult update(const std::string& name, const RecordUpdate& u, int64_t now) override {
    std::lock_guard<std::mutex> lock(mutex_);
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
  static const char* kKeys[] = {"hostname", "myip",          "myipv6",     "ttl",
                                "note",     "wg_public_key", "wg_address", "wg_listen_port",
                                "lan_ip",   "gateway_mac",   "system",     "offline"};
  const int params = in.ConsumeIntegralInRange(0, 20);
  for (int i = 0; i < params; ++i) {
    std::string key = in.ConsumeBool() ? kKeys[in.ConsumeIntegralInRange<size_t>(0, 11)]
                                       : in.ConsumeRandomLengthString(16);
    req.query.emplace_back(std::move(key), in.ConsumeRandomLengthString(300));
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
  req.body = in.ConsumeRemainingBytesAsString();

  const Response r = service.handle(req, true);
  if (r.code < 200 || r.code > 599 || r.needsSlowAuth) {
    std::abort();
  }
  return 0;
}
