// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace chipmunk::test {

// A Unix-socket proxy in front of a server (PostgreSQL's socket), on loopback only: each
// connection to the socket `name` in `directory()` is relayed to `target`. cutAfter(marker) makes
// it lose one answer, as a network that drops between a statement and its reply: the next time the
// client sends bytes holding `marker`, they are passed on, the server is given `grace` to
// act on them, and the connection is closed both ways without a byte of the server's
// answer. Bounded: at most kMaxConnections at once, each relayed by a thread of its own.
class CuttingProxy {
 public:
  static constexpr size_t kMaxConnections = 32;

  // `target`: the server's socket path. `name`: the socket's file name in the proxy's own
  // directory (".s.PGSQL.5432" for libpq's host=<directory()> port=5432).
  CuttingProxy(std::string target, const std::string& name);
  ~CuttingProxy();
  CuttingProxy(const CuttingProxy&) = delete;
  CuttingProxy& operator=(const CuttingProxy&) = delete;

  bool listening() const { return listener_ >= 0; }
  std::string directory() const { return dir_.path(); }
  void cutAfter(const std::string& marker, int graceMs = 300);
  int cuts() const { return cuts_.load(); }

 private:
  void acceptLoop();
  void relay(int client);

  TempDir dir_;
  std::string target_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> cuts_{0};
  std::atomic<size_t> open_{0};
  std::mutex mutex_;
  std::string marker_;  // "" when not armed
  int graceMs_ = 300;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace chipmunk::test
