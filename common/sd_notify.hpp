// SPDX-License-Identifier: MIT
#pragma once

// The service manager's notification protocol, spoken directly: one datagram of
// "KEY=value" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an abstract
// name written with a leading '@'). https://www.freedesktop.org/software/systemd/man/sd_notify.html
// No libsystemd: the protocol is a documented sendto(2), and chipmunk-updater links
// statically (a libsystemd.so dependency for a dozen lines is not worth it).
//
//   sd::notify("READY=1\nSTATUS=serving on 127.0.0.1:8080");
//
// Outside systemd (no $NOTIFY_SOCKET) every call is a cheap no-op.

#include <chrono>
#include <string>

namespace chipmunk::sd {

// Sends `state` (newline-separated assignments) to $NOTIFY_SOCKET. False when the
// variable is unset, names an address we cannot use, or the send failed.
bool notify(const std::string& state);

// RELOADING=1 with the MONOTONIC_USEC= systemd asks for (Type=notify-reload); READY=1
// ends the reload.
bool reloading();

// STATUS=`text`, one line: line breaks become spaces, at most 512 bytes.
bool status(const std::string& text);

// Half of $WATCHDOG_USEC when systemd expects WATCHDOG=1 pings from this process
// ($WATCHDOG_PID unset or ours); zero otherwise.
std::chrono::microseconds watchdogInterval();

// Pings the watchdog from a loop that calls due() before it waits: the wait must not be
// longer than what due() returns. A loop that hangs stops pinging, and systemd restarts it.
class Watchdog {
 public:
  Watchdog() : interval_(watchdogInterval()) {}
  bool enabled() const { return interval_.count() > 0; }
  // Sends WATCHDOG=1 when half the watchdog time has passed since the last ping; returns
  // how long the caller may wait before it calls again (a day when the watchdog is off).
  std::chrono::milliseconds ping();

 private:
  std::chrono::microseconds interval_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace chipmunk::sd
