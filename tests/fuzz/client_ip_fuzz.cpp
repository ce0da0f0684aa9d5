// SPDX-License-Identifier: MIT
// X-Forwarded-For, X-Real-IP and RFC 7239 Forwarded parsing (api/client_ip), the joining
// of repeated header lines (api/http_wire's takeHeader), and the walk that picks the
// client from them.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "api/client_ip.hpp"
#include "api/http_wire.hpp"

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
  // A raw header block, its lines filed as the server files them (takeHeader): the joined
  // values of a name's lines (", " where a CRLF and a name were) are never longer than it.
  chipmunk::api::RequestInfo info;
  std::optional<std::string> connection;
  for (size_t start = 0; start < block.size();) {
    const size_t end = std::min(block.find("\r\n", start), block.size());
    const std::string_view line = std::string_view(block).substr(start, end - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      chipmunk::api::takeHeader(line.substr(0, colon), value, info, connection);
    }
    start = end + 2;
  }
  for (const auto* joined : {&info.xForwardedFor, &info.xRealIp, &info.forwarded}) {
    if (*joined && (*joined)->size() > block.size()) {
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
  if (info.xForwardedFor) {
    chipmunk::api::ForwardingHeaders fromBlock;
    fromBlock.xForwardedFor = *info.xForwardedFor;
    chipmunk::api::resolveClientIp(proxy, fromBlock, trusted, mode);
  }
  return 0;
}
