// SPDX-License-Identifier: MIT
// chipmunk-api's routes: the table (api/routes.cpp) and what every route family is given.
// One file per family: route_ip.cpp, route_set.cpp, route_hosts.cpp (with the page in
// yellow_pages.cpp), route_nic_update.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/service.hpp"
#include "api/store.hpp"
#include "common/ip.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

class NochgCounters;
class ApiMetrics;
class WatchHub;

// What a route handler is given: the request, who asks, and the parts of the service it
// may use.
struct RouteCall {
  const config::ApiConfig& config;
  const RequestInfo& request;
  Store& store;
  NochgCounters& nochg;                      // /nic/update's abuse counters
  std::shared_ptr<RecordListener> listener;  // told of address changes; may be null
  IpAddress client;                          // resolved through trusted proxies
  std::string clientText;
  std::string user;  // who logged in; empty on a route open to anyone
  int64_t now = 0;   // Unix seconds
  // Logged in with an update token limited to these names (empty: every name of `user`).
  std::vector<std::string> scope;
  bool viaToken = false;
  ApiMetrics* metrics = nullptr;  // counts what the routes see (auth failures, store writes)
  WatchHub* watch = nullptr;      // the versions of GET /hosts (api/watch_hub.hpp)
  // Set on an I/O thread for a Route::quick route: timedUpdate() applies only an update
  // that changes nothing (Store::updateIfUnchanged); any other sets needsWriter, and the
  // request is served again on a writer thread, this answer discarded. So before its
  // timedUpdate() such a route must change nothing, and after one that set needsWriter it
  // must only return.
  bool quickOnly = false;
  bool needsWriter = false;
};

// Who may call a route, and how it is guarded before its handler runs.
enum class Access {
  kAnyone,    // no check at all: /healthz, for load balancers
  kPublicIp,  // anyone with [Server] public_ip_endpoints, else a logged-in user
  kReader,    // a logged-in user; reads records
  kWriter,    // a logged-in user; writes records (refused on any cross-site sign)
  kDyndns2,   // a kWriter that answers refusals in dyndns2 words (clients parse them)
  kMetrics,   // /metrics: as [Metrics] access says (api/access.cpp metricsOpen)
};

using RouteHandler = Response (*)(RouteCall&);

struct Route {
  const char* path;     // exact, or a prefix when it ends in '/' (but is not "/")
  const char* methods;  // the methods served, as the Allow header lists them
  Access access;
  RouteHandler handler;
  // An update of this route that changes nothing but the last-seen time may be answered on
  // the I/O thread, without the writers' pool (RouteCall::quickOnly). Only on routes of
  // Access::kWriter or kDyndns2 (the others never go to a writer).
  bool quick = false;
  // `methods` as bits (1 << Method), made from it by the table (api/routes.cpp).
  unsigned methodBits = 0;

  bool matches(const std::string& requestPath) const;
  bool allows(Method method) const { return (methodBits >> static_cast<unsigned>(method)) & 1u; }
};

// The route that serves `path`, or nullptr (404, to logged-in users only).
const Route* findRoute(const std::string& path);
// The route table's index of `route` (kRouteUnmatched for nullptr), and the name /metrics
// gives an index or a kRoute* value (api/metrics.hpp); nullptr past the table's end.
int routeIndex(const Route* route);
const char* routeName(int index);

// Helpers the route families share.
Response plain(int code, std::string body);
Response json(int code, std::string body);
Response methodNotAllowed(const char* allow);
bool isGetLike(Method method);
// Request fields (query parameters, form fields) in request order.
using Fields = std::vector<std::pair<std::string, std::string>>;
bool hasNul(const Fields& fields);
// A malformed percent escape or a NUL in the query string.
bool malformedQuery(const RequestInfo& request);
// What an error answer repeats of a request (a field name, a host name): at most `max`
// bytes of printable ASCII, whatever bytes the request had.
std::string echo(const std::string& text, size_t max);
// The user who owns record `name`; empty when it is not (or no longer) configured.
std::string ownerOf(const config::ApiConfig& config, const std::string& name);
// The answer to an update the store could not write (SetOutcome::kFailed): 503 with
// Retry-After, the previous record intact; `body` is the route's own wording.
Response storeFailed(std::string body);
// The names the caller may update: those its user owns, within its token's scope.
std::vector<std::string> namesMayUpdate(const RouteCall& call);
// Whether `name` is among namesMayUpdate(call) (the caller's own record without the list).
bool mayUpdate(const RouteCall& call, const std::string& name);
// Tells the listener when `result` changed an address.
void notifyChange(const RouteCall& call, const std::string& name, const UpdateResult& result);

// The route families.
Response answerHealth(RouteCall& call);     // /healthz (api/routes.cpp)
Response answerIpText(RouteCall& call);     // /get/ip (api/route_ip.cpp)
Response answerIpJson(RouteCall& call);     // /get/ip.json
Response answerSet(RouteCall& call);        // /set (api/route_set.cpp)
Response answerHosts(RouteCall& call);      // /hosts, /hosts/<name> (api/route_hosts.cpp)
Response answerPage(RouteCall& call);       // / (the address book page)
Response answerNicUpdate(RouteCall& call);  // /nic/update, /v3/update (route_nic_update.cpp)
Response answerMetrics(RouteCall& call);    // /metrics (api/metrics.cpp)
// A store write of a route, timed for /metrics. With call.quickOnly, only an update that
// changes nothing is applied (counted as quick, not as a store write), its result kUnchanged with
// `before` and `after` left empty (notifyChange() needs them only for kSaved); any other sets
// call.needsWriter and returns kFailed, an answer the caller discards.
UpdateResult timedUpdate(RouteCall& call, const std::string& name, const RecordUpdate& update);
// The answer of a route in RouteCall::quickOnly that needs a writer after all (discarded).
Response toWriter(RouteCall& call);

// Validates one /set metadata field; returns an error message or empty (route_set.cpp).
std::string checkMetadataField(const std::string& key, const std::string& value);

// Where the page's links lead: cursors as /hosts makes them (api/host_pages.hpp).
struct PageLinks {
  size_t limit = 0;
  std::string cursor;               // this page's (empty: the first page)
  std::string next;                 // empty: this is the last page
  std::optional<std::string> back;  // the previous page's cursor, when known ("": the first)
};

// The address book page (HTML, CSS and script in one document, no external assets) showing
// `recordsJson` (a JSON array: one page of the /hosts answer for the caller), with links to
// the pages around it (api/yellow_pages.cpp).
std::string yellowPagesHtml(const std::string& recordsJson, const PageLinks& links);

}  // namespace chipmunk::api
