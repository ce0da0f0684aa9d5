// SPDX-License-Identifier: MIT
// X-Forwarded-For, X-Real-IP and RFC 7239 Forwarded parsing (api/client_ip), the joining
// of repeated header lines, and the walk that picks the client from them.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "api/client_ip.hpp"

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
  const std::string block = in.ConsumeRandomLengthString(2048);

  chipmunk::api::parseNode(xff);
  chipmunk::api::parseXForwardedFor(xff);
  chipmunk::api::parseForwarded(forwarded);
  // A raw header block: the joined values of a name's lines (", " where a CRLF and a name
  // were) are never longer than the block.
  for (const char* name : {"X-Forwarded-For", "X-Real-IP", "Forwarded"}) {
    const auto joined = chipmunk::api::joinHeaderLines(block, name);
    if (joined && joined->size() > block.size()) {
      std::abort();
    }
  }

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
  const auto asStranger = chipmunk::api::resolveClientIp(stranger, headers, trusted, mode);
  if (!asStranger || *asStranger != stranger) {
    std::abort();
  }
  // Only auto may refuse (conflicting headers); an explicit header always names someone.
  if (mode != ClientIpHeader::kAuto &&
      !chipmunk::api::resolveClientIp(proxy, headers, trusted, mode)) {
    std::abort();
  }
  const auto joinedXff = chipmunk::api::joinHeaderLines(block, "X-Forwarded-For");
  if (joinedXff) {
    chipmunk::api::ForwardingHeaders fromBlock;
    fromBlock.xForwardedFor = *joinedXff;
    chipmunk::api::resolveClientIp(proxy, fromBlock, trusted, mode);
  }
  return 0;
}
