// SPDX-License-Identifier: MIT
#pragma once

// The DNS messages of the rfc2136 provider, built, TSIG-signed, sent and verified with ldns
// (Debian's libldns-dev), so that no hand-written DNS encoder lives here. libldns is opened
// with dlopen() when the first rfc2136 provider is built, not linked: it brings libssl and
// libcrypto with it (~1.9 MB resident), which every updater and API would otherwise carry
// whether or not an RFC 2136 record is configured (docs/BENCHMARKS.md).

// <stdbool.h> first: without __bool_true_false_are_defined, ldns/common.h defines the macros
// true, false and bool, which break every C++ header included after it (fmt's, for one).
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <ldns/ldns.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/ip.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers::rfc2136 {

// Every ldns function the provider, the authoritative reads (dns_read.hpp) and the
// updater's DNS discovery sources (updater/dns_query.cpp) call, without its "ldns_" prefix:
// clang-format off
#define CHIPMUNK_LDNS_FUNCTIONS(X) \
  X(buffer_free) X(buffer_new) X(dname_compare) X(dname_new_frm_str) X(get_errorstr_by_id) \
  X(lookup_by_id) X(pkt2buffer_wire) X(pkt_free) X(pkt_get_rcode) X(pkt_id) \
  X(pkt_set_random_id) X(pkt_set_rd) X(pkt_tsig) X(pkt_tsig_verify) X(rdf2native_int16) \
  X(rdf_clone) X(rdf_deep_free) X(rdf_new_frm_str) \
  X(resolver_deep_free) X(resolver_new) X(resolver_set_tsig_algorithm) \
  X(resolver_set_tsig_keydata) X(resolver_set_tsig_keyname) X(rr_list_deep_free) X(rr_list_new) \
  X(rr_list_push_rr) X(rr_new) X(rr_push_rdf) X(rr_rd_count) X(rr_rdf) X(rr_set_class) \
  X(rr_set_owner) X(rr_set_ttl) X(rr_set_type) X(update_pkt_new) \
  X(update_pkt_tsig_add) X(wire2pkt) \
  X(pkt_query_new) X(pkt_aa) X(pkt_answer) X(rr_list_rr_count) X(rr_list_rr) X(rr_get_type) \
  X(rr_owner) X(rdf_data) X(rdf_size) X(rdf2str) \
  X(pkt_qr) X(pkt_question) X(pkt_set_id) X(pkt_tc) X(rr_get_class) X(tcp_send)
// clang-format on

struct LdnsApi {
  bool loaded = false;
  std::string error;  // why not, for the provider's settings error
#define CHIPMUNK_LDNS_MEMBER(name) decltype(&::ldns_##name) name = nullptr;
  CHIPMUNK_LDNS_FUNCTIONS(CHIPMUNK_LDNS_MEMBER)
#undef CHIPMUNK_LDNS_MEMBER
  ldns_lookup_table* rcodes = nullptr;
};

// libldns, loaded on the first call (thread-safe); `error` says why not, for its caller to
// prefix ("rfc2136 needs ...", "DNS sources need ...").
const LdnsApi& ldns();

struct LdnsDeleter {
  void operator()(ldns_resolver* r) const { ldns().resolver_deep_free(r); }
  void operator()(ldns_pkt* p) const { ldns().pkt_free(p); }
  void operator()(ldns_rr_list* l) const { ldns().rr_list_deep_free(l); }
  void operator()(ldns_rdf* d) const { ldns().rdf_deep_free(d); }
  void operator()(ldns_buffer* b) const { ldns().buffer_free(b); }
};
template <typename T>
using LdnsPtr = std::unique_ptr<T, LdnsDeleter>;

// A TSIG key as the server's key statement names it (tsig-keygen NAME).
struct TsigKey {
  std::string name;       // without the trailing dot; empty: unsigned updates
  std::string secret;     // base64
  std::string algorithm;  // "hmac-sha256"
};

// ldns' name for a TSIG algorithm (tsig.c: ldns_digest_function): "hmac-sha256." and the
// long form of hmac-md5.
std::string ldnsAlgorithm(const std::string& name);

// One UPDATE message for `zone`: "delete the name's A (or AAAA) RRset", then "add name TTL
// A address" (RFC 2136 2.5.2 and 2.5.1), applied atomically by the server. Null when ldns
// cannot build it.
LdnsPtr<ldns_pkt> buildUpdate(const std::string& fqdn, const std::string& zone, RecordType type,
                              const IpAddress& ip, uint32_t ttl);

// `query` in wire format (at least a DNS header), or null when ldns cannot encode it.
LdnsPtr<ldns_buffer> wireOf(const ldns_pkt* query);

// Adds the TSIG record of `key` to `query`.
ldns_status signUpdate(ldns_pkt* query, const TsigKey& key);

// One UDP exchange (RFC 2136 section 7.3: an UPDATE goes to the primary over UDP; replies
// are small; the discovery's DNS questions too): true with the raw reply in `wire`, which the
// TSIG check needs; false with `error` set. The socket is connected to `to`: the kernel hands
// it only datagrams from that address and port, and a closed port's ICMP "port unreachable"
// ends the wait at once instead of after `timeout`. A datagram that is not a response with
// the query's ID is dropped and the wait goes on, until `timeout` in all.
bool exchange(const ldns_pkt* query, const sockaddr_storage& to, socklen_t toLength,
              std::chrono::milliseconds timeout, std::string& wire, std::string& error);

// True when `reply` carries a TSIG made with `key` and its algorithm over this exchange.
bool verifyReply(ldns_pkt* reply, const std::string& wire, const ldns_pkt* query,
                 const TsigKey& key);

}  // namespace chipmunk::providers::rfc2136
