// SPDX-License-Identifier: MIT
#pragma once

// What the fakes of the JSON REST APIs (fake_desec, fake_digitalocean, fake_gandi,
// fake_godaddy, fake_hetzner, fake_ionos, fake_porkbun, fake_vultr) share: a reply with a
// JSON body, and the queue of canned replies failNext() fills (429/503 with or without
// Retry-After, 5xx, malformed or oversized bodies), served in order before normal handling.
// Routing, auth and the services' own error shapes stay in each fake.

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/fake_http_server.hpp"

namespace chipmunk::test {

// "/v4/domains/1/records" -> {"v4", "domains", "1", "records"}; segments stay encoded.
std::vector<std::string> splitPath(const std::string& path);

// `status` with `body` as application/json.
FakeResponse jsonReply(int status, std::string body);

class FailureQueue {
 public:
  // Queues `status` with `body`, and a Retry-After header when `retryAfter` is not empty.
  void push(int status, std::string body, const std::string& retryAfter = "");
  // Queues `status` with `body` and exactly `headers`.
  void push(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers);
  // The oldest queued reply, removed; nothing when the queue is empty.
  std::optional<FakeResponse> pop();

 private:
  std::mutex mutex_;
  std::deque<FakeResponse> queue_;
};

}  // namespace chipmunk::test
