// SPDX-License-Identifier: MIT
#pragma once

// One [wireguard:IFACE] section at work: publishes the interface to chipmunk-api (/set with
// its metadata, only when it changed), points the peers already on the interface at the
// records that hold their keys, and in the daemon holds a /hosts?wait= long-poll open on a
// thread of its own, so that a peer's change is followed in seconds.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/updater_config.hpp"
#include "providers/http/client.hpp"
#include "updater/mesh_records.hpp"

namespace chipmunk::updater {

struct MeshResult {
  std::vector<std::string> lines;  // for --once
  bool failed = false;
};

class WireguardMesh {
 public:
  // `stateDirFd`: the state directory (-1: nothing remembered between runs).
  WireguardMesh(config::WireguardConfig config, const providers::HttpOptions& http, int stateDirFd,
                bool dryRun);
  ~WireguardMesh();  // stops the watch
  WireguardMesh(const WireguardMesh&) = delete;
  WireguardMesh& operator=(const WireguardMesh&) = delete;

  // Publish (when enabled and changed), then sync (when enabled).
  MeshResult run();
  // Daemon: starts the watch thread (watch > 0 and sync on). `fallback`: the longest wait
  // after an error (the daemon's interval takes over anyway).
  void startWatch(std::chrono::seconds fallback);
  // The base URL of chipmunk-api, as [ChipmunkAPIServer] endpoint gives it.
  const std::string& baseUrl() const { return base_; }

 private:
  // Holding mutex_.
  void publish(const WgDump& dump, const std::optional<GatewayInfo>& gateway, MeshResult& out);
  bool readAllHosts(providers::HttpClient& client, std::vector<MeshRecord>& records,
                    std::string& error);
  void syncPeers(const WgDump& dump, const MeshSelf& self, const std::vector<MeshRecord>& records,
                 MeshResult& out);
  void addPeers(const WgDump& dump, const MeshSelf& self, const std::vector<MeshRecord>& records,
                MeshResult& out);
  PublishFields publishFields(const WgDump& dump, const std::optional<GatewayInfo>& gateway) const;
  std::string lastPublished() const;
  void rememberPublished(const std::string& query);
  providers::HttpRequest request(const std::string& pathAndQuery) const;
  void watchLoop(std::chrono::seconds fallback);
  std::string currentVersion();
  bool serverWithoutWatch();
  // Waits up to `delay`; false once stopping.
  bool pause(std::chrono::seconds delay);

  config::WireguardConfig config_;
  providers::HttpOptions http_;
  std::string base_;
  int stateDirFd_ = -1;
  bool dryRun_ = false;
  std::string published_;  // without a state directory: what was published in this process

  std::mutex mutex_;           // one run at a time: the daemon's cycle and the watch
  std::string version_;        // /hosts version last read (guarded by mutex_)
  bool withoutWatch_ = false;  // /hosts answered without a version (guarded by mutex_)
  std::shared_ptr<std::atomic<bool>> stop_ = std::make_shared<std::atomic<bool>>(false);
  std::mutex waitMutex_;
  std::condition_variable wake_;
  std::thread watch_;
};

}  // namespace chipmunk::updater
