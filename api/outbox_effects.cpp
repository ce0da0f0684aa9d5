// SPDX-License-Identifier: MIT
#include "api/outbox_effects.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "api/hooks.hpp"
#include "api/routes.hpp"
#include "common/logging.hpp"
#include "providers/sync_state.hpp"

namespace chipmunk::api {
namespace {

std::shared_ptr<spdlog::logger> effectsLog() {
  return logging::get("push");
}

}  // namespace

OutboxEffects::OutboxEffects(const config::ApiConfig& config)
    : config_(config),
      onChange_(config.onChange),
      onExpire_(config.onExpire),
      hookTimeout_(config.hookTimeout) {}

std::shared_ptr<OutboxEffects> OutboxEffects::create(const config::ApiConfig& config,
                                                     std::vector<std::string>& errors,
                                                     OwnerLookup owners) {
  std::shared_ptr<OutboxEffects> effects(new OutboxEffects(config));
  effects->owners_ = std::move(owners);
  if (!config.pushTargets.empty() &&
      !buildPushTargets(config, effects->cancel_, effects->accounts_, effects->targets_, errors)) {
    return nullptr;
  }
  for (const auto& t : effects->targets_) {
    effects->targetNames_.insert(t.config.name);
  }
  return effects;
}

std::function<bool(const std::string& name)> outboxFilter(
    const std::shared_ptr<OutboxEffects>* current) {
  return [current](const std::string& name) {
    const auto effects = std::atomic_load(current);
    return !effects || effects->wantsChange(name);
  };
}

bool OutboxEffects::hasTarget(const std::string& name) const {
  return targetNames_.count(name) != 0;
}

bool OutboxEffects::wantsChange(const std::string& name) const {
  return !onChange_.empty() || hasTarget(name);
}

bool OutboxEffects::pushes(const OutboxEvent& event) {
  // An expiry leaves DNS at its last address. A push being retried is given up once a newer
  // change of the record waits: its address is stale, the newer event pushes its own.
  // (Without a failure every change is pushed, in order.)
  return event.kind == OutboxEvent::Kind::kChanged && !event.after.expired &&
         !(event.superseded && event.attempts > 0);
}

bool OutboxEffects::hasEffects(const OutboxEvent& event) const {
  const bool changed = event.kind == OutboxEvent::Kind::kChanged;
  return (!event.hookDone && !(changed ? onChange_ : onExpire_).empty()) ||
         (pushes(event) && hasTarget(event.after.name));
}

OutboxOutcome OutboxEffects::handle(pg::Connection& tx, const OutboxEvent& event) {
  OutboxOutcome outcome;
  if (!event.hookDone) {
    runHook(event);
  }
  outcome.hookRan = true;
  const bool changed = event.kind == OutboxEvent::Kind::kChanged;
  if (!changed) {
    logging::get("api")->info("record expired name={}", event.before.name);
  }
  if (!pushes(event)) {
    return outcome;
  }
  for (const auto& t : targets_) {
    if (t.config.name != event.after.name) {
      continue;
    }
    const auto& ip = t.config.ipv6 ? event.after.ipv6 : event.after.ipv4;
    if (!ip) {
      continue;
    }
    if (!isPublishable(*ip, true)) {
      effectsLog()->error("not pushing an address that is no host's push={} ip={}", t.config.label,
                          ip->toString());
      continue;
    }
    if (const auto retry = push(tx, t, *ip)) {
      outcome.done = false;
      outcome.retryIn = std::max(outcome.retryIn, *retry);
    }
  }
  return outcome;
}

void OutboxEffects::runHook(const OutboxEvent& event) {
  const bool changed = event.kind == OutboxEvent::Kind::kChanged;
  const std::string& command = changed ? onChange_ : onExpire_;
  if (command.empty()) {
    return;
  }
  // The store knows records, not owners: an event may come without one.
  const std::string& name = event.after.name.empty() ? event.before.name : event.after.name;
  const std::string owner = !event.owner.empty() ? event.owner
                            : owners_            ? owners_(name)
                                                 : ownerOf(config_, name);
  auto env = changed ? hookEnvironment("change", owner, event.before, &event.after)
                     : hookEnvironment("expire", owner, event.before, nullptr);
  // Unique per event across replicas: a hook that must never act twice (the rare re-run
  // after a replica died between the hook and the commit) remembers the ids it has seen.
  env["CHIPMUNK_EVENT_ID"] = std::to_string(event.id);
  runHookNow(command, env, hookTimeout_);
}

std::optional<std::chrono::seconds> OutboxEffects::push(pg::Connection& tx, const PushTarget& t,
                                                        const IpAddress& ip) {
  const std::string& label = t.config.label;
  tx.exec("INSERT INTO chipmunk_push_state (label) VALUES ($1) ON CONFLICT (label) DO NOTHING",
          {label});
  auto read =
      tx.exec("SELECT state::text FROM chipmunk_push_state WHERE label = $1 FOR UPDATE", {label});
  if (!read.ok() || read.rows() != 1) {
    throw std::runtime_error("cannot read the push state: " + read.error());
  }
  providers::SyncRecord sync;
  sync.state.key = t.sync.state.key;
  const auto saved = providers::parseSyncState(read.get(0, 0));
  if (saved && saved->key == sync.state.key) {
    sync.restore(*saved);  // the same record at the same provider
  }
  if (sync.state.ip == ip.toString()) {
    effectsLog()->info("push unchanged push={} ip={}", label, sync.state.ip);
    return std::nullopt;
  }
  providers::RecordSync& account = *accounts_.at(t.config.account);
  account.newRound();
  const providers::UpdateResult result = account.publish(t.record, ip);
  const auto settled = account.settle(sync, result, ip);
  auto write = tx.exec("UPDATE chipmunk_push_state SET state = $2::jsonb WHERE label = $1",
                       {label, providers::formatSyncState(label, sync.state)});
  if (!write.ok()) {
    throw std::runtime_error("cannot write the push state: " + write.error());
  }
  const auto status = providers::toString(result.status);
  switch (settled.verdict) {
    case providers::Verdict::kPublished:
      effectsLog()->info("pushed push={} name={} ip={} result={}", label, t.record.fqdn(),
                         ip.toString(), status);
      return std::nullopt;
    case providers::Verdict::kStopped:
      effectsLog()->error("push refused; this change is not pushed push={} result={} detail=\"{}\"",
                          label, status, result.detail);
      return std::nullopt;
    case providers::Verdict::kRetry:
      break;
  }
  effectsLog()->warn("push failed; retrying push={} result={} detail=\"{}\" retry_in={}s", label,
                     status, result.detail, settled.retryIn.count());
  return settled.retryIn;
}

}  // namespace chipmunk::api
