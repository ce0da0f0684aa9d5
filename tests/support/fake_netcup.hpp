// SPDX-License-Identifier: MIT
#pragma once

// A fake of the netcup CCP API's DNS actions, for tests and manual trials. It follows
// https://ccp.netcup.net/run/webservice/servers/endpoint.php and
// https://helpcenter.netcup.com/en/wiki/general/our-api :
//   - POST /run/webservice/servers/endpoint.php?JSON {"action":NAME,"param":{...}}; every
//     answer is HTTP 200 {"serverrequestid","clientrequestid","action","status",
//     "statuscode","shortmessage","longmessage","responsedata"}
//   - login {customernumber, apikey, apipassword} -> responsedata {"apisessionid"}; refused
//     credentials: status "error", statuscode 4013 "Validation Error."
//   - infoDnsRecords / updateDnsRecords / logout need customernumber, apikey and a live
//     apisessionid (else 4001 "The session id is not in a valid format" / expired)
//   - infoDnsRecords {domainname} -> responsedata {"dnsrecords":[{id, hostname, type,
//     priority, destination, deleterecord, state}]}; a zone without records: 5029; a domain
//     not in the account: 4013 "Domain not found."
//   - updateDnsRecords {domainname, dnsrecordset:{dnsrecords:[...]}}: a record with an id
//     replaces that record (a field left out is reset: priority "0"), one without is created;
//     hostname, type and destination are required
//   - failNext() serves canned replies first; rateLimitNext() the CCP's own "More than 180
//     requests per minute" error
#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"
#include "tests/support/fake_json_api.hpp"

namespace chipmunk::test {

class FakeNetcup {
 public:
  struct DnsRecord {
    std::string id;
    std::string hostname;  // "@" for the apex
    std::string type;
    std::string destination;
    std::string priority = "0";
    std::string state = "yes";
  };

  FakeNetcup(std::string customer = "12345", std::string apiKey = "nc-key",
             std::string apiPassword = "nc-password");
  ~FakeNetcup();

  std::string endpoint() const;  // http://127.0.0.1:PORT/run/webservice/servers/endpoint.php?JSON
  void addDomain(const std::string& domain);
  std::string addRecord(const std::string& domain, DnsRecord record);  // returns the id
  std::optional<DnsRecord> record(const std::string& domain, const std::string& hostname,
                                  const std::string& type) const;
  size_t recordCount(const std::string& domain) const;
  size_t openSessions() const;
  void failNext(int status, std::string body, std::string retryAfter = "");
  void rateLimitNext();
  std::vector<FakeRequest> requests() const;

 private:
  FakeResponse handle(const FakeRequest& request);
  FakeResponse act(const std::string& action, const rapidjson::Value& param);
  FakeResponse info(const std::string& domain) const;
  FakeResponse updateRecords(const std::string& domain, const rapidjson::Value& param);

  mutable std::mutex mutex_;
  std::string customer_;
  std::string apiKey_;
  std::string apiPassword_;
  std::map<std::string, std::vector<DnsRecord>> domains_;
  std::set<std::string> sessions_;
  bool rateLimited_ = false;
  FailureQueue failures_;
  int nextId_ = 4711;
  std::unique_ptr<FakeHttpServer> server_;
};

}  // namespace chipmunk::test
