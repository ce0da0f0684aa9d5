// SPDX-License-Identifier: MIT
// providers/rest_records.{hpp,cpp} and the classifiers of providers/json_api.hpp: the steps
// the JSON REST providers share, against a FakeHttpServer on loopback.
#include <catch2/catch.hpp>

#include "providers/rest_records.hpp"
#include "tests/support/fake_http_server.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::providers;
using chipmunk::test::FakeHttpServer;
using chipmunk::test::FakeRequest;
using chipmunk::test::FakeResponse;

ProviderContext contextFor(const std::string& endpoint, const std::string& createMissing = "no",
                           const std::string& ttl = "0") {
  ProviderContext context;
  context.section = "test";
  context.settings = {{"endpoint", endpoint}, {"create_missing", createMissing}, {"ttl", ttl}};
  context.http.timeout = std::chrono::seconds(5);
  return context;
}

FakeResponse reply(int status, std::string body) {
  FakeResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

UpdateResult messageFailure(const HttpResponse& resp, const std::string& what) {
  return classifyJsonMessage(resp, what, {"/message", "/error/message"});
}

UpdateResult never() {
  FAIL("not to be called");
  return outcome(UpdateStatus::Failed, "");
}

TEST_CASE("Unit: JsonBody writes members in order, lists and positive numbers only",
          "[providers][unit]") {
  CHECK(JsonBody().add("data", "a\"b").add("ttl", 300LL).add("on", true).text() ==
        R"({"data":"a\"b","ttl":300,"on":true})");
  CHECK(JsonBody().addList("records", std::string("192.0.2.1")).addPositive("ttl", 0).text() ==
        R"({"records":["192.0.2.1"]})");
}

TEST_CASE("Unit: jsonString and jsonInt read members or fall back", "[providers][unit]") {
  rapidjson::Document doc;
  doc.Parse(R"({"id":"x","ttl":60,"n":"7"})");
  CHECK(jsonString(doc, "id") == "x");
  CHECK(jsonString(doc, "ttl").empty());
  CHECK(jsonInt(doc, "ttl", 0) == 60);
  CHECK(jsonInt(doc, "n", -1) == -1);
  CHECK(jsonString(doc["ttl"], "id").empty());  // not an object
}

TEST_CASE("Unit: classifyJsonMessage appends the first message found, cut at 200",
          "[providers][unit]") {
  HttpResponse resp;
  resp.status = 422;
  resp.body = R"({"error":{"message":")" + std::string(300, 'x') + R"("}})";
  const UpdateResult r = messageFailure(resp, "update record");
  CHECK(r.status == UpdateStatus::Failed);
  CHECK(r.detail == "update record: HTTP 422 (" + std::string(200, 'x') + ")");
  resp.status = 401;
  resp.body = R"({"message":"bad token"})";
  CHECK(messageFailure(resp, "list").detail == "list: HTTP 401 (bad token)");
}

TEST_CASE("Unit: sync decides NotFound, create, Unchanged or update", "[providers][unit]") {
  const RecordTarget target{"home.example.com", "A", "192.0.2.1"};
  const auto created = [] { return outcome(UpdateStatus::Updated, "created"); };
  const auto updated = [](const FoundRecord& f) {
    return outcome(UpdateStatus::Updated, "updated " + f.id);
  };
  RestRecords keep(contextFor("http://127.0.0.1:1"), "X", "y", classifyHttpFailure);
  const UpdateResult missing = keep.sync(target, std::nullopt, never, updated);
  CHECK(missing.status == UpdateStatus::NotFound);
  CHECK(missing.detail == "no A record home.example.com (create_missing = no)");
  CHECK(keep.sync(target, FoundRecord{"1", "192.0.2.1", 900}, never, updated).detail ==
        "record already points at 192.0.2.1");
  CHECK(keep.sync(target, FoundRecord{"1", "192.0.2.9", 900}, never, updated).detail ==
        "updated 1");
  RestRecords creating(contextFor("http://127.0.0.1:1", "yes", "300"), "X", "y",
                       classifyHttpFailure);
  CHECK(creating.sync(target, std::nullopt, created, updated).detail == "created");
  // A configured TTL the record lacks is a change.
  CHECK(creating.sync(target, FoundRecord{"1", "192.0.2.1", 900}, never, updated).detail ==
        "updated 1");
  RecordTarget rrset = target;
  rrset.noun = "RRset";
  CHECK(creating.sync(rrset, FoundRecord{"", "192.0.2.1", 300}, never, updated).detail ==
        "RRset already holds 192.0.2.1");
}

TEST_CASE("Unit: listPages follows pages, stops at the limit, refuses another shape",
          "[providers][unit]") {
  FakeHttpServer server([](const FakeRequest& req) {
    if (req.param("page") == "bad") {
      return reply(200, R"({"records":{}})");
    }
    const int page = req.param("page").empty() ? 1 : std::stoi(req.param("page"));
    return reply(200, R"({"records":[{"id":")" + std::to_string(page) + R"("}]})");
  });
  RestRecords api(contextFor(server.url()), "Auth", "token", messageFailure);
  std::vector<std::string> ids;
  int page = 1;
  const auto next = [&](const rapidjson::Document&) {
    return ++page <= 3 ? "/r?page=" + std::to_string(page) : std::string();
  };
  const auto visit = [&](const rapidjson::Value& item) { ids.push_back(jsonString(item, "id")); };
  CHECK_FALSE(api.listPages("/r", {"records", "a listing"}, 10, next, visit));
  CHECK(ids == std::vector<std::string>{"1", "2", "3"});
  CHECK(server.requests().front().header("auth") == "token");
  page = 1;
  const auto limited = api.listPages("/r", {"records", "a listing"}, 2, next, visit);
  REQUIRE(limited);
  CHECK(limited->detail == "list records: more than 2 pages");
  const auto bad = api.listPages(
      "/r?page=bad", {"records", "a listing"}, 2, [](const rapidjson::Document&) { return ""; },
      visit);
  REQUIRE(bad);
  CHECK(bad->status == UpdateStatus::Failed);
  CHECK(bad->detail == "list records: not a listing");
}

TEST_CASE("Unit: zoneId caches the id and names an unknown zone", "[providers][unit]") {
  FakeHttpServer server([](const FakeRequest& req) {
    if (req.param("name") == "gone.example") {
      return reply(404, R"({"error":{"message":"zone not found"}})");
    }
    return reply(200, R"({"zones":[{"name":"Example.COM","id":"z1"}]})");
  });
  RestRecords api(contextFor(server.url()), "Auth", "token", messageFailure);
  std::string id;
  CHECK_FALSE(api.zoneId("example.com", "/zones", {"zones", "a zones listing"}, id));
  CHECK(id == "z1");
  CHECK_FALSE(api.zoneId("example.com", "/zones", {"zones", "a zones listing"}, id));
  CHECK(server.requests().size() == 1);
  const auto other = api.zoneId("other.example", "/zones", {"zones", "a zones listing"}, id);
  REQUIRE(other);
  CHECK(other->status == UpdateStatus::NotFound);
  const auto gone =
      api.zoneId("gone.example", "/zones?name=gone.example", {"zones", "a zones listing"}, id);
  REQUIRE(gone);
  CHECK(gone->detail == "zone gone.example: HTTP 404 (zone not found)");
}

TEST_CASE("Unit: prepareEach stops on auth and retry, withFreshIds retries once",
          "[providers][unit]") {
  const std::vector<Record> records = {{"a", "a", "example.com", RecordType::A},
                                       {"b", "b", "example.com", RecordType::A}};
  int calls = 0;
  const UpdateResult worst = prepareEach(records, [&](const Record& r) {
    ++calls;
    return r.name == "a" ? outcome(UpdateStatus::NotFound, "no a")
                         : outcome(UpdateStatus::Unchanged, "ok");
  });
  CHECK(worst.status == UpdateStatus::Unchanged);
  CHECK(worst.detail == "no a");
  CHECK(calls == 2);
  const UpdateResult auth = prepareEach(
      records, [](const Record&) { return outcome(UpdateStatus::AuthFailed, "refused"); });
  CHECK(auth.status == UpdateStatus::AuthFailed);

  bool stale = true;
  int forgotten = 0;
  calls = 0;
  const UpdateResult r = withFreshIds(
      [&] {
        return ++calls == 1 ? outcome(UpdateStatus::NotFound, "gone")
                            : outcome(UpdateStatus::Updated, "again");
      },
      stale, [&] { ++forgotten; });
  CHECK(r.status == UpdateStatus::Updated);
  CHECK_FALSE(stale);
  CHECK(forgotten == 1);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
