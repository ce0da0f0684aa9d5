// SPDX-License-Identifier: MIT
// /get/ip and /get/ip.json: the caller's address, in the formats of the original service.
#include "api/routes.hpp"

namespace chipmunk::api {

Response answerIpText(RouteCall& call) {
  return plain(200, "Your IP:  " + call.clientText);
}

Response answerIpJson(RouteCall& call) {
  return json(200, "{\"Client_IP\": \"" + call.clientText + "\"}");
}

}  // namespace chipmunk::api
