// SPDX-License-Identifier: MIT
// /nic/update and /v3/update: dyndns2 as clients parse it, 200 and one code line per host,
// in request order.
// https://help.dyn.com/remote-access-api/perform-update/ and return codes.
#include "api/route_nic_update.hpp"

#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/metrics.hpp"
#include "api/routes.hpp"
#include "common/strings.hpp"
#include "config/settings.hpp"
#include "providers/dyndns2_codes.hpp"

namespace chipmunk::api {

bool NochgCounters::blocked(const std::string& host, int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = counts_.find(host);
  return it != counts_.end() && it->second.blockedUntil > now;
}

void NochgCounters::countNochg(const config::ApiConfig& config, const std::string& host,
                               int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  Count& a = counts_[host];
  if (now - a.windowStart >= config.abuseWindow.count()) {
    a.windowStart = now;
    a.nochg = 0;
  }
  // The limit-th nochg within the window blocks the host: the next request gets "abuse".
  if (++a.nochg >= config.abuseNochgLimit) {
    a.blockedUntil = now + config.abuseBlock.count();
    a.nochg = 0;
    a.windowStart = now;
  }
}

namespace {

Response codeLine(std::string_view code) {
  return plain(200, dyndns2::line(code));
}

// What an update asks for: the hosts as given, and at most one address per family.
struct NicRequest {
  std::vector<std::string> hosts;
  std::optional<IpAddress> v4;
  std::optional<IpAddress> v6;
  bool badAddress = false;  // an address is unusable: every host answers dnserr
};

// Reads hostname, myip and myipv6 into `out`; returns the answer refusing the request.
std::optional<Response> readFields(const RouteCall& call, NicRequest& out,
                                   std::optional<std::string>& myip,
                                   std::optional<std::string>& myipv6) {
  if (!call.request.userAgent || call.request.userAgent->empty()) {
    return codeLine(dyndns2::kBadagent);
  }
  // A malformed query, or a NUL anywhere in it, is answered as a malformed name.
  if (malformedQuery(call.request)) {
    return codeLine(dyndns2::kNotfqdn);
  }
  std::optional<std::string> hostnames;
  // A field given twice is refused, never settled by order: hostname as a malformed name,
  // myip and myipv6 as an unusable address (below).
  for (const auto& [key, value] : call.request.query) {
    if (key == "hostname") {
      if (hostnames) {
        return codeLine(dyndns2::kNotfqdn);
      }
      hostnames = value;
    } else if (key == "myip" || key == "myipv6") {
      auto& field = key == "myip" ? myip : myipv6;
      out.badAddress = out.badAddress || field.has_value();
      field = value;
    }
    // system, offline, wildcard, mx, backmx and anything else: accepted and ignored.
  }
  if (hostnames) {
    out.hosts = config::splitList(*hostnames);
  }
  if (out.hosts.empty()) {
    return codeLine(dyndns2::kNotfqdn);
  }
  if (static_cast<int>(out.hosts.size()) > call.config.dyndnsMaxHosts) {
    return codeLine(dyndns2::kNumhost);
  }
  return std::nullopt;
}

// myip=v4, myip=v6, myip=v4,v6 (ddclient 4, Fritz!Box), plus myipv6=; neither: the caller.
// Two addresses of one family (myip=192.0.2.1,192.0.2.2, or an IPv4 in both myip and
// myipv6) are unusable, as is a repeated myip/myipv6: which one is meant is unknown.
void readAddresses(const RouteCall& call, std::optional<std::string> myip,
                   std::optional<std::string> myipv6, NicRequest& out) {
  auto take = [&](const std::string& text) {
    for (const auto& item : config::splitList(text)) {
      const auto ip = IpAddress::parse(item);
      if (!ip || !isPublishable(*ip, true)) {
        out.badAddress = true;
        continue;
      }
      auto& slot = ip->isV4() ? out.v4 : out.v6;
      out.badAddress = out.badAddress || slot.has_value();
      slot = ip;
    }
  };
  // An empty myip= (inadyn sends one when its own check failed) counts as absent.
  for (auto* field : {&myip, &myipv6}) {
    if (*field && (*field)->empty()) {
      field->reset();
    } else if (*field) {
      take(**field);
    }
  }
  if (!myip && !myipv6) {
    if (isPublishable(call.client, true)) {
      (call.client.isV4() ? out.v4 : out.v6) = call.client;
    } else {
      out.badAddress = true;  // named by a trusted proxy's header
    }
  }
}

// Stores the addresses in record `name` and returns its answer line.
std::string updateOne(RouteCall& call, const NicRequest& asked, const std::string& name,
                      bool& serverError) {
  if (asked.badAddress || (!asked.v4 && !asked.v6)) {
    return dyndns2::line(dyndns2::kDnserr);
  }
  if (call.nochg.blocked(name, call.now)) {
    if (call.metrics != nullptr) {
      call.metrics->countNochgAbuse();
    }
    return dyndns2::line(dyndns2::kAbuse);
  }
  std::string shown = asked.v4 ? asked.v4->toString() : "";
  if (asked.v6) {
    shown += (shown.empty() ? "" : ",") + asked.v6->toString();
  }
  RecordUpdate u;
  u.ipv4 = asked.v4;
  u.ipv6 = asked.v6;
  u.ttl = call.config.ttlFor(name).count();
  const UpdateResult result = timedUpdate(call, name, u);
  if (result.outcome == SetOutcome::kFailed) {
    serverError = true;
    return dyndns2::line(dyndns2::k911);
  }
  if (result.outcome == SetOutcome::kUnchanged) {
    call.nochg.countNochg(call.config, name, call.now);
    return std::string(dyndns2::kNochg) + " " + shown + "\n";
  }
  notifyChange(call, name, result);
  return std::string(dyndns2::kGood) + " " + shown + "\n";
}

}  // namespace

Response answerNicUpdate(RouteCall& call) {
  NicRequest asked;
  std::optional<std::string> myip;
  std::optional<std::string> myipv6;
  if (auto refusal = readFields(call, asked, myip, myipv6)) {
    return *refusal;
  }
  if (call.quickOnly && asked.hosts.size() != 1) {
    // One host's nochg counted on the I/O thread would count again when a later host sends
    // the request to a writer: several hosts are updated there.
    return toWriter(call);
  }
  readAddresses(call, myip, myipv6, asked);
  const auto owned = namesMayUpdate(call);
  std::string body;
  bool serverError = false;
  // A record named more than once (home.example.org,HOME.example.org) is updated once and
  // counts once towards abuse_nochg_limit; every name given still gets a line, in order:
  // the answer of the record's first mention.
  std::unordered_map<std::string, std::string> answered;
  for (const auto& raw : asked.hosts) {
    const std::string host = lowercase(raw);
    std::string name;
    for (const auto& n : owned) {
      if (n == raw || n == host) {
        name = n;
      }
    }
    if (name.empty()) {
      body += config::isValidHostName(host) ? dyndns2::line(dyndns2::kNohost)
                                            : dyndns2::line(dyndns2::kNotfqdn);
      continue;
    }
    auto it = answered.find(name);
    if (it == answered.end()) {
      it = answered.emplace(name, updateOne(call, asked, name, serverError)).first;
    }
    body += it->second;
  }
  if (serverError) {
    // A 5xx body must not carry "good" (clients would believe it): every host gets 911 and
    // those already stored answer nochg when the client retries.
    std::string all;
    for (size_t i = 0; i < asked.hosts.size(); ++i) {
      all += dyndns2::line(dyndns2::k911);
    }
    return storeFailed(all);
  }
  return plain(200, body);
}

}  // namespace chipmunk::api
