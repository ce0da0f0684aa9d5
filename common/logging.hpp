// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace chipmunk::logging {

// The longest message a log line carries (before the time, level and logger name): a
// longer one is cut there. Every message is escaped first (utf8.hpp, escapeText): a line
// break, another control character, a malformed UTF-8 byte or a bidi override in a logged
// value never reaches the log as such.
inline constexpr size_t kMaxMessageBytes = 4096;

// Sets up the process-wide log: to `file` (appending; reopened by reopen()) or, when
// `file` is empty, to standard error. Loggers made by get() share it. Throws
// std::runtime_error if the file cannot be opened. When standard error is the journal
// ($JOURNAL_STREAM names its device and inode), its lines start with the syslog priority
// ("<4>" for a warning) and carry no time: journald keeps both.
void init(const std::string& file, const std::string& level);
// Reopens the log file under its configured name (after logrotate moved it). Safe to call
// from any thread; no-op when logging to standard error.
void reopen();
void setLevel(const std::string& level);
void flush();
void shutdown();
// A named logger ("api", "updater", "provider.linode") writing to the shared sink.
std::shared_ptr<spdlog::logger> get(const std::string& name);

}  // namespace chipmunk::logging
