// SPDX-License-Identifier: MIT
#pragma once

// The dyndns2 return codes, named once for both sides of the protocol: the dyndns2 provider
// (which reads them from a server's reply) and chipmunk-api's /nic/update (which answers
// with them). Meanings: https://help.dyn.com/remote-access-api/return-codes/ (mirrored by
// No-IP, Dynu and the other dyndns2 services).

#include <string>
#include <string_view>

namespace chipmunk::dyndns2 {

inline constexpr std::string_view kGood = "good";            // updated; the address follows
inline constexpr std::string_view kNochg = "nochg";          // already at this address
inline constexpr std::string_view kNohost = "nohost";        // no such host in this account
inline constexpr std::string_view kNotfqdn = "notfqdn";      // not a fully qualified host name
inline constexpr std::string_view kNumhost = "numhost";      // too many hosts in one request
inline constexpr std::string_view kBadauth = "badauth";      // wrong user name or password
inline constexpr std::string_view kBadagent = "badagent";    // client (or method) refused
inline constexpr std::string_view kAbuse = "abuse";          // host blocked for abuse
inline constexpr std::string_view kDnserr = "dnserr";        // server-side DNS error
inline constexpr std::string_view k911 = "911";              // server-side failure, retry later
inline constexpr std::string_view kNotYours = "!yours";      // host belongs to another account
inline constexpr std::string_view kNotDonator = "!donator";  // feature for paying accounts

// Every code above, for recognising the first word of a reply.
inline constexpr std::string_view kAllCodes[] = {kGood,    kNochg,   kNohost,   kNotfqdn,
                                                 kNumhost, kBadauth, kBadagent, kAbuse,
                                                 kDnserr,  k911,     kNotYours, kNotDonator};

// One line of a reply body: the code and a newline.
inline std::string line(std::string_view code) {
  return std::string(code) + "\n";
}

}  // namespace chipmunk::dyndns2
