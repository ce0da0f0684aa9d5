// SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <memory>
#include <string>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace chipmunk::test {

// A real chipmunk-api process on a free loopback port, with its own data directory,
// config file and log file in a temporary directory.
class ApiInstance {
 public:
  // `sections` is INI text added to the generated config; it must not repeat [Paths] or
  // [Log] unless `fullConfig` is true, in which case it is the whole file.
  explicit ApiInstance(const std::string& sections, bool fullConfig = false);
  ~ApiInstance();

  // Starts the server and waits until it logs its bound address. Returns false (with the
  // log in `startupLog()`) if it exits or does not come up within 10 s.
  bool start(const std::string& listen = "127.0.0.1:0");
  void stop(int sig = 15);
  int port() const { return port_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  ChildProcess& process() { return *process_; }

  const TempDir& dir() const { return dir_; }
  std::string dataDir() const { return dir_.file("data"); }
  std::string configPath() const { return dir_.file("chipmunk-api.ini"); }
  std::string logPath() const { return dir_.file("api.log"); }
  std::string stderrPath() const { return dir_.file("stderr.txt"); }
  std::string log() const;  // log file + stderr
  void rewriteConfig(const std::string& sections, bool fullConfig = false);
  // Waits until the log contains `text` (counting from the start of the log file).
  bool waitForLog(const std::string& text,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

}  // namespace chipmunk::test
