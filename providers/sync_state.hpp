// SPDX-License-Identifier: MIT
#pragma once

// The one on-disk form of "what was last published for a record", shared by the updater
// (one <record>.state file per record in state_dir) and gateway push (every [push:LABEL] in
// <client_update_dir>/.push-state.json). Both write the same JSON object per record:
//   {"format":2,"record":"home","key":"linode home.example.com A","ip":"203.0.113.7",
//    "pushed_at":1700000000,"attempted_at":1700000000,"last_result":"updated",
//    "detail":"...","failures":0,"stopped":""}
// and both read the two formats written before it: the updater's (format 1: "fingerprint"
// instead of "key") and gateway push's ({"key","ip"} only).

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace chipmunk::providers {

inline constexpr int kSyncStateFormat = 2;

struct SyncState {
  std::string key;         // recordKey(): provider section, name and type; state of another
                           // record is ignored
  std::string ip;          // last address the provider accepted; empty: none yet
  long long pushedAt = 0;  // when (Unix seconds; 0: unknown)
  long long attemptedAt = 0;
  std::string lastResult;  // toString(UpdateStatus) of the last attempt
  std::string detail;      // its detail (cut at 300 bytes when written)
  // Backoff and stop as they stood when written, for operators: a restart, like a reload,
  // tries again at once (RecordSync::restore does not bring them back).
  int failures = 0;     // consecutive failures
  std::string stopped;  // the result that stopped the record until a reload; empty: none
  // For --status (written only when set, so that gateway push's file is unchanged): the
  // last failure and when, the last read-back that matched, and when the updater means to
  // look at the record next (a retry, a verification or the next check).
  std::string lastError;
  long long errorAt = 0;
  long long verifiedAt = 0;
  long long nextAt = 0;
  // The updater's alerts (written only when set): "failure" or "stop" once that alert was
  // sent and no success followed, so that a restart neither alerts again nor forgets to
  // send the recovery.
  std::string notified;
};

// One record's state as a JSON object (format 2).
std::string formatSyncState(const std::string& record, const SyncState& state);
// A record's state from one JSON object of any of the three formats; nullopt when `text` is
// not a JSON object (a damaged file is as good as none: the next attempt rewrites it).
std::optional<SyncState> parseSyncState(std::string_view text);

// Several records' states in one JSON object keyed by label (gateway push's file).
std::string formatSyncStates(const std::map<std::string, SyncState>& states);
// Their reverse; nullopt with `error` when `text` is not a JSON object. Members that are not
// objects are skipped.
std::optional<std::map<std::string, SyncState>> parseSyncStates(std::string_view text,
                                                                std::string& error);

}  // namespace chipmunk::providers
