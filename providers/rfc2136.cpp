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
// DNS wire format and TSIG come from ldns, loaded with dlopen() (rfc2136_ldns.cpp): it
// builds, signs and verifies the messages, so this file holds no hand-written DNS encoder.
#include "providers/rfc2136_ldns.hpp"  // first: it includes <stdbool.h> before ldns (see there)

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <memory>
#include <stdexcept>

#include "common/base64.hpp"
#include "common/logging.hpp"
#include "common/strings.hpp"
#include "providers/dns_read.hpp"
#include "providers/provider.hpp"

namespace chipmunk::providers {
namespace {

using rfc2136::ldns;
using rfc2136::LdnsPtr;

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
        key_{withoutDot(context.get("key_name")), context.get("key_secret"),
             lowercase(context.get("key_algorithm"))},
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
    if (key_.algorithm.empty()) {
      key_.algorithm = kDefaultAlgorithm;
    }
    if (key_.name.empty() != key_.secret.empty()) {
      throw std::invalid_argument(where + "set both key_name and key_secret (or neither)");
    }
    if (!key_.secret.empty() && !base64Decode(key_.secret)) {
      // The secret itself is never echoed.
      throw std::invalid_argument(where + "key_secret is not base64 (as tsig-keygen prints it)");
    }
    if (!ldns().loaded) {
      throw std::invalid_argument(where + "rfc2136 needs " + ldns().error);
    }
    if (key_.name.empty()) {
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
    if (!dns::resolveServer(server_, std::to_string(port_), to, toLength, error)) {
      return outcome(UpdateStatus::RetryLater, what + ": " + error);
    }
    LdnsPtr<ldns_pkt> query = rfc2136::buildUpdate(fqdn, zone, record.type, ip, ttl_);
    if (!query) {
      return outcome(UpdateStatus::Failed, what + ": cannot build the UPDATE message");
    }
    if (!key_.name.empty()) {
      const ldns_status s = rfc2136::signUpdate(query.get(), key_);
      if (s != LDNS_STATUS_OK) {
        return outcome(UpdateStatus::Failed,
                       what + ": cannot sign with TSIG: " + ldns().get_errorstr_by_id(s));
      }
    }

    std::string wire;
    std::string sendError;
    const std::string server = server_ + ":" + std::to_string(port_);
    if (!rfc2136::exchange(query.get(), to, toLength, timeout_, wire, sendError)) {
      return outcome(UpdateStatus::RetryLater,
                     what + ": no reply from " + server + ": " + sendError);
    }
    ldns_pkt* replyRaw = nullptr;
    const ldns_status parsed =
        ldns().wire2pkt(&replyRaw, reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
    LdnsPtr<ldns_pkt> reply(replyRaw);
    if (parsed != LDNS_STATUS_OK || !reply) {
      return outcome(UpdateStatus::RetryLater, what + ": unreadable reply from " + server + ": " +
                                                   ldns().get_errorstr_by_id(parsed));
    }
    const bool verified =
        !key_.name.empty() && rfc2136::verifyReply(reply.get(), wire, query.get(), key_);
    return classify(what, verified, query.get(), reply.get());
  }

  // The primary holds the zone: it is asked directly (RD off, AA required).
  CurrentRecord current(const Record& record) override {
    const bool v6 = server_.find(':') != std::string::npos;
    return dns::askAuthoritative((v6 ? "[" + server_ + "]" : server_) + ":" + std::to_string(port_),
                                 record, timeout_);
  }

 private:
  static std::shared_ptr<spdlog::logger> log() { return logging::get("provider.rfc2136"); }

  std::string zoneOf(const Record& record) const {
    return zone_.empty() ? withoutDot(record.domain) : zone_;
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
      const std::string detail = what + ": server rejected the TSIG key \"" + key_.name + "\" (" +
                                 rcodeText + ", " + tsigErrorName(tsigError) + ")";
      return outcome(tsigError == 18 ? UpdateStatus::Failed : UpdateStatus::AuthFailed,
                     tsigError == 18 ? detail + "; check this machine's clock" : detail);
    }
    if (ldns().pkt_id(reply) != ldns().pkt_id(query)) {
      return outcome(UpdateStatus::RetryLater, what + ": reply does not match the query id");
    }
    if (!key_.name.empty() && !verified) {
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
  rfc2136::TsigKey key_;
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
      config::Setting("server", T::kString)
          .required()
          .help("Primary server that accepts updates: an address (192.0.2.53, 2001:db8::53) or a "
                "name."),
      config::Setting("port", T::kInteger)
          .range(1, 65535)
          .byDefault("53")
          .help("Its DNS port (UDP)."),
      config::Setting("zone", T::kString).help("Zone to update; empty: each record's domain."),
      config::Setting("key_name", T::kString)
          .help(
              "TSIG key name, as in the server's key statement (tsig-keygen NAME); empty: unsigned "
              "updates (only for servers that allow-update by address)."),
      config::Setting("key_secret", T::kSecret)
          .help("TSIG secret, base64 (the secret \"...\" of tsig-keygen)."),
      config::Setting("key_algorithm", T::kChoice)
          .choices({"hmac-md5", "hmac-sha1", "hmac-sha256", "hmac-sha512"})
          .byDefault(kDefaultAlgorithm)
          .help("TSIG algorithm (hmac-sha384 and hmac-sha224 are not available through ldns)."),
      config::Setting("ttl", T::kSeconds)
          .range(0, 7 * 86400)
          .byDefault("300")
          .help("TTL of the record written."),
  };
  info.create = [](const ProviderContext& context) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<Rfc2136Provider>(context);
  };
  return info;
}

}  // namespace chipmunk::providers
