// SPDX-License-Identifier: MIT
#pragma once

// chipmunk-updater --status: what the state files say about each configured record (its
// address, last success, last error, next attempt), read without a running daemon and
// without the network. Human-readable, or JSON with --json.

#include <map>
#include <string>
#include <vector>

#include "config/updater_config.hpp"
#include "providers/sync_state.hpp"

namespace chipmunk::updater {

// One configured record and its saved state (none: never attempted, or the file belongs
// to another record).
struct RecordStatus {
  std::string record;  // the label
  std::string host;    // fully qualified
  std::string type;    // A or AAAA
  std::string provider;
  bool hasState = false;
  providers::SyncState state;
};

// The records of `config` with the states in its state_dir (nothing is created).
std::vector<RecordStatus> readStatus(const config::UpdaterConfig& config);

// The report at `now` (Unix seconds): aligned text, or one JSON object {"records":[...]}.
std::string formatStatus(const std::vector<RecordStatus>& records, long long now, bool asJson);

}  // namespace chipmunk::updater
