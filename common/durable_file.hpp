// SPDX-License-Identifier: MIT
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>

namespace chipmunk {

// Writes `content` to dirFd/name so that a crash at any instant leaves the old or the new
// content, never a torn or empty file: a temporary file (".<name>.tmp") in the same
// directory, fsync, rename over the target, fsync of the directory. On failure returns
// false with the reason in `error`, and the target is untouched. Whatever sits at the
// temporary name (a stale file, a FIFO, a symlink) is removed first, and the temporary file
// is created anew (O_EXCL): nothing already there is ever opened.
bool writeFileDurably(int dirFd, const std::string& name, const std::string& content,
                      std::string& error, mode_t mode = 0644);

// The first half of writeFileDurably: `content` written to dirFd/".<name>.tmp" and fsynced,
// not yet renamed. For callers that rename many files and fsync their directory once. With
// `sync` false the fsync is left out: for callers whose durability comes from elsewhere (the
// file store's journal, api/group_commit.hpp). On failure nothing is left at the temporary
// name.
bool stageFileDurably(int dirFd, const std::string& name, const std::string& content,
                      std::string& error, mode_t mode = 0644, bool sync = true);

enum class ReadStatus { kOk, kMissing, kNotRegular, kTooLarge, kRefused, kError };

struct ReadOptions {
  // A configuration file may be a link (a drop-in shared between hosts, a mounted secret);
  // what a program finds in its data or state directory is never followed.
  bool followSymlinks = false;
  // What the caller refuses in the opened file's status (owner, mode), checked before a
  // byte is read: a non-empty text makes the read kRefused with that text as `error`.
  std::function<std::string(const struct stat&)> check;
};

// Reads dirFd/name (dirFd may be AT_FDCWD) when it is a regular file of at most `maxSize`
// bytes. Never blocks: a FIFO, socket or device is not read (opened with O_NONBLOCK |
// O_NOCTTY, then refused after fstat of the opened descriptor), a directory neither; the
// file is read as it comes, so memory follows the file, not the bound. On anything but
// kOk, `error` says why ("no such file", "not a regular file", "larger than N bytes",
// "open: REASON"...) and `out` is empty.
ReadStatus readRegularFile(int dirFd, const std::string& name, size_t maxSize, std::string& out,
                           std::string& error, const ReadOptions& options = {});

}  // namespace chipmunk
