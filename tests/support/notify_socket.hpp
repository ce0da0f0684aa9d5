// SPDX-License-Identifier: MIT
#pragma once

// A stand-in for systemd's notification socket: a datagram socket in a temporary directory
// that collects what a program sends to $NOTIFY_SOCKET, and a scoped environment variable
// to point the programs a test starts at it.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace chipmunk::test {

class NotifySocket {
 public:
  // Binds `<dir>/notify` (or, when `abstractName` is set, "@" + that abstract name).
  explicit NotifySocket(const std::string& abstractName = {});
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // The value for $NOTIFY_SOCKET.
  const std::string& address() const { return address_; }
  // Every datagram received so far, in order (reads what is waiting, never blocks).
  const std::vector<std::string>& messages();
  // Waits until a datagram contains `text` (a line such as "READY=1"); its index, or nullopt
  // after `timeout`.
  std::optional<size_t> waitFor(const std::string& text, std::chrono::milliseconds timeout);
  size_t count(const std::string& text);

 private:
  TempDir dir_;
  std::string address_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

// Sets an environment variable for the life of the object (empty value: unsets it), then
// restores what was there.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// "DEV:INODE" of a file, as systemd writes $JOURNAL_STREAM.
std::string deviceInode(const std::string& path);

}  // namespace chipmunk::test
