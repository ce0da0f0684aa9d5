// SPDX-License-Identifier: MIT
// A request for ApiService::handle as the wire would give it: the target split into path and
// query, a peer, a User-Agent, and Basic credentials "<user>:<user>-pw" (none for "").
#pragma once

#include <string>

#include "api/http_wire.hpp"
#include "api/service.hpp"
#include "common/base64.hpp"

namespace chipmunk::test {

inline api::RequestInfo serviceRequest(const std::string& target, const std::string& user,
                                       api::Method method = api::Method::kGet) {
  api::RequestInfo r;
  r.method = method;
  r.methodName = method == api::Method::kGet ? "GET" : "OTHER";
  const size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) {
    r.badQuery = !api::appendUrlEncoded(target.substr(q + 1), false, r.query);
  }
  r.peer = *IpAddress::parse("192.0.2.7");
  r.userAgent = "test/1";
  if (!user.empty()) {
    r.authorization = "Basic " + base64Encode(user + ":" + user + "-pw");
  }
  return r;
}

}  // namespace chipmunk::test
