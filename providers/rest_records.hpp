// SPDX-License-Identifier: MIT
#pragma once

// The record logic the JSON REST providers (desec, digitalocean, gandi, godaddy, hetzner,
// ionos, porkbun, vultr) share, so that each provider file holds only its API: which URL
// lists or reads the record, how an item's id, address and TTL are read, how a create and an
// update request look, and how its error bodies read. The shared steps are here once:
//   find the zone (cached) -> list the records (paged) -> match -> unchanged, create (when
//   create_missing) or update -> classify the reply.
// A provider keeps a RestRecords member and stays a plain DnsProvider.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "providers/json_api.hpp"
#include "providers/provider.hpp"

namespace spdlog {
class logger;
}

namespace chipmunk::providers {

// The string member `key` of `value` ("" when `value` is not an object or it is absent or
// not a string).
std::string jsonString(const rapidjson::Value& value, const char* key);
// The integer member `key` of `value`; `fallback` when absent or not an integer.
long long jsonInt(const rapidjson::Value& value, const char* key, long long fallback);

// `record`'s name relative to `zone` (lower case; "" at the apex): the record's own host when
// `zone` is empty or its domain, else its FQDN less ".zone"; nothing when the record is not
// in `zone` (a provider whose `zone` setting names a parent of the record's domain).
std::optional<std::string> nameInZone(const Record& record, const std::string& zone);

// A JSON object written member by member: JsonBody().add("data", ip).add("ttl", 300).text().
class JsonBody {
 public:
  JsonBody();
  JsonBody& add(const char* key, const std::string& value);
  JsonBody& add(const char* key, const char* value) { return add(key, std::string(value)); }
  JsonBody& add(const char* key, long long value);
  JsonBody& add(const char* key, bool value);
  // `key`: [value], the one-address RRset of deSEC and Gandi.
  JsonBody& addList(const char* key, const std::string& value);
  // `key` only when `value` > 0 (a TTL left out keeps the record's).
  JsonBody& addPositive(const char* key, long long value);
  // The object; call once.
  std::string text();

 private:
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// A provider's reading of a failed exchange: classifyJsonFailure with its error body.
using FailureClassifier = std::function<UpdateResult(const HttpResponse&, const std::string&)>;

// The record as the service holds it now.
struct FoundRecord {
  std::string id;
  std::string content;  // the address it holds; "" when it holds several or none
  long long ttl = 0;    // 0: none of its own (the zone's applies)
  // The listing's item, for the fields an update sends back; valid during sync() only.
  const rapidjson::Value* item = nullptr;
};

// What sync() keeps: the record, the address, and the words its details use.
struct RecordTarget {
  std::string fqdn;             // as the details show it
  std::string type;             // "A" or "AAAA"
  std::string content;          // the address
  std::string noun = "record";  // "record" or "RRset"
  std::string missingHint = "create_missing = no";
};

// A write the provider builds: the request, the statuses meaning it was done, the words of
// its failure ("update record: 422 ...") and of its success ("record 42 -> 192.0.2.1").
struct RecordWrite {
  HttpRequest request;
  std::vector<int> ok;
  std::string what;
  std::string done;
};

// A JSON reply's shape: an object whose `member` is an array, or (member nullptr) an array.
// `name` words the refusal: "list records: not a records listing".
struct JsonShape {
  const char* member;
  const char* name;
};

class RestRecords {
 public:
  // Reads the `endpoint`, `ttl` and `create_missing` settings (endpointSetting throws for a
  // bad endpoint); every request carries `authName: authValue` (empty name: no header).
  RestRecords(const ProviderContext& context, std::string authName, std::string authValue,
              FailureClassifier failure);

  const std::string& endpoint() const { return endpoint_; }
  long long ttl() const { return ttl_; }  // the configured TTL; 0: keep the record's
  long long ttlOr(long long fallback) const { return ttl_ > 0 ? ttl_ : fallback; }
  bool createMissing() const { return createMissing_; }
  HttpClient& http() { return http_; }
  UpdateResult failure(const HttpResponse& response, const std::string& what) const {
    return failure_(response, what);
  }

  // `method` on endpoint + `path`, authenticated, JSON (json_api.hpp jsonRequest).
  HttpRequest request(const std::string& method, const std::string& path,
                      std::string body = "") const;

  // Performs `req`; when its status is one of `ok` and its body is JSON of `shape`, fills
  // `doc` and returns nothing; else the outcome to return: the provider's failure for a
  // refused exchange, Failed "what: not a …" for another body. `status` gets the reply's.
  std::optional<UpdateResult> fetch(const HttpRequest& req, std::initializer_list<int> ok,
                                    const std::string& what, JsonShape shape,
                                    rapidjson::Document& doc, int* status = nullptr);

  // A listing over pages: GET `path`, hand each item of the page's `shape` array to `visit`,
  // then GET what `next(page)` returns until it returns "" (at most `maxPages` pages).
  using NextPage = std::function<std::string(const rapidjson::Document& page)>;
  using Visit = std::function<void(const rapidjson::Value& item)>;
  std::optional<UpdateResult> listPages(std::string path, JsonShape shape, int maxPages,
                                        const NextPage& next, const Visit& visit,
                                        int* status = nullptr);

  // The id of zone `domain` (lower case) from the zone listing `path` (items with "name" and
  // "id"), cached; NotFound when the account lacks it.
  std::optional<UpdateResult> zoneId(const std::string& domain, const std::string& path,
                                     JsonShape shape, std::string& id);
  // After a 404 under the zone: it may have been recreated under a new id.
  void forgetZone(const std::string& domain) { zones_.erase(domain); }

  // Performs `write`: Updated with its `done`, or the provider's failure.
  UpdateResult send(const RecordWrite& write);
  // send() in the usual words: "create record" failed / "record created -> ADDRESS".
  UpdateResult sendCreate(HttpRequest request, std::vector<int> ok, const std::string& content);
  // send() in the usual words: "update record" failed / "record ID -> ADDRESS".
  UpdateResult sendUpdate(HttpRequest request, std::vector<int> ok, const std::string& id,
                          const std::string& content);

  // The one find-then-create-or-update step: no record -> NotFound (create_missing = no) or
  // create(); the address and (when set) the TTL already there -> Unchanged; else update().
  using Create = std::function<UpdateResult()>;
  using Update = std::function<UpdateResult(const FoundRecord&)>;
  UpdateResult sync(const RecordTarget& target, const std::optional<FoundRecord>& found,
                    const Create& create, const Update& update) const;

 private:
  std::string endpoint_;
  std::string authName_;
  std::string authValue_;
  bool createMissing_ = false;
  long long ttl_ = 0;
  FailureClassifier failure_;
  HttpClient http_;
  std::map<std::string, std::string> zones_;  // domain -> zone id
};

// The settings RestRecords reads, as a provider words them: the endpoint's default, the
// ttl's help and upper bound, the create_missing help.
struct RestSettings {
  const char* endpoint;
  std::string ttlHelp;
  long long maxTtl;
  std::string createHelp;
};
// `credentials` (the provider's own keys), then endpoint, ttl and create_missing.
std::vector<config::SettingSpec> restSettings(std::vector<config::SettingSpec> credentials,
                                              const RestSettings& rest);

// A provider that caches record ids found them: logs record_id (warns when `matches` > 1:
// the first is updated) on `log` and answers Unchanged "found".
UpdateResult recordFound(spdlog::logger& log, int matches, const std::string& fqdn,
                         const std::string& type, const std::string& id);

// The prepare() of a provider that looks its ids up ahead, record by record (`lookUp`):
// AuthFailed or RetryLater ends it (the whole account is affected); another failure is
// update()'s business (Unchanged, with the first such detail).
UpdateResult prepareEach(const std::vector<Record>& records,
                         const std::function<UpdateResult(const Record&)>& lookUp);

// update() over cached ids: `once()`; when that is NotFound and `stale` is set (a cached id
// is gone: the record or zone was recreated), clears `stale`, calls `forget()` and tries
// once more.
UpdateResult withFreshIds(const std::function<UpdateResult()>& once, bool& stale,
                          const std::function<void()>& forget);

// The prepare() of a provider with nothing to look up ahead.
inline UpdateResult nothingToPrepare() {
  return outcome(UpdateStatus::Unchanged, "nothing to look up");
}

}  // namespace chipmunk::providers
