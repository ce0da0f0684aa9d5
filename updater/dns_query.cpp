// SPDX-License-Identifier: MIT
#include "updater/dns_query.hpp"

// <stdbool.h> first: see providers/rfc2136_ldns.hpp.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/ip.hpp"
#include "providers/rfc2136_ldns.hpp"

namespace chipmunk::updater {
namespace {

// libldns through the one loader the rfc2136 provider and the authoritative reads use.
using Api = providers::rfc2136::LdnsApi;
const Api& api() {
  return providers::rfc2136::ldns();
}

struct PktFree {
  void operator()(ldns_pkt* p) const { api().pkt_free(p); }
};
using Pkt = std::unique_ptr<ldns_pkt, PktFree>;

// "1.2.3.4", "::1", "127.0.0.1:5353" or "[::1]:5353" into a socket address (port 53 unless
// given); false when it is none of these.
bool serverAddress(const std::string& text, sockaddr_storage& out, socklen_t& length) {
  std::string host = text;
  int port = 53;
  const auto close = text.find(']');
  if (!text.empty() && text[0] == '[' && close != std::string::npos) {
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      port = text[close + 1] == ':' ? std::atoi(text.c_str() + close + 2) : 0;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port = std::atoi(text.c_str() + text.find(':') + 1);
  }
  if (port <= 0 || port > 65535) {
    return false;
  }
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in);
    return true;
  }
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// Over TCP (a truncated UDP reply's retry) with ldns: true with the reply in `wire`.
bool tcpExchange(const ldns_pkt* query, const sockaddr_storage& to, socklen_t length,
                 std::chrono::milliseconds timeout, std::string& wire, std::string& error) {
  const Api& a = api();
  const providers::rfc2136::LdnsPtr<ldns_buffer> out = providers::rfc2136::wireOf(query);
  if (!out) {
    error = "cannot build the DNS question";
    return false;
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  uint8_t* reply = nullptr;
  size_t size = 0;
  const ldns_status status = a.tcp_send(&reply, out.get(), &to, length, tv, &size);
  const std::unique_ptr<uint8_t, decltype(&::free)> owned(reply, &::free);
  if (status != LDNS_STATUS_OK || reply == nullptr) {
    error = "TCP: no reply";
    return false;
  }
  wire.assign(reinterpret_cast<const char*>(reply), size);
  return true;
}

// Sends `query` over UDP (a connected socket: rfc2136::exchange) or TCP; the parsed reply,
// or null with `error` set.
Pkt exchange(const ldns_pkt* query, bool tcp, const sockaddr_storage& to, socklen_t length,
             std::chrono::milliseconds timeout, std::string& error) {
  std::string wire;
  if (tcp ? !tcpExchange(query, to, length, timeout, wire, error)
          : !providers::rfc2136::exchange(query, to, length, timeout, wire, error)) {
    return nullptr;
  }
  ldns_pkt* reply = nullptr;
  if (api().wire2pkt(&reply, reinterpret_cast<const uint8_t*>(wire.data()), wire.size()) !=
          LDNS_STATUS_OK ||
      reply == nullptr) {
    error = "malformed DNS reply";
    return nullptr;
  }
  return Pkt(reply);
}

bool matches(const ldns_pkt* reply, const ldns_pkt* query, std::string& error) {
  const Api& a = api();
  const ldns_rr_list* theirs = a.pkt_question(reply);
  const ldns_rr* q = a.rr_list_rr(a.pkt_question(query), 0);
  if (a.pkt_id(reply) != a.pkt_id(query) || !a.pkt_qr(reply)) {
    error = "DNS reply with a wrong ID";
    return false;
  }
  if (theirs == nullptr || a.rr_list_rr_count(theirs) != 1 ||
      a.dname_compare(a.rr_owner(a.rr_list_rr(theirs, 0)), a.rr_owner(q)) != 0 ||
      a.rr_get_type(a.rr_list_rr(theirs, 0)) != a.rr_get_type(q) ||
      a.rr_get_class(a.rr_list_rr(theirs, 0)) != a.rr_get_class(q)) {
    error = "DNS reply to another question";
    return false;
  }
  if (a.pkt_get_rcode(reply) != LDNS_RCODE_NOERROR) {
    error = "DNS rcode " + std::to_string(static_cast<int>(a.pkt_get_rcode(reply)));
    return false;
  }
  return true;
}

// The text of one answer record: an address for A/AAAA, the joined strings of a TXT.
std::string recordText(const ldns_rr* rr) {
  const Api& a = api();
  std::string text;
  for (size_t i = 0; i < a.rr_rd_count(rr); ++i) {
    const ldns_rdf* rdf = a.rr_rdf(rr, i);
    const auto* data = a.rdf_data(rdf);
    const size_t size = a.rdf_size(rdf);
    if (a.rr_get_type(rr) == LDNS_RR_TYPE_A && size == 4) {
      std::array<uint8_t, 4> b{};
      std::memcpy(b.data(), data, 4);
      return IpAddress::fromV4(b).toString();
    }
    if (a.rr_get_type(rr) == LDNS_RR_TYPE_AAAA && size == 16) {
      std::array<uint8_t, 16> b{};
      std::memcpy(b.data(), data, 16);
      return IpAddress::fromV6(b).toString();
    }
    if (a.rr_get_type(rr) == LDNS_RR_TYPE_TXT && size >= 1 && data[0] + 1U <= size) {
      text.append(reinterpret_cast<const char*>(data) + 1, data[0]);  // <length><bytes>
    }
  }
  return text;
}

}  // namespace

std::optional<std::vector<std::string>> askDns(const DnsQuestion& question,
                                               std::chrono::milliseconds timeout,
                                               std::string& error) {
  const Api& a = api();
  if (!a.loaded) {
    error = "DNS sources need " + a.error;
    return std::nullopt;
  }
  sockaddr_storage to{};
  socklen_t length = 0;
  if (!serverAddress(question.server, to, length)) {
    error = "bad DNS server address \"" + question.server.substr(0, 60) + "\"";
    return std::nullopt;
  }
  const ldns_rr_type type = question.qtype == "TXT"    ? LDNS_RR_TYPE_TXT
                            : question.qtype == "AAAA" ? LDNS_RR_TYPE_AAAA
                                                       : LDNS_RR_TYPE_A;
  const ldns_rr_class klass = question.qclass == "CH" ? LDNS_RR_CLASS_CH : LDNS_RR_CLASS_IN;
  ldns_rdf* name = a.dname_new_frm_str((question.qname + ".").c_str());
  Pkt query(name == nullptr ? nullptr : a.pkt_query_new(name, type, klass, 0));  // takes name
  if (!query) {
    error = "cannot build the DNS question";
    return std::nullopt;
  }
  // A random ID from the kernel: ldns' own (pkt_set_random_id) goes through OpenSSL's RAND,
  // whose start-up made about 3 MB of libcrypto resident (docs/BENCHMARKS.md).
  uint16_t id = 0;
  if (::getrandom(&id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) {
    error = "no random DNS ID";
    return std::nullopt;
  }
  a.pkt_set_id(query.get(), id);
  Pkt reply = exchange(query.get(), false, to, length, timeout, error);
  if (reply && a.pkt_tc(reply.get()) && matches(reply.get(), query.get(), error)) {
    reply = exchange(query.get(), true, to, length, timeout, error);  // truncated: ask over TCP
  }
  if (!reply || !matches(reply.get(), query.get(), error)) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  const ldns_rr_list* answer = a.pkt_answer(reply.get());
  const ldns_rr* q = a.rr_list_rr(a.pkt_question(query.get()), 0);
  for (size_t i = 0; answer != nullptr && i < a.rr_list_rr_count(answer) && i < 16; ++i) {
    const ldns_rr* rr = a.rr_list_rr(answer, i);
    if (a.rr_get_type(rr) == type && a.rr_get_class(rr) == klass &&
        a.dname_compare(a.rr_owner(rr), a.rr_owner(q)) == 0) {
      out.push_back(recordText(rr));
    }
  }
  if (out.empty()) {
    error = "no " + question.qtype + " record in the DNS reply";
    return std::nullopt;
  }
  return out;
}

}  // namespace chipmunk::updater
