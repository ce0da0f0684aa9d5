// SPDX-License-Identifier: MIT
#include "providers/rfc2136_ldns.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "common/shared_library.hpp"

namespace chipmunk::providers::rfc2136 {
namespace {

constexpr size_t kDnsHeaderBytes = 12;  // RFC 1035 4.1.1

struct Socket {
  int fd;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

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

LdnsPtr<ldns_buffer> wireOf(const ldns_pkt* query) {
  LdnsPtr<ldns_buffer> out(ldns().buffer_new(LDNS_MAX_PACKETLEN));
  if (!out || ldns().pkt2buffer_wire(out.get(), query) != LDNS_STATUS_OK ||
      ldns_buffer_position(out.get()) < kDnsHeaderBytes) {
    return nullptr;
  }
  return out;
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
// (docs/SECURITY.md), so verifyReply() checks the algorithm first. Nor with ldns_udp_send():
// its socket is not connected, so any sender's datagram is read as the reply and a closed
// port costs the whole timeout.
bool exchange(const ldns_pkt* query, const sockaddr_storage& to, socklen_t toLength,
              std::chrono::milliseconds timeout, std::string& wire, std::string& error) {
  wire.clear();
  const LdnsPtr<ldns_buffer> out = wireOf(query);
  if (!out) {
    error = "cannot build the DNS message";
    return false;
  }
  const uint8_t* question = ldns_buffer_begin(out.get());
  const size_t questionSize = ldns_buffer_position(out.get());
  const Socket udp{::socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  const int fd = udp.fd;
  if (fd < 0) {
    error = std::string("UDP socket: ") + std::strerror(errno);
    return false;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), toLength) != 0 ||
      ::send(fd, question, questionSize, MSG_NOSIGNAL) != static_cast<ssize_t>(questionSize)) {
    error = std::string("UDP: ") + std::strerror(errno);
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string datagram(LDNS_MAX_PACKETLEN, '\0');
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      error = "UDP: no reply within " + std::to_string(timeout.count()) + " ms";
      return false;
    }
    pollfd ready{fd, POLLIN, 0};
    const int polled =
        ::poll(&ready, 1, static_cast<int>(std::min<int64_t>(left.count(), INT32_MAX)));
    if (polled < 0 && errno != EINTR) {
      error = std::string("UDP: poll: ") + std::strerror(errno);
      return false;
    }
    if (polled <= 0) {
      continue;  // timed out (the deadline above ends it) or interrupted
    }
    const ssize_t got = ::recv(fd, datagram.data(), datagram.size(), 0);
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      error = errno == ECONNREFUSED ? std::string("UDP: port unreachable (nothing listens there)")
                                    : std::string("UDP: ") + std::strerror(errno);
      return false;
    }
    // The ID (bytes 0-1) and QR (the top bit of byte 2) of a response to this query.
    const auto* reply = reinterpret_cast<const uint8_t*>(datagram.data());
    if (static_cast<size_t>(got) >= kDnsHeaderBytes && reply[0] == question[0] &&
        reply[1] == question[1] && (reply[2] & 0x80U) != 0) {
      wire.assign(datagram.data(), static_cast<size_t>(got));
      return true;
    }
  }
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
