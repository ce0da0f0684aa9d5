// X-Forwarded-For, X-Real-IP and RFC 7239 Forwarded parsing (api/client_ip), and the walk
// that picks the client from them.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "client_ip.hpp"

using chipmunk::Cidr;
using chipmunk::IpAddress;
using chipmunk::config::ClientIpHeader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string xff = in.ConsumeRandomLengthString(1024);
  const std::string realIp = in.ConsumeRandomLengthString(128);
  const std::string forwarded = in.ConsumeRandomLengthString(1024);
  const bool hasXff = in.ConsumeBool();
  const bool hasRealIp = in.ConsumeBool();
  const bool hasForwarded = in.ConsumeBool();
  const auto mode = in.PickValueInArray({ClientIpHeader::kAuto, ClientIpHeader::kXForwardedFor,
                                         ClientIpHeader::kXRealIp, ClientIpHeader::kForwarded});

  chipmunk::api::parseNode(xff);
  chipmunk::api::parseXForwardedFor(xff);
  chipmunk::api::parseForwarded(forwarded);

  static const std::vector<Cidr> trusted = {*Cidr::parse("127.0.0.0/8"), *Cidr::parse("::1"),
                                            *Cidr::parse("10.0.0.0/8")};
  const IpAddress proxy = *IpAddress::parse("127.0.0.1");
  const IpAddress stranger = *IpAddress::parse("198.51.100.7");
  chipmunk::api::ForwardingHeaders headers;
  if (hasXff) {
    headers.xForwardedFor = xff;
  }
  if (hasRealIp) {
    headers.xRealIp = realIp;
  }
  if (hasForwarded) {
    headers.forwarded = forwarded;
  }
  // An untrusted peer is always reported as itself, whatever it sends.
  if (chipmunk::api::resolveClientIp(stranger, headers, trusted, mode) != stranger) {
    std::abort();
  }
  chipmunk::api::resolveClientIp(proxy, headers, trusted, mode);
  return 0;
}
