// SPDX-License-Identifier: MIT
// Shared pieces of the JSON REST API fakes; see fake_json_api.hpp.
#include "tests/support/fake_json_api.hpp"

#include <algorithm>

namespace chipmunk::test {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  for (size_t pos = 1; pos <= path.size();) {
    const size_t slash = std::min(path.find('/', pos), path.size());
    parts.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return parts;
}

FakeResponse jsonReply(int status, std::string body) {
  FakeResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

void FailureQueue::push(int status, std::string body, const std::string& retryAfter) {
  FakeResponse r = jsonReply(status, std::move(body));
  if (!retryAfter.empty()) {
    r.headers.emplace_back("Retry-After", retryAfter);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back(std::move(r));
}

void FailureQueue::push(int status, std::string body,
                        std::vector<std::pair<std::string, std::string>> headers) {
  FakeResponse r = jsonReply(status, std::move(body));
  r.headers = std::move(headers);
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back(std::move(r));
}

std::optional<FakeResponse> FailureQueue::pop() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (queue_.empty()) {
    return std::nullopt;
  }
  FakeResponse r = std::move(queue_.front());
  queue_.pop_front();
  return r;
}

}  // namespace chipmunk::test
