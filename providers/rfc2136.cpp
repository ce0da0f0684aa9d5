// SPDX-License-Identifier: MIT
// RFC 2136 dynamic DNS UPDATE, signed with TSIG, sent straight to the zone's primary server
// (BIND, Knot, PowerDNS, NSD-fed setups...).
//   Dynamic update:  https://www.rfc-editor.org/rfc/rfc2136
//   TSIG:            https://www.rfc-editor.org/rfc/rfc8945
//   HMAC-SHA2 TSIG:  https://www.rfc-editor.org/rfc/rfc4635
//   ldns API:        https://nlnetlabs.nl/documentation/ldns/
// One UPDATE message per record: "delete the name's A (or AAAA) RRset" then "add name TTL
// A address", applied atomically by the server. The reply's rcode is classified and its TSIG
// is verified before a NOERROR is believed.
//
// DNS wire format and TSIG come from ldns (Debian's libldns-dev, loaded with dlopen() below):
// it builds, signs and verifies the messages, so this file holds no hand-written DNS encoder.
// <stdbool.h> first: without __bool_true_false_are_defined, ldns/common.h defines the macros
// true, false and bool, which break every C++ header included after it (fmt's, for one).
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <dlfcn.h>
#include <ldns/ldns.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "common/base64.hpp"
#include "common/logging.hpp"
#include "common/strings.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers {
namespace {

// ---- libldns, loaded on demand ----
// libldns is opened with dlopen() when the first rfc2136 provider is built, not linked: it
// brings libssl and libcrypto with it (~1.9 MB resident), which every updater and API would
// otherwise carry whether or not an RFC 2136 record is configured (docs/BENCHMARKS.md).
// Every ldns function this file calls, without its "ldns_" prefix:
// clang-format off
#define CHIPMUNK_LDNS_FUNCTIONS(X) \
  X(buffer_free) X(buffer_new) X(dname_compare) X(dname_new_frm_str) X(get_errorstr_by_id) \
  X(lookup_by_id) X(pkt2buffer_wire) X(pkt_free) X(pkt_get_rcode) X(pkt_id) \
  X(pkt_set_random_id) X(pkt_set_rd) X(pkt_tsig) X(pkt_tsig_verify) X(rdf2native_int16) \
  X(rdf_clone) X(rdf_deep_free) X(rdf_new_frm_str) \
  X(resolver_deep_free) X(resolver_new) X(resolver_set_tsig_algorithm) \
  X(resolver_set_tsig_keydata) X(resolver_set_tsig_keyname) X(rr_list_deep_free) X(rr_list_new) \
  X(rr_list_push_rr) X(rr_new) X(rr_push_rdf) X(rr_rd_count) X(rr_rdf) X(rr_set_class) \
  X(rr_set_owner) X(rr_set_ttl) X(rr_set_type) X(udp_send) X(update_pkt_new) \
  X(update_pkt_tsig_add) X(wire2pkt)
// clang-format on

struct LdnsApi {
  bool loaded = false;
  std::string error;
#define CHIPMUNK_LDNS_MEMBER(name) decltype(&::ldns_##name) name = nullptr;
  CHIPMUNK_LDNS_FUNCTIONS(CHIPMUNK_LDNS_MEMBER)
#undef CHIPMUNK_LDNS_MEMBER
  ldns_lookup_table* rcodes = nullptr;
};

const LdnsApi& ldns() {
  static LdnsApi api;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = ::dlopen("libldns.so.3", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* e = ::dlerror();
      api.error = std::string("rfc2136 needs libldns (Debian: libldns3): ") +
                  (e != nullptr ? e : "cannot load");
      return;
    }
    std::string missing;
    // POSIX guarantees that a data pointer from dlsym converts to a function pointer.
    auto bind = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      if (fn == nullptr && missing.empty()) {
        missing = name;
      }
    };
#define CHIPMUNK_LDNS_BIND(name) bind(api.name, "ldns_" #name);
    CHIPMUNK_LDNS_FUNCTIONS(CHIPMUNK_LDNS_BIND)
#undef CHIPMUNK_LDNS_BIND
    bind(api.rcodes, "ldns_rcodes");
    if (!missing.empty()) {
      api.error = "rfc2136: libldns.so.3 has no " + missing;
      return;
    }
    api.loaded = true;
  });
  return api;
}
#undef CHIPMUNK_LDNS_FUNCTIONS

constexpr const char* kDefaultAlgorithm = "hmac-sha256";

// TSIG error codes (RFC 8945 section 5.3.2) carried in the reply's TSIG record.
const char* tsigErrorName(int code) {
  switch (code) {
    case 16:
      return "BADSIG";
    case 17:
      return "BADKEY";
    case 18:
      return "BADTIME";
    case 22:
      return "BADTRUNC";
    default:
      return "TSIG error";
  }
}

// ldns' names for the algorithms it implements (tsig.c: ldns_digest_function). It spells
// hmac-sha384 "hmac-shac384." and has no hmac-sha224, so those two are not offered.
std::string ldnsAlgorithm(const std::string& name) {
  if (name == "hmac-md5") {
    return "hmac-md5.sig-alg.reg.int.";
  }
  return name + ".";
}

struct LdnsDeleter {
  void operator()(ldns_resolver* r) const { ldns().resolver_deep_free(r); }
  void operator()(ldns_pkt* p) const { ldns().pkt_free(p); }
  void operator()(ldns_rr_list* l) const { ldns().rr_list_deep_free(l); }
  void operator()(ldns_rdf* d) const { ldns().rdf_deep_free(d); }
};
template <typename T>
using LdnsPtr = std::unique_ptr<T, LdnsDeleter>;

std::string withoutDot(std::string name) {
  while (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  return lowercase(name);
}

class Rfc2136Provider final : public DnsProvider {
 public:
  explicit Rfc2136Provider(const ProviderContext& context)
      : section_(context.section),
        server_(context.get("server")),
        zone_(withoutDot(context.get("zone"))),
        keyName_(withoutDot(context.get("key_name"))),
        keySecret_(context.get("key_secret")),
        algorithm_(lowercase(context.get("key_algorithm"))),
        timeout_(context.http.timeout) {
    const std::string where = "[" + section_ + "] ";
    if (server_.empty()) {
      throw std::invalid_argument(where + "server is required");
    }
    long long port = 53;
    try {
      port = context.get("port").empty() ? 53 : std::stoll(context.get("port"));
    } catch (const std::exception&) {
      port = 0;
    }
    if (port < 1 || port > 65535) {
      throw std::invalid_argument(where + "port must be 1-65535");
    }
    port_ = static_cast<uint16_t>(port);
    long long ttl = 0;
    if (!config::parseSeconds(context.get("ttl").empty() ? "300" : context.get("ttl"), ttl) ||
        ttl < 0 || ttl > 0x7fffffff) {
      throw std::invalid_argument(where + "ttl is not a number of seconds");
    }
    ttl_ = static_cast<uint32_t>(ttl);
    if (algorithm_.empty()) {
      algorithm_ = kDefaultAlgorithm;
    }
    if (keyName_.empty() != keySecret_.empty()) {
      throw std::invalid_argument(where + "set both key_name and key_secret (or neither)");
    }
    if (!keySecret_.empty() && !base64Decode(keySecret_)) {
      // The secret itself is never echoed.
      throw std::invalid_argument(where + "key_secret is not base64 (as tsig-keygen prints it)");
    }
    if (!ldns().loaded) {
      throw std::invalid_argument(where + ldns().error);
    }
    if (keyName_.empty()) {
      log()->warn("no TSIG key: updates are unsigned section={}", section_);
    }
    for (const auto& record : context.records) {
      const std::string zone = zoneOf(record);
      const std::string fqdn = lowercase(record.fqdn());
      if (fqdn != zone &&
          (fqdn.size() <= zone.size() ||
           fqdn.compare(fqdn.size() - zone.size() - 1, std::string::npos, "." + zone) != 0)) {
        log()->warn("record is outside the zone; the server will refuse it record={} zone={}", fqdn,
                    zone);
      }
    }
  }

  // DnsProvider
  UpdateResult prepare() override { return outcome(UpdateStatus::Unchanged, "nothing to look up"); }

  UpdateResult update(const Record& record, const IpAddress& ip) override {
    const std::string fqdn = lowercase(record.fqdn());
    const std::string zone = zoneOf(record);
    const std::string what = "UPDATE " + fqdn + " " + toString(record.type) + " in zone " + zone;
    if ((record.type == RecordType::A) != ip.isV4()) {
      return outcome(UpdateStatus::Failed, what + ": address family does not match the type");
    }

    std::string error;
    sockaddr_storage to{};
    socklen_t toLength = 0;
    if (!resolveServer(to, toLength, error)) {
      return outcome(UpdateStatus::RetryLater, what + ": " + error);
    }
    LdnsPtr<ldns_pkt> query(buildUpdate(fqdn, zone, record.type, ip));
    if (!query) {
      return outcome(UpdateStatus::Failed, what + ": cannot build the UPDATE message");
    }
    if (!keyName_.empty()) {
      // ldns signs with the key it finds on a resolver.
      LdnsPtr<ldns_resolver> signer(ldns().resolver_new());
      if (!signer) {
        return outcome(UpdateStatus::Failed, what + ": out of memory");
      }
      ldns().resolver_set_tsig_keyname(signer.get(), (keyName_ + ".").c_str());
      ldns().resolver_set_tsig_keydata(signer.get(), keySecret_.c_str());
      ldns().resolver_set_tsig_algorithm(signer.get(), ldnsAlgorithm(algorithm_).c_str());
      const ldns_status s = ldns().update_pkt_tsig_add(query.get(), signer.get());
      if (s != LDNS_STATUS_OK) {
        return outcome(UpdateStatus::Failed,
                       what + ": cannot sign with TSIG: " + ldns().get_errorstr_by_id(s));
      }
    }

    std::string wire;
    const ldns_status sent = exchange(query.get(), to, toLength, wire);
    const std::string server = server_ + ":" + std::to_string(port_);
    if (wire.empty()) {
      return outcome(UpdateStatus::RetryLater,
                     what + ": no reply from " + server + ": " + ldns().get_errorstr_by_id(sent));
    }
    ldns_pkt* replyRaw = nullptr;
    const ldns_status parsed =
        ldns().wire2pkt(&replyRaw, reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
    LdnsPtr<ldns_pkt> reply(replyRaw);
    if (parsed != LDNS_STATUS_OK || !reply) {
      return outcome(UpdateStatus::RetryLater, what + ": unreadable reply from " + server + ": " +
                                                   ldns().get_errorstr_by_id(parsed));
    }
    const bool verified = !keyName_.empty() && verifyReply(reply.get(), wire, query.get());
    return classify(what, verified, query.get(), reply.get());
  }

 private:
  static std::shared_ptr<spdlog::logger> log() { return logging::get("provider.rfc2136"); }

  std::string zoneOf(const Record& record) const {
    return zone_.empty() ? withoutDot(record.domain) : zone_;
  }

  // The server's socket address: a literal, or the first address the name resolves to.
  bool resolveServer(sockaddr_storage& to, socklen_t& toLength, std::string& error) const {
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(server_.c_str(), std::to_string(port_).c_str(), &hints, &found);
    if (rc != 0 || found == nullptr) {
      error = "cannot resolve server " + server_ + ": " + gai_strerror(rc);
      return false;
    }
    std::memcpy(&to, found->ai_addr, found->ai_addrlen);
    toLength = found->ai_addrlen;
    freeaddrinfo(found);
    return true;
  }

  // One UDP exchange (RFC 2136 section 7.3: an UPDATE goes to the primary over UDP; replies
  // are small); the raw reply lands in `wire`, which the TSIG check needs. Sent here rather
  // than with ldns_send(), which verifies the reply's TSIG itself: ldns 1.8.3 leaks the record
  // when it verifies one naming an algorithm it does not implement (docs/SECURITY.md), so
  // verifyReply() checks the algorithm first.
  ldns_status exchange(const ldns_pkt* query, const sockaddr_storage& to, socklen_t toLength,
                       std::string& wire) const {
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
        std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(timeout_).count()));
    uint8_t* reply = nullptr;
    size_t replySize = 0;
    status = api.udp_send(&reply, out.get(), &to, toLength, tv, &replySize);
    if (reply != nullptr) {
      wire.assign(reinterpret_cast<const char*>(reply), replySize);
      ::free(reply);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc()
    }
    return status;
  }

  // True when the reply carries a TSIG made with our key and algorithm over this exchange.
  bool verifyReply(ldns_pkt* reply, const std::string& wire, const ldns_pkt* query) const {
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
                               (keyName_ + ".").c_str(), keySecret_.c_str(), api.rr_rdf(ours, 3));
  }

  ldns_pkt* buildUpdate(const std::string& fqdn, const std::string& zone, RecordType type,
                        const IpAddress& ip) const {
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
    // RFC 2136 2.5.2 "Delete an RRset": class ANY, TTL 0, no rdata. Built field by field
    // (ldns does not parse an rdata-less text form).
    ldns_rr* remove = ldns().rr_new();
    ldns().rr_set_owner(remove, ldns().rdf_clone(owner.get()));
    ldns().rr_set_type(remove, rrType);
    ldns().rr_set_class(remove, LDNS_RR_CLASS_ANY);
    ldns().rr_set_ttl(remove, 0);
    ldns().rr_list_push_rr(updates.get(), remove);
    // RFC 2136 2.5.1 "Add to an RRset".
    ldns_rr* add = ldns().rr_new();
    ldns().rr_set_owner(add, ldns().rdf_clone(owner.get()));
    ldns().rr_set_type(add, rrType);
    ldns().rr_set_class(add, LDNS_RR_CLASS_IN);
    ldns().rr_set_ttl(add, ttl_);
    ldns().rr_push_rdf(add, address);
    ldns().rr_list_push_rr(updates.get(), add);

    // Takes the zone name; copies the update list.
    ldns_pkt* pkt =
        ldns().update_pkt_new(zoneName, LDNS_RR_CLASS_IN, nullptr, updates.get(), nullptr);
    if (pkt == nullptr) {
      return nullptr;
    }
    ldns().pkt_set_rd(pkt, false);  // a Z bit in UPDATE (RFC 2136 2.2)
    ldns().pkt_set_random_id(pkt);
    return pkt;
  }

  UpdateResult classify(const std::string& what, bool verified, const ldns_pkt* query,
                        const ldns_pkt* reply) const {
    const ldns_pkt_rcode rcode = ldns().pkt_get_rcode(reply);
    const ldns_lookup_table* rcodeName = ldns().lookup_by_id(ldns().rcodes, rcode);
    const std::string rcodeText = rcodeName != nullptr ? rcodeName->name : std::to_string(rcode);
    int tsigError = 0;
    if (const ldns_rr* tsig = ldns().pkt_tsig(reply);
        tsig != nullptr && ldns().rr_rd_count(tsig) > 5) {
      tsigError = ldns().rdf2native_int16(ldns().rr_rdf(tsig, 5));
    }
    if (tsigError != 0) {
      // The server could not authenticate us: wrong secret (BADSIG), unknown key name or
      // algorithm (BADKEY), clock skew (BADTIME). Retrying cannot fix the first two.
      const std::string detail = what + ": server rejected the TSIG key \"" + keyName_ + "\" (" +
                                 rcodeText + ", " + tsigErrorName(tsigError) + ")";
      return outcome(tsigError == 18 ? UpdateStatus::Failed : UpdateStatus::AuthFailed,
                     tsigError == 18 ? detail + "; check this machine's clock" : detail);
    }
    if (ldns().pkt_id(reply) != ldns().pkt_id(query)) {
      return outcome(UpdateStatus::RetryLater, what + ": reply does not match the query id");
    }
    if (!keyName_.empty() && !verified) {
      // Unsigned or badly signed: nothing in it can be trusted, NOERROR included.
      return outcome(UpdateStatus::Failed,
                     what + ": the reply's TSIG signature does not verify (" + rcodeText + ")");
    }
    switch (rcode) {
      case LDNS_RCODE_NOERROR:
        return outcome(UpdateStatus::Updated, what + ": NOERROR");
      case LDNS_RCODE_REFUSED:
        return outcome(UpdateStatus::AuthFailed,
                       what +
                           ": REFUSED (the key may not update this name and type: check the "
                           "zone's update-policy or allow-update)");
      case LDNS_RCODE_NOTAUTH:
        return outcome(UpdateStatus::NotFound,
                       what + ": NOTAUTH (the server is not the primary for this zone)");
      case LDNS_RCODE_NOTZONE:
        return outcome(UpdateStatus::NotFound, what + ": NOTZONE (the name is not in the zone)");
      case LDNS_RCODE_SERVFAIL:
        return outcome(UpdateStatus::RetryLater, what + ": SERVFAIL");
      default:
        return outcome(UpdateStatus::Failed, what + ": " + rcodeText);
    }
  }

  std::string section_;
  std::string server_;
  uint16_t port_ = 53;
  std::string zone_;
  std::string keyName_;
  std::string keySecret_;
  std::string algorithm_;
  uint32_t ttl_ = 300;
  std::chrono::milliseconds timeout_;
};

}  // namespace

ProviderInfo rfc2136Provider() {
  using T = config::SettingType;
  ProviderInfo info;
  info.name = "rfc2136";
  info.description = "RFC 2136 dynamic update with TSIG, to your own primary (BIND, Knot, ...)";
  info.documentation = "https://www.rfc-editor.org/rfc/rfc2136";
  info.settings = {
      {"", "server", T::kString, "",
       "Primary server that accepts updates: an address (192.0.2.53, 2001:db8::53) or a name.",
       true},
      {"", "port", T::kInteger, "53", "Its DNS port (UDP).", false, 1, 65535},
      {"", "zone", T::kString, "", "Zone to update; empty: each record's domain."},
      {"", "key_name", T::kString, "",
       "TSIG key name, as in the server's key statement (tsig-keygen NAME); empty: unsigned "
       "updates (only for servers that allow-update by address)."},
      {"", "key_secret", T::kSecret, "",
       "TSIG secret, base64 (the secret \"...\" of tsig-keygen)."},
      {"",
       "key_algorithm",
       T::kChoice,
       kDefaultAlgorithm,
       "TSIG algorithm (hmac-sha384 and hmac-sha224 are not available through ldns).",
       false,
       0,
       0,
       {"hmac-md5", "hmac-sha1", "hmac-sha256", "hmac-sha512"}},
      {"", "ttl", T::kSeconds, "300", "TTL of the record written.", false, 0, 7 * 86400},
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<Rfc2136Provider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
