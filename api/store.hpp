#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ip.hpp"

namespace chipmunk::api {

// What the service knows of one user's machine. Times are Unix seconds (0: never).
struct HostRecord {
  std::string name;
  std::optional<IpAddress> ip;  // the current address, as in <name>.cm
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;
  int64_t firstSeen = 0;
  int64_t changedAt = 0;
  int64_t lastSeen = 0;
};

enum class SetOutcome { kSaved, kUnchanged, kFailed };

// Where records live. The routes only talk to this interface, so a database store can
// replace the file store without touching them. Implementations are thread-safe.
class Store {
 public:
  virtual ~Store() = default;
  // Records that `user` was seen at `ip` at `now`. kSaved when the address changed (or is
  // new) and was written durably; kUnchanged when it was already the current one; kFailed
  // when it could not be written, in which case the previous record is intact.
  virtual SetOutcome recordIp(const std::string& user, const IpAddress& ip, int64_t now) = 0;
  virtual std::optional<HostRecord> get(const std::string& user) = 0;
  // Writes out soft data (last-seen times) that recordIp() keeps in memory.
  virtual void flush() = 0;
};

}  // namespace chipmunk::api
