// SPDX-License-Identifier: MIT
#pragma once

// What the HTTP layer does with a dyndns2 answer (/nic/update, /v3/update) on its way out:
// a 5xx says 911, and the request log names the return codes. The route itself lives with
// the other routes.

#include <string>

#include "api/service.hpp"

namespace chipmunk::api {

// /nic/update or /v3/update: the paths whose bodies dyndns2 clients read as return codes.
bool isDyndnsPath(const std::string& path);

// The answer codes of a dyndns2 body, comma-separated ("good,nohost"): the first word of
// every line, when every one is a dyndns2 code; empty for any other body (a 403 or 405
// text). Never the addresses after the codes; bounded (20 codes, then ",..."), so the log
// line stays short.
std::string dyndnsCodes(const std::string& body);

// dyndns2 clients read a 5xx body as return codes: it says 911 (try later), never
// something a client could take for success.
Response dyndnsServerError(Response r);

}  // namespace chipmunk::api
