// SPDX-License-Identifier: MIT
// The built-in notifiers and the healthchecks ping against a fake server on loopback, each
// checked for the request its service documents: https://docs.ntfy.sh/publish/,
// https://gotify.net/api-docs and https://gotify.net/docs/pushmsg,
// https://healthchecks.io/docs/http_api/.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/process.hpp"
#include "updater/notify.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::updater;
using namespace std::chrono_literals;
using chipmunk::test::FakeHttpServer;
using chipmunk::test::FakeRequest;
using chipmunk::test::FakeResponse;

AlertEvent failureEvent() {
  AlertEvent e;
  e.event = "failure";
  e.record = "home";
  e.host = "home.example.com";
  e.type = "A";
  e.provider = "linode";
  e.oldIp = "192.0.2.1";
  e.newIp = "203.0.113.10";
  e.error = "retry-later: 503 Service Unavailable";
  e.time = 1700000000;
  return e;
}

config::NotifierConfig notifier(config::NotifierKind kind, const std::string& url) {
  config::NotifierConfig n;
  n.name = "test";
  n.kind = kind;
  n.url = url;
  n.events = {"failure", "stop", "recover", "change"};
  return n;
}

providers::HttpOptions quick(std::chrono::milliseconds timeout = 5s) {
  providers::HttpOptions http;
  http.timeout = timeout;
  http.connectTimeout = 2s;
  return http;
}

// Sends `e` through a Notifications with `n` and returns what the server received.
std::vector<FakeRequest> deliver(FakeHttpServer& server, const config::NotifierConfig& n,
                                 const AlertEvent& e) {
  Notifications out({n}, "", quick());
  out.notify(e);
  REQUIRE(out.drain(10s));
  return server.requests();
}

rapidjson::Document parsed(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  return doc;
}

std::string member(const rapidjson::Document& doc, const char* key) {
  const auto it = doc.FindMember(key);
  REQUIRE(it != doc.MemberEnd());
  REQUIRE(it->value.IsString());
  return it->value.GetString();
}

FakeResponse answer(int status, std::string body = {}) {
  FakeResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST_CASE("Notify: a webhook POSTs every field as JSON, with its extra headers",
          "[updater][unit]") {
  FakeHttpServer server([](const FakeRequest&) { return answer(204); });
  auto n = notifier(config::NotifierKind::kWebhook, server.url() + "/hook?key=s3cret");
  n.headers = {{"X-Auth", "Bearer header-secret"}};
  const auto requests = deliver(server, n, failureEvent());
  REQUIRE(requests.size() == 1);
  const auto& r = requests[0];
  CHECK(r.method == "POST");
  CHECK(r.path == "/hook");
  CHECK(r.query == "key=s3cret");
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("x-auth") == "Bearer header-secret");
  const auto doc = parsed(r.body);
  CHECK(member(doc, "event") == "failure");
  CHECK(member(doc, "record") == "home");
  CHECK(member(doc, "host") == "home.example.com");
  CHECK(member(doc, "type") == "A");
  CHECK(member(doc, "provider") == "linode");
  CHECK(member(doc, "old_ip") == "192.0.2.1");
  CHECK(member(doc, "new_ip") == "203.0.113.10");
  CHECK(member(doc, "error") == "retry-later: 503 Service Unavailable");
  CHECK(member(doc, "time") == "2023-11-14T22:13:20Z");
  CHECK(member(doc, "message").find("home (home.example.com A) failed") == 0);
}

TEST_CASE("Notify: a webhook template gets hostile values JSON-escaped where they land",
          "[updater][unit]") {
  FakeHttpServer server([](const FakeRequest&) { return answer(200); });
  auto n = notifier(config::NotifierKind::kWebhook, server.url() + "/chat");
  n.bodyTemplate = R"({"text":"{event} on {record}: {error}","unknown":"{nope}"})";
  auto e = failureEvent();
  e.record = "a\"b\\c";
  e.error = "\",\"injected\":\"yes\u2028\n\x01\xff";
  const auto requests = deliver(server, n, e);
  REQUIRE(requests.size() == 1);
  const auto doc = parsed(requests[0].body);
  CHECK(doc.MemberCount() == 2);  // nothing injected
  const std::string text = member(doc, "text");
  CHECK(text.find("failure on a\"b\\c: \",\"injected\":\"yes") == 0);
  CHECK(text.find('\n') == std::string::npos);  // controls replaced, not passed on
  CHECK(text.find('\x01') == std::string::npos);
  CHECK(member(doc, "unknown") == "{nope}");
}

TEST_CASE("Notify: ntfy gets the message as body with Title, Priority, Tags and the token",
          "[updater][unit]") {
  FakeHttpServer server([](const FakeRequest&) { return answer(200); });
  auto n = notifier(config::NotifierKind::kNtfy, server.url() + "/chipmunk-alerts");
  n.token = "tk_ntfysecret";
  auto e = failureEvent();
  e.event = "stop";
  e.record = "home\r\nX-Injected: 1";
  e.error = "auth-failed: 401 Invalid Token";
  const auto requests = deliver(server, n, e);
  REQUIRE(requests.size() == 1);
  const auto& r = requests[0];
  CHECK(r.method == "POST");
  CHECK(r.path == "/chipmunk-alerts");
  CHECK(r.header("title") == "chipmunk-updater: stop home??X-Injected: 1");
  CHECK(r.header("x-injected").empty());
  CHECK(r.header("priority") == "5");
  CHECK(r.header("tags") == "rotating_light");
  CHECK(r.header("authorization") == "Bearer tk_ntfysecret");
  CHECK(r.body.find("stopped until a reload: auth-failed: 401 Invalid Token") != std::string::npos);

  n.token.clear();
  e = failureEvent();
  e.event = "recover";
  const auto more = deliver(server, n, e);
  REQUIRE(more.size() == 2);
  CHECK(more[1].header("authorization").empty());
  CHECK(more[1].header("priority") == "3");
  CHECK(more[1].header("tags") == "white_check_mark");
  CHECK(more[1].body == "home (home.example.com A) recovered: now 203.0.113.10");
}

TEST_CASE("Notify: Gotify gets POST /message with X-Gotify-Key and title, message, priority",
          "[updater][unit]") {
  FakeHttpServer server([](const FakeRequest&) { return answer(200, R"({"id":1})"); });
  auto n = notifier(config::NotifierKind::kGotify, server.url() + "/gotify/");
  n.token = "AppTokenSecret";
  const auto requests = deliver(server, n, failureEvent());
  REQUIRE(requests.size() == 1);
  const auto& r = requests[0];
  CHECK(r.method == "POST");
  CHECK(r.path == "/gotify/message");
  CHECK(r.header("x-gotify-key") == "AppTokenSecret");
  CHECK(r.header("content-type") == "application/json");
  const auto doc = parsed(r.body);
  CHECK(doc.MemberCount() == 3);
  CHECK(member(doc, "title") == "chipmunk-updater: failure home");
  CHECK(member(doc, "message") ==
        "home (home.example.com A) failed repeatedly: retry-later: 503 Service Unavailable");
  REQUIRE(doc["priority"].IsInt());
  CHECK(doc["priority"].GetInt() == 8);
}

TEST_CASE("Notify: healthchecks pings start, success and fail with a plain-text body",
          "[updater][unit]") {
  FakeHttpServer server([](const FakeRequest&) { return answer(200, "OK"); });
  const std::string uuid = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278";
  Notifications out({}, server.url() + "/" + uuid, quick());
  out.ping(Ping::kStart);
  out.ping(Ping::kSuccess, "updated=1");
  out.ping(Ping::kFail, "home failed: 503");
  REQUIRE(out.drain(10s));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/" + uuid + "/start");
  CHECK(requests[1].path == "/" + uuid);
  CHECK(requests[1].body == "updated=1");
  CHECK(requests[2].path == "/" + uuid + "/fail");
  CHECK(requests[2].body == "home failed: 503");
  CHECK(requests[2].header("content-type") == "text/plain; charset=utf-8");
}

TEST_CASE("Notify: events a notifier does not want are not sent", "[updater][unit]") {
  FakeHttpServer server([](const FakeRequest&) { return answer(200); });
  auto n = notifier(config::NotifierKind::kWebhook, server.url() + "/hook");
  n.events = {"stop"};
  Notifications out({n}, "", quick());
  out.notify(failureEvent());
  auto stop = failureEvent();
  stop.event = "stop";
  out.notify(stop);
  REQUIRE(out.drain(10s));
  REQUIRE(server.requests().size() == 1);
  CHECK(member(parsed(server.requests()[0].body), "event") == "stop");
}

TEST_CASE("Notify: a notifier answering 500 is not fatal, the next request still goes out",
          "[updater][unit]") {
  FakeHttpServer server(
      [](const FakeRequest& r) { return answer(r.path == "/broken" ? 500 : 200); });
  auto broken = notifier(config::NotifierKind::kWebhook, server.url() + "/broken");
  auto good = notifier(config::NotifierKind::kWebhook, server.url() + "/good");
  Notifications out({broken, good}, "", quick());
  out.notify(failureEvent());
  out.notify(failureEvent());
  REQUIRE(out.drain(10s));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[3].path == "/good");
}

TEST_CASE("Notify: a hanging notifier neither blocks the caller nor the stop", "[updater][unit]") {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse r;
    r.delay = 30s;
    return r;
  });
  const auto start = std::chrono::steady_clock::now();
  {
    Notifications out({notifier(config::NotifierKind::kWebhook, server.url() + "/hang")}, "",
                      quick(60s));
    out.notify(failureEvent());  // returns at once: the worker sends
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    REQUIRE(chipmunk::test::waitUntil([&] { return !server.requests().empty(); }, 5s));
    CHECK_FALSE(out.drain(200ms));  // still in flight
  }                                 // the destructor interrupts the transfer
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("Notify: a full queue drops the oldest and counts them", "[updater][unit]") {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse r;
    r.delay = 300ms;
    return r;
  });
  Notifications out({notifier(config::NotifierKind::kWebhook, server.url() + "/slow")}, "", quick(),
                    1);
  for (const char* record : {"r1", "r2", "r3", "r4", "r5"}) {
    auto e = failureEvent();
    e.record = record;
    out.notify(e);
  }
  REQUIRE(out.drain(10s));
  CHECK(out.dropped() >= 3);  // one in flight at most, one queued
  const auto requests = server.requests();
  CHECK(requests.size() + out.dropped() == 5);
  REQUIRE_FALSE(requests.empty());
  CHECK(member(parsed(requests.back().body), "record") == "r5");  // the newest is kept
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
