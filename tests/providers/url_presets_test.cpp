// SPDX-License-Identifier: MIT
// The url presets (providers/url_presets.cpp), each by name, against loopback fakes that
// answer as each service documents:
//   dynv6     https://dynv6.com/docs/apis (GET /api/update?zone=&token=&ipv4=|ipv6=)
//   namecheap https://www.namecheap.com/support/knowledgebase/article.aspx/29/11/
//             (GET /update?host=&domain=&password=&ip=, XML reply with ErrCount)
//   freedns   https://freedns.afraid.org/dynamic/v2/ (GET /u/TOKEN/?address=)
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <set>

#include "providers/provider.hpp"
#include "tests/support/fake_cloudflare.hpp"  // urlDecode
#include "tests/support/fake_http_server.hpp"
#include "tests/support/provider_fixture.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using chipmunk::IpAddress;
using chipmunk::test::FakeHttpServer;
using chipmunk::test::FakeRequest;
using chipmunk::test::FakeResponse;
using chipmunk::test::ip;
using chipmunk::test::urlDecode;

constexpr const char* kToken = "t0k&n/=?";

FakeResponse text(int status, std::string body) {
  FakeResponse r;
  r.status = status;
  r.contentType = "text/plain";
  r.body = std::move(body);
  return r;
}

// What a fake keeps: "name A" / "name AAAA" -> address; a reply forced for the next request.
struct Store {
  std::mutex mutex;
  std::map<std::string, std::string> records;
  std::optional<FakeResponse> next;

  // "updated", "unchanged"
  bool set(const std::string& key, const std::string& value) {
    auto& v = records[key];
    const bool changed = v != value;
    v = value;
    return changed;
  }

  // The fake's handler: the forced reply when one is queued, else what `answer` says (called
  // with the mutex held).
  template <class Answer>
  auto serve(Answer answer) {
    return [this, answer](const FakeRequest& r) {
      std::lock_guard<std::mutex> lock(mutex);
      if (next) {
        FakeResponse n = *next;
        next.reset();
        return n;
      }
      return answer(r);
    };
  }
};

std::unique_ptr<DnsProvider> make(const std::string& name, std::map<std::string, std::string> s,
                                  std::vector<Record> records) {
  return chipmunk::test::makeTestProvider(name, std::move(s), std::move(records), {});
}

TEST_CASE("UrlPresets: every url preset has a test here", "[providers][unit]") {
  const std::set<std::string> tested = {"dynv6", "namecheap", "freedns"};
  for (const auto& p : ProviderRegistry::builtin().all()) {
    if (p.presetOf == "url") {
      INFO(p.name);
      CHECK(tested.count(p.name) == 1);
    }
  }
}

TEST_CASE("UrlPresets: dynv6 updates A and AAAA of the zone, 401 and 404 stop",
          "[providers][unit]") {
  Store store;
  FakeHttpServer fake(store.serve([&store](const FakeRequest& r) {
    if (r.path != "/api/update") {
      return text(404, "not found");
    }
    if (urlDecode(r.param("token")) != kToken) {
      return text(401, "invalid authentication token");
    }
    const std::string zone = urlDecode(r.param("zone"));
    if (zone != "home.dynv6.net") {
      return text(404, "zone not found");
    }
    bool changed = false;
    if (!r.param("ipv4").empty()) {
      changed = store.set(zone + " A", urlDecode(r.param("ipv4"))) || changed;
    }
    if (!r.param("ipv6").empty()) {
      changed = store.set(zone + " AAAA", urlDecode(r.param("ipv6"))) || changed;
    }
    return text(200, changed ? "addresses updated" : "addresses unchanged");
  }));
  const Record a{"z", "", "home.dynv6.net", RecordType::A};
  const Record aaaa{"z/AAAA", "", "home.dynv6.net", RecordType::AAAA};
  const std::map<std::string, std::string> settings = {
      {"url", fake.url() + "/api/update?zone={host}&token={password}&ipv4={address}"},
      {"url_ipv6", fake.url() + "/api/update?zone={host}&token={password}&ipv6={address}"},
      {"password", kToken}};
  auto p = make("dynv6", settings, {a, aaaa});
  CHECK(p->update(a, ip("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(p->update(a, ip("198.51.100.7")).status == UpdateStatus::Unchanged);
  CHECK(p->update(aaaa, ip("2001:db8::7")).status == UpdateStatus::Updated);
  CHECK(store.records["home.dynv6.net A"] == "198.51.100.7");
  CHECK(store.records["home.dynv6.net AAAA"] == "2001:db8::7");
  auto wrong = settings;
  wrong["password"] = "nope";
  CHECK(make("dynv6", wrong, {a})->update(a, ip("1.2.3.4")).status == UpdateStatus::AuthFailed);
  const Record other{"o", "", "other.dynv6.net", RecordType::A};
  CHECK(p->update(other, ip("1.2.3.4")).status == UpdateStatus::NotFound);
  FakeResponse limited = text(429, "rate limited");
  limited.headers = {{"Retry-After", "60"}};
  store.next = limited;
  auto r = p->update(a, ip("198.51.100.8"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK(r.retryAfter == std::chrono::seconds(60));
  store.next = text(500, "oops");
  CHECK(p->update(a, ip("198.51.100.8")).status == UpdateStatus::RetryLater);
  store.next = text(200, "<html>maintenance</html>");
  CHECK(p->update(a, ip("198.51.100.8")).status == UpdateStatus::Failed);
  // Without settings, the preset points at dynv6 itself.
  const ProviderInfo* info = ProviderRegistry::builtin().find("dynv6");
  CHECK(info->settings[0].defaultValue.rfind("https://dynv6.com/api/update?", 0) == 0);
  CHECK_THROWS_WITH(make("dynv6", {}, {a}), "[dynv6] password is required");
}

TEST_CASE("UrlPresets: namecheap sends @ for the apex and reads ErrCount", "[providers][unit]") {
  Store store;
  FakeHttpServer fake(store.serve([&store](const FakeRequest& r) {
    FakeResponse x;
    x.contentType = "text/html";
    const auto reply = [&x](const std::string& errors, int count) {
      x.body =
          "<?xml version=\"1.0\" encoding=\"utf-16\"?><interface-response>"
          "<Command>SETDNSHOST</Command><Language>eng</Language><ErrCount>" +
          std::to_string(count) + "</ErrCount><errors>" + errors +
          "</errors><Done>true</Done></interface-response>";
      return x;
    };
    if (urlDecode(r.param("domain")) != "example.com") {
      return reply("<Err1>Domain name not found</Err1>", 1);
    }
    if (urlDecode(r.param("password")) != kToken) {
      return reply("<Err1>Passwords do not match</Err1>", 1);
    }
    const std::string host = urlDecode(r.param("host"));
    if (host != "@" && host != "home") {
      return reply("<Err1>No Records updated. A record not Found;</Err1>", 1);
    }
    store.set(host, urlDecode(r.param("ip")));
    return reply("", 0);
  }));
  const std::map<std::string, std::string> settings = {
      {"url", fake.url() + "/update?host={label}&domain={domain}&password={password}&ip={address}"},
      {"password", kToken}};
  const Record apex{"apex", "", "example.com", RecordType::A};
  const Record home{"home", "home", "example.com", RecordType::A};
  auto p = make("namecheap", settings, {apex, home});
  CHECK(p->update(apex, ip("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(p->update(home, ip("198.51.100.8")).status == UpdateStatus::Updated);
  CHECK(store.records["@"] == "198.51.100.7");
  CHECK(store.records["home"] == "198.51.100.8");
  const Record other{"o", "other", "example.com", RecordType::A};
  const auto missing = p->update(other, ip("198.51.100.7"));
  CHECK(missing.status == UpdateStatus::NotFound);
  CHECK(missing.stop);
  const Record elsewhere{"e", "home", "example.org", RecordType::A};
  CHECK(p->update(elsewhere, ip("198.51.100.7")).status == UpdateStatus::NotFound);
  auto wrong = settings;
  wrong["password"] = "nope";
  const auto refused = make("namecheap", wrong, {home})->update(home, ip("1.2.3.4"));
  CHECK(refused.status == UpdateStatus::AuthFailed);
  CHECK(refused.detail.find("nope") == std::string::npos);
  store.next = text(503, "busy");
  CHECK(p->update(home, ip("198.51.100.9")).status == UpdateStatus::RetryLater);
  store.next = text(200, "not xml at all");
  CHECK(p->update(home, ip("198.51.100.9")).status == UpdateStatus::Failed);
  // Namecheap's dynamic DNS keeps A records only.
  CHECK_THROWS_AS(make("namecheap", settings, {{"h6", "home", "example.com", RecordType::AAAA}}),
                  std::invalid_argument);
}

TEST_CASE("UrlPresets: freedns v2 puts the token in the path, v6 on its own host",
          "[providers][unit]") {
  Store store;
  FakeHttpServer fake(store.serve([&store](const FakeRequest& r) {
    // /u/TOKEN/ or /v6/u/TOKEN/ (the fake's stand-in for v6.sync.afraid.org)
    const bool v6 = r.path.rfind("/v6/", 0) == 0;
    const std::string path = v6 ? r.path.substr(3) : r.path;
    if (path.rfind("/u/", 0) != 0 || urlDecode(path.substr(3, path.size() - 4)) != kToken) {
      return text(200, "ERROR: Unable to locate this record");
    }
    const std::string address = urlDecode(r.param("address"));
    if (!store.set(v6 ? "AAAA" : "A", address)) {
      return text(200, "No IP change detected for home.example.com with IP " + address +
                           ", skipping update");
    }
    return text(200, "Updated 1 host(s) home.example.com to " + address + " in 0.1 seconds");
  }));
  const std::map<std::string, std::string> settings = {
      {"url", fake.url() + "/u/{password}/?address={address}"},
      {"url_ipv6", fake.url() + "/v6/u/{password}/?address={address}"},
      {"password", kToken}};
  const Record a{"h", "home", "example.com", RecordType::A};
  const Record aaaa{"h/AAAA", "home", "example.com", RecordType::AAAA};
  auto p = make("freedns", settings, {a, aaaa});
  CHECK(p->update(a, ip("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(p->update(a, ip("198.51.100.7")).status == UpdateStatus::Unchanged);
  CHECK(p->update(aaaa, ip("2001:db8::7")).status == UpdateStatus::Updated);
  CHECK(store.records["A"] == "198.51.100.7");
  CHECK(store.records["AAAA"] == "2001:db8::7");
  auto wrong = settings;
  wrong["password"] = "nope";
  const auto refused = make("freedns", wrong, {a})->update(a, ip("1.2.3.4"));
  CHECK(refused.status == UpdateStatus::Failed);  // an ERROR line is never a success
  FakeResponse limited = text(429, "");
  limited.headers = {{"Retry-After", "300"}};
  store.next = limited;
  const auto r = p->update(a, ip("198.51.100.8"));
  CHECK(r.status == UpdateStatus::RetryLater);
  CHECK(r.retryAfter == std::chrono::seconds(300));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
