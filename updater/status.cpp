// SPDX-License-Identifier: MIT
#include "updater/status.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ctime>

#include "common/utf8.hpp"
#include "providers/provider.hpp"
#include "updater/state_store.hpp"

namespace chipmunk::updater {
namespace {

// "2026-11-30 23:00:00 UTC (12m ago)"; "never" for 0.
std::string when(long long at, long long now) {
  if (at <= 0) {
    return "never";
  }
  const std::time_t t = static_cast<std::time_t>(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  const long long delta = at - now;
  const long long abs = delta < 0 ? -delta : delta;
  const std::string span = abs < 120      ? std::to_string(abs) + "s"
                           : abs < 7200   ? std::to_string(abs / 60) + "m"
                           : abs < 172800 ? std::to_string(abs / 3600) + "h"
                                          : std::to_string(abs / 86400) + "d";
  return std::string(text) + (delta < 0 ? " (" + span + " ago)" : " (in " + span + ")");
}

std::string lastSuccess(const RecordStatus& r, long long now) {
  return r.state.pushedAt > 0 ? when(r.state.pushedAt, now) : "never";
}

std::string lastError(const RecordStatus& r, long long now) {
  if (r.state.lastError.empty()) {
    return "none";
  }
  return when(r.state.errorAt, now) + ": " + escapeText(r.state.lastError, 300);
}

std::string nextAttempt(const RecordStatus& r, long long now) {
  if (!r.state.stopped.empty()) {
    return "stopped (" + r.state.stopped + ") until the configuration is reloaded";
  }
  return r.state.nextAt > 0 ? when(r.state.nextAt, now) : "at the next check";
}

std::string text(const std::vector<RecordStatus>& records, long long now) {
  std::string out;
  for (const auto& r : records) {
    out += r.record + ": " + r.host + " " + r.type + " at " + r.provider + "\n";
    if (!r.hasState) {
      out += "  no state yet (never attempted)\n";
      continue;
    }
    out += "  address:      " + (r.state.ip.empty() ? std::string("none") : r.state.ip) + "\n";
    out += "  last success: " + lastSuccess(r, now) + "\n";
    out += "  last result:  " + (r.state.lastResult.empty() ? "-" : r.state.lastResult) +
           (r.state.failures > 0 ? " (" + std::to_string(r.state.failures) + " failures)" : "") +
           "\n";
    out += "  last error:   " + lastError(r, now) + "\n";
    out += "  verified:     " + when(r.state.verifiedAt, now) + "\n";
    out += "  next attempt: " + nextAttempt(r, now) + "\n";
  }
  return out;
}

std::string json(const std::vector<RecordStatus>& records) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  const auto str = [&w](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  // A time of 0 (unknown, never) is null.
  const auto time = [&w](const char* key, long long value) {
    w.Key(key);
    value > 0 ? w.Int64(value) : w.Null();
  };
  w.StartObject();
  w.Key("records");
  w.StartArray();
  for (const auto& r : records) {
    w.StartObject();
    str("record", r.record);
    str("host", r.host);
    str("type", r.type);
    str("provider", r.provider);
    str("address", r.state.ip);
    time("last_success", r.state.pushedAt);
    time("last_attempt", r.state.attemptedAt);
    str("last_result", r.state.lastResult);
    str("last_error", r.state.lastError.substr(0, 300));
    time("last_error_at", r.state.errorAt);
    time("verified_at", r.state.verifiedAt);
    time("next_attempt", r.state.stopped.empty() ? r.state.nextAt : 0);
    w.Key("failures");
    w.Int(r.state.failures);
    str("stopped", r.state.stopped);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

}  // namespace

std::vector<RecordStatus> readStatus(const config::UpdaterConfig& config) {
  StateStore store(config.stateDir);
  store.openExisting();
  std::vector<RecordStatus> out;
  for (const auto& rc : config.records) {
    const providers::Record record{
        rc.name, rc.host, rc.domain,
        rc.ipv6 ? providers::RecordType::AAAA : providers::RecordType::A};
    RecordStatus s;
    s.record = rc.name;
    s.host = record.fqdn();
    s.type = providers::toString(record.type);
    s.provider = rc.account;
    if (auto state = store.load(rc.name);
        state && state->key == providers::recordKey(rc.account, record)) {
      s.hasState = true;
      s.state = *state;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string formatStatus(const std::vector<RecordStatus>& records, long long now, bool asJson) {
  return asJson ? json(records) : text(records, now);
}

}  // namespace chipmunk::updater
