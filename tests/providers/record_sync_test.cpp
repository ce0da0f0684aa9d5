// SPDX-License-Identifier: MIT
// The record-sync engine both programs drive, against a scripted provider (no sockets).
#include "providers/record_sync.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <stdexcept>

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;
using namespace chipmunk::providers;
using namespace std::chrono_literals;

// Answers prepare() and update() from two scripts (empty script: ok) and counts the calls.
class ScriptedProvider : public DnsProvider {
 public:
  std::deque<UpdateResult> prepares;
  std::deque<UpdateResult> updates;
  int prepareCalls = 0;
  int updateCalls = 0;
  bool throwOnUpdate = false;

  // DnsProvider
  UpdateResult prepare() override {
    ++prepareCalls;
    return next(prepares, UpdateStatus::Unchanged);
  }
  UpdateResult update(const Record&, const IpAddress&) override {
    ++updateCalls;
    if (throwOnUpdate) {
      throw std::runtime_error("boom");
    }
    return next(updates, UpdateStatus::Updated);
  }

 private:
  static UpdateResult next(std::deque<UpdateResult>& script, UpdateStatus otherwise) {
    if (script.empty()) {
      return outcome(otherwise, "");
    }
    UpdateResult r = script.front();
    script.pop_front();
    return r;
  }
};

UpdateResult retryLater(std::optional<std::chrono::seconds> after) {
  UpdateResult r = outcome(UpdateStatus::RetryLater, "HTTP 429");
  r.retryAfter = after;
  return r;
}

struct Engine {
  ScriptedProvider* provider = nullptr;
  std::unique_ptr<RecordSync> sync;
  Record record{"home", "home", "example.com", RecordType::A};
  IpAddress ip = *IpAddress::parse("203.0.113.7");

  explicit Engine(RetryPolicy policy = {10s, 100s}) {
    auto p = std::make_unique<ScriptedProvider>();
    provider = p.get();
    sync = std::make_unique<RecordSync>(std::move(p), policy);
    sync->seed(7);
  }
  Settled attempt(SyncRecord& r) {
    sync->newRound();
    return sync->settle(r, sync->publish(record, ip), ip);
  }
};

TEST_CASE("Unit: publishing prepares once and records what was published", "[providers][unit]") {
  Engine e;
  SyncRecord r;
  CHECK(e.attempt(r).verdict == Verdict::kPublished);
  CHECK(e.attempt(r).verdict == Verdict::kPublished);
  CHECK(e.provider->prepareCalls == 1);
  CHECK(e.provider->updateCalls == 2);
  CHECK(r.state.ip == "203.0.113.7");
  CHECK(r.state.pushedAt > 0);
  CHECK(r.state.lastResult == "updated");
  CHECK_FALSE(r.retryAt);
}

TEST_CASE("Unit: Retry-After is honoured above the backoff and clamped to retry_max",
          "[providers][unit]") {
  Engine e;  // retry_min 10 s, retry_max 100 s
  SyncRecord r;
  e.provider->updates = {retryLater(50s), retryLater(999999999s), retryLater(0s),
                         retryLater(std::nullopt)};
  auto s = e.attempt(r);
  CHECK(s.verdict == Verdict::kRetry);
  CHECK(s.retryIn == 50s);  // later than the backoff (5..10 s): obeyed
  REQUIRE(r.retryAt);
  CHECK(r.waiting(SyncRecord::Clock::now()));
  CHECK(e.attempt(r).retryIn == 100s);  // a server cannot park us beyond retry_max
  s = e.attempt(r);                     // nor make us hammer it: the backoff holds
  CHECK(s.retryIn >= 20s);
  CHECK(s.retryIn <= 40s);
  CHECK(r.state.failures == 3);
  CHECK(e.attempt(r).retryIn >= 40s);
}

TEST_CASE("Unit: the Retry-After rule is the same whatever drives the engine",
          "[providers][unit]") {
  // The updater's cycle and gateway push build RecordSync from their own retry_min and
  // retry_max: with the same policy, the same answers give the same delays.
  Engine updater({1s, 2s});
  Engine push({1s, 2s});
  for (auto* e : {&updater, &push}) {
    e->provider->updates = {retryLater(30s)};
  }
  SyncRecord a;
  SyncRecord b;
  CHECK(updater.attempt(a).retryIn == 2s);
  CHECK(push.attempt(b).retryIn == 2s);
  CHECK(retryDelay(30s, 1s, 2s) == 2s);
}

TEST_CASE("Unit: not-found makes the next attempt prepare again", "[providers][unit]") {
  Engine e;
  SyncRecord r;
  e.provider->updates = {outcome(UpdateStatus::NotFound, "HTTP 404")};
  CHECK(e.attempt(r).verdict == Verdict::kRetry);
  CHECK_FALSE(e.sync->prepared());
  CHECK(e.attempt(r).verdict == Verdict::kPublished);
  CHECK(e.provider->prepareCalls == 2);
}

TEST_CASE("Unit: a failed prepare is not repeated within a round, and is in the next",
          "[providers][unit]") {
  Engine e;
  SyncRecord second;
  e.provider->prepares = {outcome(UpdateStatus::RetryLater, "timed out")};
  e.sync->newRound();
  const auto a = e.sync->publish(e.record, e.ip);
  const auto b = e.sync->publish(e.record, e.ip);
  CHECK(a.status == UpdateStatus::RetryLater);
  CHECK(b.detail == "timed out");
  CHECK(e.provider->prepareCalls == 1);
  CHECK(e.provider->updateCalls == 0);
  CHECK(e.attempt(second).verdict == Verdict::kPublished);
  CHECK(e.provider->prepareCalls == 2);
}

TEST_CASE("Unit: auth failure stops the record with the reason", "[providers][unit]") {
  Engine e;
  SyncRecord r;
  e.provider->updates = {outcome(UpdateStatus::AuthFailed, "HTTP 401")};
  const auto s = e.attempt(r);
  CHECK(s.verdict == Verdict::kStopped);
  CHECK(r.stopped);
  CHECK(r.stoppedBy == UpdateStatus::AuthFailed);
  CHECK(r.state.stopped == "auth-failed");
  CHECK(r.state.detail == "HTTP 401");
  CHECK_FALSE(r.retryAt);
  // A failure retrying cannot change stops too, with its own status.
  SyncRecord other;
  e.provider->updates = {outcome(UpdateStatus::Failed, "nohost", true)};
  CHECK(e.attempt(other).verdict == Verdict::kStopped);
  CHECK(other.stoppedBy == UpdateStatus::Failed);
  CHECK(other.state.stopped == "failed");
}

TEST_CASE("Unit: backoff doubles per failure up to retry_max, and success resets it",
          "[providers][unit]") {
  Engine e({10s, 100s});
  SyncRecord r;
  std::vector<std::chrono::seconds> delays;
  for (int i = 0; i < 8; ++i) {
    e.provider->updates = {outcome(UpdateStatus::Failed, "HTTP 400")};
    delays.push_back(e.attempt(r).retryIn);
  }
  CHECK(delays[0] >= 5s);
  CHECK(delays[0] <= 10s);
  CHECK(delays[2] >= 20s);
  CHECK(delays[2] <= 40s);
  for (size_t i = 4; i < delays.size(); ++i) {
    CHECK(delays[i] >= 50s);
    CHECK(delays[i] <= 100s);
  }
  CHECK(r.state.failures == 8);
  CHECK(e.attempt(r).verdict == Verdict::kPublished);
  CHECK(r.state.failures == 0);
  CHECK_FALSE(r.retryAt);
}

TEST_CASE("Unit: a provider that throws is a failure, not a crash", "[providers][unit]") {
  Engine e;
  SyncRecord r;
  e.provider->throwOnUpdate = true;
  CHECK(e.attempt(r).verdict == Verdict::kRetry);
  CHECK(r.state.lastResult == "failed");
  CHECK(r.state.detail == "provider error: boom");
}

TEST_CASE("Unit: restore keeps what was published, not the backoff or the stop",
          "[providers][unit]") {
  SyncRecord r;
  r.state.key = "linode home.example.com A";
  const auto saved = parseSyncState(
      R"({"key":"linode home.example.com A","ip":"203.0.113.7","pushed_at":1700000000,)"
      R"("failures":4,"stopped":"auth-failed"})");
  REQUIRE(saved);
  r.restore(*saved);
  CHECK(r.state.ip == "203.0.113.7");
  CHECK(r.state.pushedAt == 1700000000);
  CHECK(r.state.failures == 0);
  CHECK(r.state.stopped.empty());
  CHECK_FALSE(r.stopped);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
