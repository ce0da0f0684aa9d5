// SPDX-License-Identifier: MIT
#pragma once

// One DNS question asked straight to a server (no recursion, no resolver in between), with
// ldns (the library the rfc2136 provider opens, dlopen()ed on first use). UDP first; a
// truncated reply is asked again over TCP. The reply must match the question (ID, QR,
// question name, type and class) or it is refused.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace chipmunk::updater {

struct DnsQuestion {
  std::string qname;   // "myip.opendns.com"
  std::string qtype;   // A, AAAA or TXT
  std::string qclass;  // IN or CH
  std::string server;  // an IP address; "[::1]:5353" or "127.0.0.1:5353" for another port
};

// The answer's records of the question's name, type and class, as text: an address for A
// and AAAA, the strings of a TXT record joined. Nullopt with `error` set on failure (no
// reply in time, refused reply, rcode other than NOERROR, no matching record).
std::optional<std::vector<std::string>> askDns(const DnsQuestion& question,
                                               std::chrono::milliseconds timeout,
                                               std::string& error);

}  // namespace chipmunk::updater
