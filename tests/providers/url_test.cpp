// SPDX-License-Identifier: MIT
// The url provider (providers/url.cpp) against a loopback fake of "some HTTP update API":
// every request is recorded, so the tests read back what the templates produced, decoded the
// way a server would decode it, and compare with the hostile values that went in.
#include <catch2/catch.hpp>

#include <deque>
#include <mutex>

#include "common/base64.hpp"
#include "common/json.hpp"
#include "providers/provider.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using chipmunk::IpAddress;
using chipmunk::test::FakeHttpServer;
using chipmunk::test::FakeRequest;
using chipmunk::test::FakeResponse;

// Answers with scripted replies, in order (then 200 "good"); records every request.
class ScriptedServer {
 public:
  ScriptedServer()
      : server_([this](const FakeRequest&) {
          std::lock_guard<std::mutex> lock(mutex_);
          if (replies_.empty()) {
            FakeResponse ok;
            ok.contentType = "text/plain";
            ok.body = "good";
            return ok;
          }
          FakeResponse r = replies_.front();
          replies_.pop_front();
          return r;
        }) {}

  void reply(int status, std::string body,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    FakeResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    std::lock_guard<std::mutex> lock(mutex_);
    replies_.push_back(std::move(r));
  }
  std::string url() const { return server_.url(); }
  std::vector<FakeRequest> requests() const { return server_.requests(); }

 private:
  std::mutex mutex_;
  std::deque<FakeResponse> replies_;
  FakeHttpServer server_;
};

std::unique_ptr<DnsProvider> makeUrl(std::map<std::string, std::string> settings) {
  ProviderContext context;
  context.section = "url";
  context.settings = std::move(settings);
  context.http.timeout = std::chrono::seconds(5);
  return makeProvider(*ProviderRegistry::builtin().find("url"), context);
}

std::string percentDecode(const std::string& text, bool plusIsSpace = false) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (plusIsSpace && text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

// A form or query string's value for `name`, decoded.
std::string formValue(const std::string& form, const std::string& name) {
  FakeRequest r;
  r.query = form;
  return percentDecode(r.param(name), true);
}

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

// Values that break naive templating: &, =, ", %, +, #, ?, /, a backslash, spaces, a
// placeholder's own spelling, a non-ASCII character.
const std::string kPassword = "p&w=\"d%20+ #?/\\{host}\xc3\xa9";
const Record kHostile{"h", "we&ird\"ho%st", "example.com", RecordType::AAAA};

TEST_CASE("Url: placeholders are percent-encoded in the URL and JSON-escaped in a JSON body",
          "[providers][unit]") {
  ScriptedServer fake;
  auto p = makeUrl({{"url", fake.url() + "/dyn/{domain}/update?h={host}&n={name}&ip={address}"
                                         "&u={username}&p={password}&f={family}&t={type}"},
                    {"method", "POST"},
                    {"header1", "Authorization: Bearer {password}"},
                    {"header2", "X-Record:{type}"},
                    {"body",
                     "{\"name\":\"{host}\",\"content\":\"{address}\",\"pw\":\"{password}\","
                     "\"ttl\":60}"},
                    {"username", "al ice"},
                    {"password", kPassword}});
  REQUIRE(p->prepare().ok());
  const auto r = p->update(kHostile, ip("2001:db8::7"));
  INFO(r.detail);
  CHECK(r.status == UpdateStatus::Updated);
  CHECK(r.detail.find(kPassword) == std::string::npos);
  const auto reqs = fake.requests();
  REQUIRE(reqs.size() == 1);
  const FakeRequest& q = reqs[0];
  CHECK(q.method == "POST");
  CHECK(q.path == "/dyn/example.com/update");
  CHECK(percentDecode(q.param("h")) == "we&ird\"ho%st.example.com");
  CHECK(percentDecode(q.param("n")) == "we&ird\"ho%st");
  CHECK(percentDecode(q.param("ip")) == "2001:db8::7");
  CHECK(percentDecode(q.param("u")) == "al ice");
  CHECK(percentDecode(q.param("p")) == kPassword);  // {host} inside it stayed literal
  CHECK(q.param("f") == "ipv6");
  CHECK(q.param("t") == "AAAA");
  CHECK(q.header("authorization") == "Bearer " + kPassword);
  CHECK(q.header("x-record") == "AAAA");
  CHECK(q.header("content-type") == "application/json");
  rapidjson::Document body;
  std::string error;
  REQUIRE(chipmunk::json::parse(body, q.body, error));
  CHECK(std::string(body["name"].GetString()) == "we&ird\"ho%st.example.com");
  CHECK(std::string(body["content"].GetString()) == "2001:db8::7");
  CHECK(std::string(body["pw"].GetString()) == kPassword);
  CHECK(body["ttl"].GetInt() == 60);
}

TEST_CASE("Url: a form body is percent-encoded, url_ipv6 and basic_auth", "[providers][unit]") {
  ScriptedServer fake;
  auto p = makeUrl({{"url", fake.url() + "/v4"},
                    {"url_ipv6", fake.url() + "/v6?host={host}"},
                    {"method", "PUT"},
                    {"body", "hostname={host}&myip={address}&secret={password}"},
                    {"body_format", "form"},
                    {"basic_auth", "yes"},
                    {"username", "alice"},
                    {"password", kPassword}});
  const Record home{"home", "home", "example.com", RecordType::A};
  REQUIRE(p->update(home, ip("198.51.100.7")).status == UpdateStatus::Updated);
  REQUIRE(p->update(kHostile, ip("2001:db8::8")).status == UpdateStatus::Updated);
  const auto reqs = fake.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].method == "PUT");
  CHECK(reqs[0].path == "/v4");
  CHECK(reqs[0].header("content-type") == "application/x-www-form-urlencoded");
  CHECK(formValue(reqs[0].body, "hostname") == "home.example.com");
  CHECK(formValue(reqs[0].body, "myip") == "198.51.100.7");
  CHECK(formValue(reqs[0].body, "secret") == kPassword);
  CHECK(reqs[0].header("authorization") == "Basic " + chipmunk::base64Encode("alice:" + kPassword));
  CHECK(reqs[1].path == "/v6");
  CHECK(percentDecode(reqs[1].param("host")) == "we&ird\"ho%st.example.com");
  CHECK(formValue(reqs[1].body, "hostname") == "we&ird\"ho%st.example.com");
}

TEST_CASE("Url: a line break bound for a header is refused, nothing is sent", "[providers][unit]") {
  ScriptedServer fake;
  auto p = makeUrl({{"url", fake.url() + "/u"}, {"header1", "X-Host: {host}"}});
  const Record evil{"e", "a\r\nX-Injected: 1", "example.com", RecordType::A};
  const auto r = p->update(evil, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::Failed);
  CHECK(r.stop);
  CHECK(fake.requests().empty());
}

TEST_CASE("Url: reply patterns classify in order, then the HTTP status decides",
          "[providers][unit]") {
  ScriptedServer fake;
  auto p = makeUrl({{"url", fake.url() + "/nic/update?hostname={host}&myip={address}"},
                    {"updated_regex", "^good"},
                    {"unchanged_regex", "^nochg"},
                    {"auth_failed_regex", "^(badauth|!donator)"},
                    {"not_found_regex", "^(nohost|notfqdn)"},
                    {"retry_regex", "^(911|dnserr)"}});
  const Record home{"home", "home", "example.com", RecordType::A};
  struct Case {
    int status;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    UpdateStatus expected;
    bool stop;
    std::optional<std::chrono::seconds> retryAfter;
  };
  const std::vector<Case> cases = {
      {200, "good 198.51.100.7", {}, UpdateStatus::Updated, false, std::nullopt},
      {200, "nochg 198.51.100.7", {}, UpdateStatus::Unchanged, false, std::nullopt},
      {200, "badauth", {}, UpdateStatus::AuthFailed, true, std::nullopt},
      {200, "nohost", {}, UpdateStatus::NotFound, true, std::nullopt},
      {200, "911", {}, UpdateStatus::RetryLater, false, std::nullopt},
      {503,
       "dnserr",
       {{"Retry-After", "600"}},
       UpdateStatus::RetryLater,
       false,
       std::chrono::seconds(600)},
      // No pattern matches: the status decides.
      {429,
       "slow down",
       {{"Retry-After", "120"}},
       UpdateStatus::RetryLater,
       false,
       std::chrono::seconds(120)},
      {429, "slow down", {}, UpdateStatus::RetryLater, false, std::nullopt},
      {500, "<html>oops</html>", {}, UpdateStatus::RetryLater, false, std::nullopt},
      {401, "", {}, UpdateStatus::AuthFailed, false, std::nullopt},
      {404, "", {}, UpdateStatus::NotFound, false, std::nullopt},
      {400, "bad request", {}, UpdateStatus::Failed, false, std::nullopt},
      // 2xx that matches nothing while updated_regex is set: not taken for a success.
      {200, "<html>login page</html>", {}, UpdateStatus::Failed, false, std::nullopt},
  };
  for (const auto& c : cases) {
    fake.reply(c.status, c.body, c.headers);
  }
  for (const auto& c : cases) {
    INFO(c.status << " " << c.body);
    const auto r = p->update(home, ip("198.51.100.7"));
    INFO(r.detail);
    CHECK(r.status == c.expected);
    CHECK(r.stop == c.stop);
    CHECK(r.retryAfter == c.retryAfter);
  }
}

TEST_CASE("Url: without patterns, 2xx is updated", "[providers][unit]") {
  ScriptedServer fake;
  auto p = makeUrl({{"url", fake.url() + "/u"}});
  const Record home{"home", "home", "example.com", RecordType::A};
  fake.reply(204, "");
  CHECK(p->update(home, ip("198.51.100.7")).status == UpdateStatus::Updated);
  fake.reply(403, "{\"error\":\"forbidden\"}");
  CHECK(p->update(home, ip("198.51.100.7")).status == UpdateStatus::AuthFailed);
}

TEST_CASE("Url: json_pointer classifies a JSON field, malformed and oversized replies fail",
          "[providers][unit]") {
  ScriptedServer fake;
  auto p = makeUrl({{"url", fake.url() + "/api"},
                    {"json_pointer", "/result/status"},
                    {"updated_regex", "^updated$"},
                    {"unchanged_regex", "^unchanged$"},
                    {"auth_failed_regex", "^(bad-token|denied)$"},
                    {"retry_regex", "^busy$"}});
  const Record home{"home", "home", "example.com", RecordType::A};
  fake.reply(200, R"({"result":{"status":"updated","ip":"198.51.100.7"}})");
  fake.reply(200, R"({"result":{"status":"unchanged"}})");
  fake.reply(400, R"({"result":{"status":"bad-token"}})");  // an error sent as 400 + JSON
  fake.reply(200, R"({"result":{"status":"busy"}})", {{"Retry-After", "30"}});
  fake.reply(200, R"({"result":{"status":"upd)");                              // malformed
  fake.reply(200, std::string(100000, '[') + std::string(100000, ']'));        // too deep
  fake.reply(200, R"({"result":{"status":1}})");                               // not a string
  fake.reply(200, "{\"pad\":\"" + std::string(2 * 1024 * 1024, 'x') + "\"}");  // oversized
  CHECK(p->update(home, ip("198.51.100.7")).status == UpdateStatus::Updated);
  CHECK(p->update(home, ip("198.51.100.7")).status == UpdateStatus::Unchanged);
  const auto auth = p->update(home, ip("198.51.100.7"));
  CHECK(auth.status == UpdateStatus::AuthFailed);
  CHECK(auth.stop);
  const auto busy = p->update(home, ip("198.51.100.7"));
  CHECK(busy.status == UpdateStatus::RetryLater);
  CHECK(busy.retryAfter == std::chrono::seconds(30));
  const auto malformed = p->update(home, ip("198.51.100.7"));
  CHECK(malformed.status == UpdateStatus::Failed);
  CHECK(malformed.detail.find("json_pointer") != std::string::npos);
  CHECK(p->update(home, ip("198.51.100.7")).status == UpdateStatus::Failed);
  CHECK(p->update(home, ip("198.51.100.7")).status == UpdateStatus::Failed);
  const auto big = p->update(home, ip("198.51.100.7"));
  CHECK(big.status == UpdateStatus::RetryLater);  // the client refuses it: transport error
}

TEST_CASE("Url: a pathological pattern ends with an error, not a hang", "[providers][unit]") {
  ScriptedServer fake;
  auto p = makeUrl({{"url", fake.url() + "/u"}, {"updated_regex", "^(a+)+$"}});
  fake.reply(200, std::string(30000, 'a') + "b");
  const auto r = p->update({"h", "h", "example.com", RecordType::A}, ip("198.51.100.7"));
  CHECK(r.status == UpdateStatus::Failed);
}

TEST_CASE("Url: bad templates, headers, patterns and pointers are configuration errors",
          "[providers][unit]") {
  const std::string u = "https://dyn.example.net/update?h={host}";
  CHECK_THROWS_WITH(makeUrl({}), "[url] url is required");
  CHECK_THROWS_AS(makeUrl({{"url", "dyn.example.net/update"}}), std::invalid_argument);
  CHECK_THROWS_WITH(makeUrl({{"url", "https://x/?h={hots}"}}),
                    Catch::Contains("unknown placeholder {hots}"));
  CHECK_THROWS_AS(makeUrl({{"url", u}, {"body", "{\"ip\":\"{adress}\"}"}}), std::invalid_argument);
  CHECK_THROWS_AS(makeUrl({{"url", u}, {"header1", "no colon here"}}), std::invalid_argument);
  CHECK_THROWS_AS(makeUrl({{"url", u}, {"header1", "Bad Name: x"}}), std::invalid_argument);
  CHECK_THROWS_AS(makeUrl({{"url", u}, {"updated_regex", "(unclosed"}}), std::invalid_argument);
  CHECK_THROWS_AS(makeUrl({{"url", u}, {"json_pointer", "status"}}), std::invalid_argument);
  CHECK_NOTHROW(makeUrl({{"url", u}, {"body", "{\"a\":{\"b\":[]}, \"ip\":\"{address}\"}"}}));
}

TEST_CASE("Url: the documented JSON example passes --check-config, a typo is file:line",
          "[providers][integration]") {
  chipmunk::test::TempDir dir;
  const std::string section =
      "[url:api]\n"
      "url = https://api.example.com/v1/zones/{domain}/records/{name}/{type}\n"
      "method = PUT\n"
      "header1 = Authorization: Bearer {password}\n"
      "body = {\"content\": \"{address}\", \"ttl\": 300}\n"
      "password = tok_0123456789\n"
      "json_pointer = /status\n"
      "updated_regex = ^(updated|created)$\n";
  const std::string rest =
      "[source:cmd]\ntype = command\ncommand = echo 198.51.100.7\n"
      "[record:home]\nprovider = url:api\nhost = home\ndomain = example.com\ntype = both\n";
  chipmunk::test::writeFile(dir.file("ok.ini"), section + rest);
  CHECK(chipmunk::test::runCommand(
            {CHIPMUNK_UPDATER_BIN, "--config", dir.file("ok.ini"), "--check-config"}, dir.file("o"),
            dir.file("e")) == 0);
  INFO(chipmunk::test::readFile(dir.file("e")));
  std::string typo = section;
  typo.replace(typo.find("{name}"), 6, "{nmae}");
  chipmunk::test::writeFile(dir.file("typo.ini"), typo + rest);
  CHECK(chipmunk::test::runCommand(
            {CHIPMUNK_UPDATER_BIN, "--config", dir.file("typo.ini"), "--check-config"},
            dir.file("o2"), dir.file("e2")) == 2);
  CHECK(chipmunk::test::readFile(dir.file("e2")).find("unknown placeholder {nmae}") !=
        std::string::npos);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
