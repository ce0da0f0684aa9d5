// SPDX-License-Identifier: MIT
#pragma once
// What an outbox event does (PostgreSQL backend): the on_change / on_expire hook, run to its
// end (bounded by hook_timeout) before the event is removed, and the gateway push, whose
// state (what each provider last accepted) lives in chipmunk_push_state and commits with the
// event's removal, so every replica sees it and a re-run of a pushed event is "unchanged".

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "api/outbox.hpp"
#include "api/push.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

class OutboxEffects;

// PgStore::setOutboxWanted's filter: OutboxEffects::wantsChange of the effects `*current`
// holds at each call (a reload swaps them with std::atomic_store); every change when null.
std::function<bool(const std::string& name)> outboxFilter(
    const std::shared_ptr<OutboxEffects>* current);

class OutboxEffects final : public OutboxHandler {
 public:
  // The owner of record `name` (CHIPMUNK_USER of the hooks) for the events the store
  // writes without one: the running server's users and hosts, the directory's included.
  using OwnerLookup = std::function<std::string(const std::string& name)>;
  // The hooks and push targets of `config`; nullptr with `errors` filled when a provider
  // section is wrong. Owners come from `owners`, or from `config` when it is empty.
  static std::shared_ptr<OutboxEffects> create(const config::ApiConfig& config,
                                               std::vector<std::string>& errors,
                                               OwnerLookup owners = nullptr);
  OutboxEffects(const OutboxEffects&) = delete;
  OutboxEffects& operator=(const OutboxEffects&) = delete;
  // Abandons a provider exchange in progress (shutdown, reload): the event is retried.
  void cancel() { cancel_->store(true); }

  // Whether a changed address of record `name` has anything to do here: an on_change hook,
  // or a push target of the record (PgStore::setOutboxWanted).
  bool wantsChange(const std::string& name) const;

  // OutboxHandler
  OutboxOutcome handle(pg::Connection& tx, const OutboxEvent& event) override;
  bool hasEffects(const OutboxEvent& event) const override;

 private:
  explicit OutboxEffects(const config::ApiConfig& config);
  void runHook(const OutboxEvent& event);
  // Whether handle() pushes `event`'s address (targets aside).
  static bool pushes(const OutboxEvent& event);
  bool hasTarget(const std::string& name) const;
  // Points target `t` at `ip`; the delay before a retry, or nullopt when settled.
  std::optional<std::chrono::seconds> push(pg::Connection& tx, const PushTarget& t,
                                           const IpAddress& ip);

  config::ApiConfig config_;  // for the owner of events written without one (no owners_)
  OwnerLookup owners_;
  std::string onChange_;
  std::string onExpire_;
  std::chrono::seconds hookTimeout_;
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
  std::map<std::string, std::unique_ptr<providers::RecordSync>> accounts_;  // by section
  std::vector<PushTarget> targets_;
  // The record names of targets_: wantsChange() runs for every change a replica writes.
  std::unordered_set<std::string> targetNames_;
};

}  // namespace chipmunk::api
