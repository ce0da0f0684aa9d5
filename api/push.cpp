// SPDX-License-Identifier: MIT
#include "api/push.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "api/file_store.hpp"
#include "common/json.hpp"
#include "common/logging.hpp"

namespace chipmunk::api {
namespace {

constexpr const char* kStateFile = ".push-state.json";
constexpr size_t kMaxStateFileSize = json::kMaxBytes;

std::shared_ptr<spdlog::logger> pushLog() {
  return logging::get("push");
}

}  // namespace

std::vector<config::ProviderDecl> pushProviderDeclarations() {
  return providers::declarations(providers::ProviderRegistry::builtin());
}

PushService::PushService(const config::ApiConfig& config)
    : config_(config), statePath_(config.dataDir + "/" + kStateFile) {}

bool buildPushTargets(const config::ApiConfig& config, std::shared_ptr<std::atomic<bool>> cancel,
                      std::map<std::string, std::unique_ptr<providers::RecordSync>>& accounts,
                      std::vector<PushTarget>& targets, std::vector<std::string>& errors) {
  const size_t before = errors.size();
  std::vector<providers::RecordWanted> wanted;
  for (const auto& t : config.pushTargets) {
    wanted.push_back({t.label, t.account, t.host, t.domain, t.ipv6});
  }
  auto http = providers::httpOptions(config.pushTimeout, config.pushVerifyTls, config.pushCaFile);
  http.cancel = std::move(cancel);
  auto kept =
      providers::keepRecords(providers::ProviderRegistry::builtin(), config.pushAccounts, wanted,
                             http, {config.pushRetryMin, config.pushRetryMax}, errors);
  for (size_t i = 0; i < wanted.size(); ++i) {
    PushTarget target;
    target.config = config.pushTargets[i];
    target.record = kept.records[i];
    target.sync.state.key = kept.keys[i];
    targets.push_back(std::move(target));
  }
  accounts = std::move(kept.accounts);
  return errors.size() == before;
}

std::shared_ptr<PushService> PushService::build(const config::ApiConfig& config,
                                                std::vector<std::string>& errors) {
  std::shared_ptr<PushService> push(new PushService(config));
  if (!buildPushTargets(config, push->cancel_, push->accounts_, push->targets_, errors)) {
    return nullptr;
  }
  return push;
}

bool PushService::check(const config::ApiConfig& config, std::vector<std::string>& errors) {
  const size_t before = errors.size();
  return build(config, errors) != nullptr && errors.size() == before;
}

std::shared_ptr<PushService> PushService::create(const config::ApiConfig& config, Store& store,
                                                 std::vector<std::string>& errors) {
  if (config.pushTargets.empty()) {
    return std::shared_ptr<PushService>(new PushService(config));  // no thread, no provider
  }
  auto push = build(config, errors);
  if (!push) {
    return nullptr;
  }
  push->loadState();
  for (const auto& record : store.list()) {
    if (!record.expired) {
      push->want(record);
    }
  }
  push->thread_ = std::thread([p = push.get()] { p->run(); });
  pushLog()->info("gateway mode: {} record(s) pushed through {} provider section(s)",
                  push->targets_.size(), push->accounts_.size());
  return push;
}

PushService::~PushService() {
  stop();
}

void PushService::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cancel_->store(true);  // an exchange in progress ends now, not after push timeout
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void PushService::loadState() {
  // Read only when it is a regular file: a FIFO there would block start-up for ever.
  std::string text;
  std::string error;
  const ReadStatus status = readRegularFile(AT_FDCWD, statePath_, kMaxStateFileSize, text, error);
  if (status == ReadStatus::kMissing) {
    return;
  }
  if (status != ReadStatus::kOk) {
    pushLog()->error("ignoring push state file={} error=\"{}\"", statePath_, error);
    return;
  }
  const auto states = providers::parseSyncStates(text, error);
  if (!states) {
    pushLog()->warn("ignoring unreadable push state file={} error=\"{}\"", statePath_, error);
    return;
  }
  for (auto& t : targets_) {
    // The state holds for the same record at the same provider only.
    const auto it = states->find(t.config.label);
    if (it != states->end() && it->second.key == t.sync.state.key) {
      t.sync.restore(it->second);
    }
  }
}

void PushService::saveStateLocked() {
  std::map<std::string, providers::SyncState> states;
  for (const auto& t : targets_) {
    if (!t.sync.state.ip.empty() || t.sync.state.attemptedAt != 0) {
      states[t.config.label] = t.sync.state;
    }
  }
  const int dir = ::open(config_.dataDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  std::string error;
  if (dir < 0 || !writeFileDurably(dir, kStateFile, providers::formatSyncStates(states), error)) {
    pushLog()->error("cannot write push state file={} error=\"{}\"", statePath_,
                     dir < 0 ? std::string("cannot open directory") : error);
  }
  if (dir >= 0) {
    ::close(dir);
  }
}

void PushService::want(const HostRecord& record) {
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& t : targets_) {
      if (t.config.name != record.name) {
        continue;
      }
      const auto& ip = t.config.ipv6 ? record.ipv6 : record.ipv4;
      if (ip && !isPublishable(*ip, true)) {
        // Never published, wherever it came from (a record file edited by hand...).
        pushLog()->error("not pushing an address that is no host's push={} ip={}", t.config.label,
                         ip->toString());
        t.want.reset();
        continue;
      }
      if (!ip || ip->toString() == t.sync.state.ip) {
        t.want.reset();
        continue;
      }
      if (!t.want || *t.want != *ip) {
        t.want = ip;
        t.sync.clearBackoff();  // a new address is tried at once, whatever the backoff said
        queued = true;
      }
    }
  }
  if (queued) {
    wake_.notify_all();
  }
}

void PushService::recordChanged(const std::string&, const HostRecord&, const HostRecord& after) {
  if (!after.expired) {
    want(after);
  }
}

void PushService::recordExpired(const std::string&, const HostRecord& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& t : targets_) {
    if (t.config.name == record.name) {
      t.want.reset();  // nothing left to push; DNS keeps the last address
      pushLog()->info("record expired; DNS keeps its last address push={} name={}", t.config.label,
                      t.record.fqdn());
    }
  }
}

PushStats PushService::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  PushStats s;
  s.failures = failures_;
  for (const auto& t : targets_) {
    s.stopped += t.sync.stopped ? 1 : 0;
    s.queued += t.want && !t.sync.stopped ? 1 : 0;
  }
  return s;
}

PushService::Target* PushService::nextDue(Clock::time_point now,
                                          std::optional<Clock::time_point>& wakeAt) {
  for (auto& t : targets_) {
    if (!t.want || t.sync.stopped) {
      continue;
    }
    if (!t.sync.waiting(now)) {
      return &t;
    }
    if (!wakeAt || *t.sync.retryAt < *wakeAt) {
      wakeAt = t.sync.retryAt;
    }
  }
  return nullptr;
}

void PushService::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    std::optional<Clock::time_point> wakeAt;
    Target* next = nextDue(Clock::now(), wakeAt);
    if (next == nullptr) {
      if (wakeAt) {
        wake_.wait_until(lock, *wakeAt);
      } else {
        wake_.wait(lock);
      }
      continue;
    }
    const std::string label = next->config.label;
    providers::RecordSync& account = *accounts_.at(next->config.account);
    const providers::Record record = next->record;
    const IpAddress ip = *next->want;
    lock.unlock();
    // The exchange runs without the lock: HTTP threads only queue.
    account.newRound();  // each attempt prepares again if the last prepare failed
    const providers::UpdateResult result = account.publish(record, ip);
    lock.lock();
    settleLocked(label, result, ip);
  }
}

void PushService::settleLocked(const std::string& label, const providers::UpdateResult& result,
                               const IpAddress& ip) {
  auto it = std::find_if(targets_.begin(), targets_.end(),
                         [&](const Target& t) { return t.config.label == label; });
  if (it == targets_.end()) {
    return;
  }
  Target& t = *it;
  const auto settled = accounts_.at(t.config.account)->settle(t.sync, result, ip);
  failures_ += result.ok() ? 0 : 1;
  saveStateLocked();
  const providers::Record& record = t.record;
  switch (settled.verdict) {
    case providers::Verdict::kPublished:
      if (t.want && *t.want == ip) {
        t.want.reset();
      }
      pushLog()->info("pushed push={} name={} type={} ip={} result={}", label, record.fqdn(),
                      providers::toString(record.type), t.sync.state.ip,
                      providers::toString(result.status));
      break;
    case providers::Verdict::kStopped:
      pushLog()->error(
          "push refused{}; stopped until the configuration is reloaded push={} name={} "
          "result={} detail=\"{}\"",
          result.status == providers::UpdateStatus::AuthFailed ? ": credentials rejected" : "",
          label, record.fqdn(), providers::toString(result.status), result.detail);
      break;
    case providers::Verdict::kRetry:
      pushLog()->warn("push failed; retrying push={} name={} result={} detail=\"{}\" retry_in={}s",
                      label, record.fqdn(), providers::toString(result.status), result.detail,
                      settled.retryIn.count());
      break;
  }
}

}  // namespace chipmunk::api
