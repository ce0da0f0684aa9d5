// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>

#include "common/durable_file.hpp"
#include "providers/sync_state.hpp"

namespace chipmunk::updater {

// What is remembered about one record between runs: the format gateway push shares
// (providers/sync_state.hpp). Files of the updater's format 1 still load.
using RecordState = providers::SyncState;

// One small JSON file per record in the state directory, replaced atomically and durably
// (write a temporary file, fsync, rename, fsync the directory), so a crash leaves the old
// or the new state, never a torn one.
class StateStore {
 public:
  explicit StateStore(std::string dir);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Creates the directory if needed. False (with `error`) when it cannot be used; the
  // updater then keeps state in memory only.
  bool open(std::string& error);
  // Opens the directory only if it exists, creating nothing (--dry-run, --status); false
  // when it cannot be opened (no state then).
  bool openExisting();
  bool isOpen() const { return dirFd_ >= 0; }
  const std::string& dir() const { return dir_; }
  int dirFd() const { return dirFd_; }  // -1 when not open

  std::optional<RecordState> load(const std::string& record) const;
  bool save(const std::string& record, const RecordState& state, std::string& error);

  // The file name used for a record: unsafe characters become '_'.
  static std::string fileName(const std::string& record);

 private:
  std::string dir_;
  int dirFd_ = -1;
};

using chipmunk::writeFileDurably;  // durable_file.hpp

}  // namespace chipmunk::updater
