// SPDX-License-Identifier: MIT
// The guards ApiService::handle runs before a route's handler, by the route's Access:
// the cross-site check, the login rate limit and the credentials.
#pragma once

#include <optional>

#include "api/auth_memo.hpp"
#include "api/authenticator.hpp"
#include "api/routes.hpp"
#include "api/service.hpp"

namespace chipmunk::api {

// Cross-site request forgery and cross-site loads: true when a browser says (or cannot
// say otherwise) that `request` comes from another site and it must be refused. Clients
// that are not browsers send none of the headers looked at and are never refused.
// `changesState`: the route writes records (/set, /nic/update, /v3/update).
bool crossSiteRefused(const RequestInfo& request, bool changesState);

// Whether `access` needs a logged-in user under `config`.
bool needsLogin(Access access, const config::ApiConfig& config);

// /metrics without credentials: [Metrics] access = open, or loopback and the request came
// straight from a loopback peer (no forwarding header: a proxy on the same host forwards
// the internet's requests from loopback too).
bool metricsOpen(const RequestInfo& request, const config::ApiConfig& config);
// Whether the logged-in `user` may read /metrics ([Metrics] users).
bool mayReadMetrics(const config::ApiConfig& config, const std::string& user);

// Logs the caller in with the request's Basic credentials. Returns nullopt with call.user
// set, or the refusal: 429 while the caller's address is locked out, 401 for missing or
// wrong credentials (both in dyndns2 words for Access::kDyndns2), or, with allowSlow =
// false, a Response with needsSlowAuth set when only a slow password check can tell.
// `memo` (the connection's, on its I/O thread; may be null): a value it remembers under
// `generation` (credentialsGeneration, read before `auth` was) logs in at once; a password
// login that succeeds is remembered, a failed one forgets.
std::optional<Response> logIn(Authenticator& auth, LoginLimiter& limiter, RouteCall& call,
                              Access access, bool allowSlow, AuthMemo* memo = nullptr,
                              uint64_t generation = 0);

}  // namespace chipmunk::api
