// SPDX-License-Identifier: MIT
// Authoritative reads of A and AAAA records (see dns_read.hpp).
//   DNS messages, AA and RD bits: https://www.rfc-editor.org/rfc/rfc1035#section-4.1.1
//   ldns API:                     https://nlnetlabs.nl/documentation/ldns/
#include "providers/rfc2136_ldns.hpp"  // first: it includes <stdbool.h> before ldns (see there)

#include "providers/dns_read.hpp"

#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "common/ip.hpp"
#include "common/strings.hpp"

namespace chipmunk::providers::dns {
namespace {

using rfc2136::ldns;
using rfc2136::LdnsPtr;

CurrentRecord failedRead(std::string detail) {
  CurrentRecord out;
  out.status = CurrentRecord::Status::kFailed;
  out.detail = std::move(detail);
  return out;
}

// "host", "host:port", "[v6]:port" or a bare IPv6 literal -> host and port.
void splitServer(const std::string& server, std::string& host, std::string& port) {
  port = "53";
  host = server;
  if (!server.empty() && server[0] == '[') {
    const size_t close = server.find(']');
    host = server.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < server.size() && server[close + 1] == ':') {
      port = server.substr(close + 2);
    }
    return;
  }
  const size_t colon = server.find(':');
  if (colon != std::string::npos && server.find(':', colon + 1) == std::string::npos) {
    host = server.substr(0, colon);
    port = server.substr(colon + 1);
  }
}

// The address in an A or AAAA record's rdata, or "" for anything else.
std::string addressOf(const ldns_rr* rr) {
  if (ldns().rr_rd_count(rr) < 1) {
    return {};
  }
  const ldns_rdf* rdf = ldns().rr_rdf(rr, 0);
  const uint8_t* data = ldns().rdf_data(rdf);
  const size_t size = ldns().rdf_size(rdf);
  if (size == 4) {
    return IpAddress::fromV4({data[0], data[1], data[2], data[3]}).toString();
  }
  if (size == 16) {
    std::array<uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), data, 16);
    return IpAddress::fromV6(bytes).toString();
  }
  return {};
}

// The owner names match (ldns compares case-insensitively).
bool sameName(const ldns_rr* rr, const ldns_rdf* name) {
  return ldns().dname_compare(ldns().rr_owner(rr), name) == 0;
}

CurrentRecord readAnswer(const ldns_pkt* query, const ldns_pkt* reply, const ldns_rdf* owner,
                         ldns_rr_type type, const std::string& what) {
  if (ldns().pkt_id(reply) != ldns().pkt_id(query)) {
    return failedRead(what + ": reply does not match the query id");
  }
  const ldns_pkt_rcode rcode = ldns().pkt_get_rcode(reply);
  if (!ldns().pkt_aa(reply)) {
    return failedRead(what + ": answer is not authoritative (AA not set)");
  }
  CurrentRecord out;
  out.detail = what;
  if (rcode == LDNS_RCODE_NXDOMAIN) {
    out.status = CurrentRecord::Status::kMissing;
    return out;
  }
  if (rcode != LDNS_RCODE_NOERROR) {
    return failedRead(what + ": rcode " + std::to_string(rcode));
  }
  const ldns_rr_list* answer = ldns().pkt_answer(reply);
  const size_t count = answer == nullptr ? 0 : ldns().rr_list_rr_count(answer);
  for (size_t i = 0; i < count && out.addresses.size() < 64; ++i) {
    const ldns_rr* rr = ldns().rr_list_rr(answer, i);
    if (ldns().rr_get_type(rr) == type && sameName(rr, owner)) {
      const std::string address = addressOf(rr);
      if (!address.empty()) {
        out.addresses.push_back(address);
      }
    }
  }
  out.status =
      out.addresses.empty() ? CurrentRecord::Status::kMissing : CurrentRecord::Status::kFound;
  return out;
}

}  // namespace

bool resolveServer(const std::string& host, const std::string& port, sockaddr_storage& to,
                   socklen_t& toLength, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    error = "cannot resolve server " + host + ": " + gai_strerror(rc);
    return false;
  }
  std::memcpy(&to, found->ai_addr, found->ai_addrlen);
  toLength = found->ai_addrlen;
  freeaddrinfo(found);
  return true;
}

CurrentRecord askAuthoritative(const std::string& server, const Record& record,
                               std::chrono::milliseconds timeout) {
  const std::string what =
      "authoritative " + server + " " + lowercase(record.fqdn()) + " " + toString(record.type);
  if (!ldns().loaded) {
    return failedRead(what + ": needs " + ldns().error);
  }
  std::string error;
  sockaddr_storage to{};
  socklen_t toLength = 0;
  std::string host;
  std::string port;
  splitServer(server, host, port);
  if (!resolveServer(host, port, to, toLength, error)) {
    return failedRead(what + ": " + error);
  }
  const ldns_rr_type type = record.type == RecordType::A ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
  LdnsPtr<ldns_rdf> owner(ldns().dname_new_frm_str((lowercase(record.fqdn()) + ".").c_str()));
  ldns_rdf* questionName = owner ? ldns().rdf_clone(owner.get()) : nullptr;
  // Takes the question name; flags 0: recursion not desired, the server answers from its
  // own zone data or not at all.
  LdnsPtr<ldns_pkt> query(questionName == nullptr
                              ? nullptr
                              : ldns().pkt_query_new(questionName, type, LDNS_RR_CLASS_IN, 0));
  if (!query) {
    return failedRead(what + ": cannot build the query");
  }
  ldns().pkt_set_random_id(query.get());
  std::string wire;
  std::string sendError;
  if (!rfc2136::exchange(query.get(), to, toLength, timeout, wire, sendError)) {
    return failedRead(what + ": no reply: " + sendError);
  }
  ldns_pkt* replyRaw = nullptr;
  const ldns_status parsed =
      ldns().wire2pkt(&replyRaw, reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
  LdnsPtr<ldns_pkt> reply(replyRaw);
  if (parsed != LDNS_STATUS_OK || !reply) {
    return failedRead(what + ": unreadable reply");
  }
  return readAnswer(query.get(), reply.get(), owner.get(), type, what);
}

std::vector<std::string> nameServers(const std::string& zone, std::string& error) {
  std::vector<std::string> out;
  if (!ldns().loaded) {
    error = "authoritative reads need " + ldns().error;
    return out;
  }
  std::vector<unsigned char> answer(4096);
  const int size =
      res_query(zone.c_str(), ns_c_in, ns_t_ns, answer.data(), static_cast<int>(answer.size()));
  if (size <= 0) {
    error = "no NS records found for zone " + zone;
    return out;
  }
  ldns_pkt* raw = nullptr;
  // res_query returns the answer's full length even when it was cut to the buffer.
  const size_t length = std::min(static_cast<size_t>(size), answer.size());
  if (ldns().wire2pkt(&raw, answer.data(), length) != LDNS_STATUS_OK) {
    error = "unreadable NS answer for zone " + zone;
    return out;
  }
  LdnsPtr<ldns_pkt> reply(raw);
  const ldns_rr_list* rrs = ldns().pkt_answer(reply.get());
  const size_t count = rrs == nullptr ? 0 : ldns().rr_list_rr_count(rrs);
  for (size_t i = 0; i < count && out.size() < kMaxNameServers; ++i) {
    const ldns_rr* rr = ldns().rr_list_rr(rrs, i);
    if (ldns().rr_get_type(rr) != LDNS_RR_TYPE_NS || ldns().rr_rd_count(rr) < 1) {
      continue;
    }
    char* text = ldns().rdf2str(ldns().rr_rdf(rr, 0));
    if (text != nullptr) {
      std::string name(text);
      ::free(text);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc()
      while (!name.empty() && name.back() == '.') {
        name.pop_back();
      }
      out.push_back(name);
    }
  }
  if (out.empty()) {
    error = "no NS records found for zone " + zone;
  }
  return out;
}

CurrentRecord readAuthoritative(const std::vector<std::string>& servers, const Record& record,
                                std::chrono::milliseconds timeout) {
  std::string error;
  const std::vector<std::string> asked =
      servers.empty() ? nameServers(lowercase(record.domain), error) : servers;
  CurrentRecord last = failedRead(error);
  for (size_t i = 0; i < asked.size() && i < kMaxNameServers; ++i) {
    last = askAuthoritative(asked[i], record, timeout);
    if (last.status != CurrentRecord::Status::kFailed) {
      return last;
    }
  }
  return last;
}

}  // namespace chipmunk::providers::dns
