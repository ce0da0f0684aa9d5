// SPDX-License-Identifier: MIT
#pragma once

// Reading what a record holds from the zone's AUTHORITATIVE servers, for drift repair when
// a provider's API cannot be read: a plain query with recursion off (RD = 0) straight to a
// server that holds the zone, whose answer counts only with the AA bit set. Never a caching
// resolver: a cache would answer with what the record held up to a TTL ago. The system's
// resolver is asked only for the zone's NS names and their addresses. Messages come from
// ldns, loaded as for the rfc2136 provider (rfc2136_ldns.hpp).

#include <sys/socket.h>

#include <chrono>
#include <string>
#include <vector>

#include "providers/provider.hpp"

namespace chipmunk::providers::dns {

// At most this many name servers of a zone are asked, one after the other.
inline constexpr size_t kMaxNameServers = 4;

// The socket address of `host` (a literal, or the first address the name resolves to) and
// `port`; false with "cannot resolve server HOST: why" in `error`.
bool resolveServer(const std::string& host, const std::string& port, sockaddr_storage& to,
                   socklen_t& toLength, std::string& error);

// Asks `server` ("192.0.2.53", "ns1.example.com", "127.0.0.1:5353", "[::1]:5353"; port 53
// unless given) for the addresses of `record` over UDP, waiting at most `timeout`.
// kMissing for NXDOMAIN or an empty answer, kFailed without an authoritative answer.
CurrentRecord askAuthoritative(const std::string& server, const Record& record,
                               std::chrono::milliseconds timeout);

// The zone's name servers (its NS records, from the system's resolver), at most
// kMaxNameServers; empty with `error` when none are found.
std::vector<std::string> nameServers(const std::string& zone, std::string& error);

// askAuthoritative() of each of `servers` (empty: the zone's nameServers()) in turn until one
// answers.
CurrentRecord readAuthoritative(const std::vector<std::string>& servers, const Record& record,
                                std::chrono::milliseconds timeout);

}  // namespace chipmunk::providers::dns
