// SPDX-License-Identifier: MIT
#include "common/logging.hpp"

#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "common/utf8.hpp"

namespace chipmunk::logging {
namespace {

// Every line of both programs goes through this: values from the network (a provider's
// error text, a discovery reply, a request's fields) must not start a line of their own,
// carry terminal escapes or bidi overrides, or make a line megabytes long, whichever log
// call prints them. Clean lines (printable ASCII, at most kMaxMessageBytes) pass unchanged.
class EscapingSink final : public spdlog::sinks::sink {
 public:
  explicit EscapingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

  // spdlog::sinks::sink
  void log(const spdlog::details::log_msg& msg) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const bool clean =
        payload.size() <= kMaxMessageBytes &&
        std::all_of(payload.begin(), payload.end(), [](char c) {
          return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
        });
    if (clean) {
      inner_->log(msg);
      return;
    }
    const std::string escaped = escapeText(payload, kMaxMessageBytes);
    spdlog::details::log_msg copy(msg);
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    inner_->log(copy);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

// A file sink that can be reopened: spdlog's basic_file_sink cannot.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(const std::string& path) { file_.open(path, false); }

  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    file_.reopen(false);
  }

 protected:
  // spdlog::sinks::base_sink
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    // Buffered: flushed every second, on warnings and on reopen (see init()), so a busy
    // server does not pay a write(2) per request line.
    file_.write(formatted);
  }
  void flush_() override { file_.flush(); }

 private:
  spdlog::details::file_helper file_;
};

// Standard error connected to the journal: each line starts with its syslog priority ("<3>"
// for errors, sd-daemon.h), which journald strips and keeps as the entry's priority, and
// carries no time (journald records its own).
class JournalStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  // spdlog::sinks::base_sink
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    const std::string prefix = "<" + std::to_string(priority(msg.level)) + ">";
    std::fwrite(prefix.data(), 1, prefix.size(), stderr);
    std::fwrite(formatted.data(), 1, formatted.size(), stderr);
    std::fflush(stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  static int priority(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::critical:
        return 2;
      case spdlog::level::err:
        return 3;
      case spdlog::level::warn:
        return 4;
      case spdlog::level::info:
        return 6;
      default:
        return 7;
    }
  }
};

// True when $JOURNAL_STREAM names standard error's device and inode ("DEV:INODE" in
// decimal, systemd.exec(5)): standard error goes to the journal, not redirected elsewhere.
bool stderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (stream == nullptr || ::fstat(STDERR_FILENO, &st) != 0) {
    return false;
  }
  const std::string expected = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                               std::to_string(static_cast<unsigned long long>(st.st_ino));
  return expected == stream;
}

constexpr const char* kPattern = "%Y-%m-%dT%H:%M:%S.%e%z %l %n: %v";
constexpr const char* kJournalPattern = "%l %n: %v";

// The escaping sink to standard error, in the journal's form when it goes to the journal.
std::shared_ptr<spdlog::sinks::sink> stderrSink() {
  const bool journal = stderrIsJournal();
  std::shared_ptr<spdlog::sinks::sink> inner;
  if (journal) {
    inner = std::make_shared<JournalStderrSink>();
  } else {
    inner = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  auto sink = std::make_shared<EscapingSink>(std::move(inner));
  sink->set_pattern(journal ? kJournalPattern : kPattern);
  return sink;
}

struct State {
  std::mutex mutex;
  std::shared_ptr<spdlog::sinks::sink> sink;
  std::shared_ptr<ReopenableFileSink> fileSink;
  spdlog::level::level_enum level = spdlog::level::info;
};

State& state() {
  static State s;
  return s;
}

}  // namespace

void init(const std::string& file, const std::string& level) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (file.empty()) {
    s.fileSink.reset();
    s.sink = stderrSink();
  } else {
    try {
      s.fileSink = std::make_shared<ReopenableFileSink>(file);
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error(std::string("cannot open log file: ") + e.what());
    }
    s.sink = std::make_shared<EscapingSink>(s.fileSink);
    s.sink->set_pattern(kPattern);
  }
  s.level = spdlog::level::from_str(level);
  spdlog::drop_all();
  auto fallback = std::make_shared<spdlog::logger>("chipmunk", s.sink);
  fallback->set_level(s.level);
  spdlog::set_default_logger(fallback);
  static std::once_flag flusher;
  std::call_once(flusher, [] { spdlog::flush_every(std::chrono::seconds(1)); });
}

void reopen() {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.fileSink) {
    s.fileSink->reopen();
  }
}

void setLevel(const std::string& level) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.level = spdlog::level::from_str(level);
  spdlog::set_level(s.level);
}

void flush() {
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
}

void shutdown() {
  flush();
  spdlog::shutdown();
}

std::shared_ptr<spdlog::logger> get(const std::string& name) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  if (!s.sink) {
    s.sink = stderrSink();
  }
  auto logger = std::make_shared<spdlog::logger>(name, s.sink);
  logger->set_level(s.level);
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace chipmunk::logging
