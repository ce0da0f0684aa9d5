// SPDX-License-Identifier: MIT
#include "providers/rfc2136_ldns.hpp"

#include <algorithm>
#include <cstdlib>

#include "common/shared_library.hpp"

namespace chipmunk::providers::rfc2136 {
namespace {

LdnsApi loadLdns() {
  LdnsApi api;
  SharedLibrary library({"libldns.so.3"});
#define CHIPMUNK_LDNS_BIND(name) library.bind(api.name, "ldns_" #name);
  CHIPMUNK_LDNS_FUNCTIONS(CHIPMUNK_LDNS_BIND)
#undef CHIPMUNK_LDNS_BIND
  library.bind(api.rcodes, "ldns_rcodes");
  if (!library.complete()) {
    api.error = "libldns (Debian: libldns3): " + library.error();
    return api;
  }
  api.loaded = true;
  return api;
}

// RFC 2136 2.5.2 "Delete an RRset": class ANY, TTL 0, no rdata. Built field by field (ldns
// does not parse an rdata-less text form).
ldns_rr* deleteRrset(const ldns_rdf* owner, ldns_rr_type type) {
  ldns_rr* remove = ldns().rr_new();
  ldns().rr_set_owner(remove, ldns().rdf_clone(owner));
  ldns().rr_set_type(remove, type);
  ldns().rr_set_class(remove, LDNS_RR_CLASS_ANY);
  ldns().rr_set_ttl(remove, 0);
  return remove;
}

// RFC 2136 2.5.1 "Add to an RRset"; takes `address`.
ldns_rr* addToRrset(const ldns_rdf* owner, ldns_rr_type type, uint32_t ttl, ldns_rdf* address) {
  ldns_rr* add = ldns().rr_new();
  ldns().rr_set_owner(add, ldns().rdf_clone(owner));
  ldns().rr_set_type(add, type);
  ldns().rr_set_class(add, LDNS_RR_CLASS_IN);
  ldns().rr_set_ttl(add, ttl);
  ldns().rr_push_rdf(add, address);
  return add;
}

}  // namespace

const LdnsApi& ldns() {
  static const LdnsApi api = loadLdns();  // once, thread-safe
  return api;
}

// ldns spells hmac-sha384 "hmac-shac384." and has no hmac-sha224, so those two are not
// offered.
std::string ldnsAlgorithm(const std::string& name) {
  if (name == "hmac-md5") {
    return "hmac-md5.sig-alg.reg.int.";
  }
  return name + ".";
}

LdnsPtr<ldns_pkt> buildUpdate(const std::string& fqdn, const std::string& zone, RecordType type,
                              const IpAddress& ip, uint32_t ttl) {
  const ldns_rr_type rrType = type == RecordType::A ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
  LdnsPtr<ldns_rdf> owner(ldns().dname_new_frm_str((fqdn + ".").c_str()));
  ldns_rdf* zoneName = ldns().dname_new_frm_str((zone + ".").c_str());
  ldns_rdf* address = ldns().rdf_new_frm_str(
      type == RecordType::A ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, ip.toString().c_str());
  LdnsPtr<ldns_rr_list> updates(ldns().rr_list_new());
  if (!owner || !zoneName || !address || !updates) {
    ldns().rdf_deep_free(zoneName);
    ldns().rdf_deep_free(address);
    return nullptr;
  }
  ldns().rr_list_push_rr(updates.get(), deleteRrset(owner.get(), rrType));
  ldns().rr_list_push_rr(updates.get(), addToRrset(owner.get(), rrType, ttl, address));
  // Takes the zone name; copies the update list.
  LdnsPtr<ldns_pkt> pkt(
      ldns().update_pkt_new(zoneName, LDNS_RR_CLASS_IN, nullptr, updates.get(), nullptr));
  if (pkt) {
    ldns().pkt_set_rd(pkt.get(), false);  // a Z bit in UPDATE (RFC 2136 2.2)
    ldns().pkt_set_random_id(pkt.get());
  }
  return pkt;
}

ldns_status signUpdate(ldns_pkt* query, const TsigKey& key) {
  // ldns signs with the key it finds on a resolver.
  LdnsPtr<ldns_resolver> signer(ldns().resolver_new());
  if (!signer) {
    return LDNS_STATUS_MEM_ERR;
  }
  ldns().resolver_set_tsig_keyname(signer.get(), (key.name + ".").c_str());
  ldns().resolver_set_tsig_keydata(signer.get(), key.secret.c_str());
  ldns().resolver_set_tsig_algorithm(signer.get(), ldnsAlgorithm(key.algorithm).c_str());
  return ldns().update_pkt_tsig_add(query, signer.get());
}

// Sent here rather than with ldns_send(), which verifies the reply's TSIG itself: ldns 1.8.3
// leaks the record when it verifies one naming an algorithm it does not implement
// (docs/SECURITY.md), so verifyReply() checks the algorithm first.
ldns_status exchange(const ldns_pkt* query, const sockaddr_storage& to, socklen_t toLength,
                     std::chrono::milliseconds timeout, std::string& wire) {
  const LdnsApi& api = ldns();
  std::unique_ptr<ldns_buffer, decltype(api.buffer_free)> out(api.buffer_new(LDNS_MAX_PACKETLEN),
                                                              api.buffer_free);
  if (!out) {
    return LDNS_STATUS_MEM_ERR;
  }
  ldns_status status = api.pkt2buffer_wire(out.get(), query);
  if (status != LDNS_STATUS_OK) {
    return status;
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(
      std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
  uint8_t* reply = nullptr;
  size_t replySize = 0;
  status = api.udp_send(&reply, out.get(), &to, toLength, tv, &replySize);
  if (reply != nullptr) {
    wire.assign(reinterpret_cast<const char*>(reply), replySize);
    ::free(reply);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc()
  }
  return status;
}

bool verifyReply(ldns_pkt* reply, const std::string& wire, const ldns_pkt* query,
                 const TsigKey& key) {
  const LdnsApi& api = ldns();
  const ldns_rr* theirs = api.pkt_tsig(reply);
  const ldns_rr* ours = api.pkt_tsig(query);
  if (theirs == nullptr || ours == nullptr || api.rr_rd_count(theirs) <= 6 ||
      api.rr_rd_count(ours) <= 3) {
    return false;
  }
  // Only our algorithm is ever handed to ldns' verifier (see exchange()).
  if (api.dname_compare(api.rr_rdf(theirs, 0), api.rr_rdf(ours, 0)) != 0) {
    return false;
  }
  return api.pkt_tsig_verify(reply, reinterpret_cast<const uint8_t*>(wire.data()), wire.size(),
                             (key.name + ".").c_str(), key.secret.c_str(), api.rr_rdf(ours, 3));
}

}  // namespace chipmunk::providers::rfc2136
