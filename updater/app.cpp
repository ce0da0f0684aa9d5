// SPDX-License-Identifier: MIT
#include "updater/app.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "chipmunk/version.hpp"
#include "common/logging.hpp"
#include "common/pid_file.hpp"
#include "common/utf8.hpp"
#include "updater/command_line.hpp"
#include "updater/status.hpp"
#include "updater/updater.hpp"

namespace chipmunk::updater {
namespace {

using Clock = std::chrono::steady_clock;

void printErrors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) {
    std::cerr << e << "\n";
  }
  std::cerr << "chipmunk-updater: " << errors.size() << " configuration error"
            << (errors.size() == 1 ? "" : "s") << "\n";
}

// Classic double fork: the caller's parent returns at once, the grandchild runs on.
// Returns false in the processes that must exit.
bool daemonize() {
  const pid_t first = ::fork();
  if (first < 0) {
    std::cerr << "chipmunk-updater: fork: " << std::strerror(errno) << "\n";
    std::exit(1);
  }
  if (first > 0) {
    return false;
  }
  ::setsid();
  const pid_t second = ::fork();
  if (second < 0) {
    std::_Exit(1);
  }
  if (second > 0) {
    std::_Exit(0);
  }
  ::umask(027);
  if (::chdir("/") != 0) {
    std::_Exit(1);
  }
  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::close(devnull);
  }
  return true;
}

// True when SIGTERM or SIGINT waits to be taken by the main loop: HTTP transfers then stop.
bool shutdownPending() {
  sigset_t pending;
  sigemptyset(&pending);
  return sigpending(&pending) == 0 &&
         (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1);
}

// The signals the daemon takes synchronously (sigtimedwait).
sigset_t daemonSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) {
    sigaddset(&signals, s);
  }
  return signals;
}

// After a failed load: the providers' own checks (a missing api_key, a bad TSIG secret...)
// belong in the same report, so they are built from what could be read. Nothing is started
// and nothing touches the disk: Updater::create stops once there are errors.
void reportProviderErrors(const config::UpdaterConfig& config,
                          const providers::ProviderRegistry& registry,
                          std::vector<std::string>& errors) {
  config::UpdaterConfig partial = config;
  partial.stateDir.clear();
  Updater::create(partial, registry, errors);
}

std::unique_ptr<Updater> build(const Options& options, config::UpdaterConfig& config,
                               std::vector<std::string>& errors) {
  const auto& registry = providers::ProviderRegistry::builtin();
  if (!loadConfig(options.configPath, registry, config, errors)) {
    reportProviderErrors(config, registry, errors);
    return nullptr;
  }
  return Updater::create(config, registry, errors);
}

// Builds the providers without creating directories or contacting anybody, so that their
// own checks count; false (errors printed) when one fails.
bool providersAccept(const config::UpdaterConfig& config) {
  config::UpdaterConfig checkConfig = config;
  checkConfig.stateDir.clear();
  std::vector<std::string> errors;
  if (!Updater::create(checkConfig, providers::ProviderRegistry::builtin(), errors)) {
    printErrors(errors);
    return false;
  }
  return true;
}

void printWarnings(const config::UpdaterConfig& config) {
  for (const auto& w : config.warnings) {
    std::cerr << "warning: " << w << "\n";
  }
}

// --check-config, once the file loaded.
int checkOnly(const Options& options, const config::UpdaterConfig& config) {
  logging::init("", "off");
  if (!providersAccept(config)) {
    return kExitConfig;
  }
  printWarnings(config);
  std::cout << options.configPath << ": OK\n";
  return 0;
}

// Before forking into the background, where nobody sees standard error: start-up problems
// first. An exit code when one is found.
std::optional<int> checkBeforeFork(const config::UpdaterConfig& config) {
  printWarnings(config);
  if (!providersAccept(config)) {
    return kExitConfig;
  }
  if (!config.logFile.empty()) {
    const int fd = ::open(config.logFile.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
      std::cerr << "chipmunk-updater: cannot open log file " << config.logFile << ": "
                << std::strerror(errno) << "\n";
      return kExitConfig;
    }
    ::close(fd);
  }
  return std::nullopt;
}

// --once: one cycle, its report on standard output, its exit code.
int runOnce(Updater& updater, bool force) {
  const auto report = updater.runCycle(force);
  for (const auto& line : report.lines) {
    // A line may quote a provider's error text: escaped, so that it can neither forge a
    // line nor send control sequences to the operator's terminal.
    std::cout << escapeText(line, logging::kMaxMessageBytes) << "\n";
  }
  const int code = report.exitCode();
  logging::get("updater")->info(
      "one-shot done updated={} unchanged={} retry_later={} auth_failed={} failed={} "
      "discovery_failed={} exit={}",
      report.updated, report.unchanged, report.retryLater, report.authFailed, report.failed,
      report.discoveryFailed ? "yes" : "no", code);
  logging::shutdown();
  return code;
}

// The daemon: a cycle at start, then every interval or when a retry is due, and the
// signals in between (SIGUSR1 reopens the log, SIGUSR2 checks now, SIGHUP reloads,
// SIGTERM and SIGINT stop).
class Daemon {
 public:
  Daemon(const Options& options, std::unique_ptr<Updater> updater)
      : options_(options), updater_(std::move(updater)), force_(options.force) {}

  int run() {
    const std::string pidFile = updater_->config().pidFile;
    if (!pidFile.empty()) {
      std::string error;
      if (!claimPidFile(pidFile, error)) {
        log_->error("cannot write pidfile path={} error=\"{}\"", pidFile, error);
      }
    }
    log_->info("started version={} config={} records={} interval_s={} pid={}", kVersion,
               options_.configPath, updater_->config().records.size(),
               updater_->config().interval.count(), ::getpid());
    logging::flush();
    updater_->startWatches();
    while (step()) {
    }
    updater_.reset();  // its watches stop (and log) before the log closes
    if (!pidFile.empty()) {
      releasePidFile(pidFile);
    }
    log_->info("stopped");
    logging::shutdown();
    return 0;
  }

 private:
  // A cycle when one is due, then a wait for the next event; false once told to stop.
  bool step() {
    if (runNow_) {
      const CycleReport report = updater_->runCycle(force_);
      force_ = false;
      runNow_ = false;
      nextCheck_ = Clock::now() + nextCheckAfter(report);
      logging::flush();
    }
    const int sig = waitForSignal();
    if (sig == 0) {
      runNow_ = true;  // the interval passed or a retry is due
    } else if (sig == SIGUSR1) {
      logging::reopen();
      log_->info("log file reopened");
      logging::flush();
    } else if (sig == SIGUSR2) {
      log_->info("check requested signal=USR2");
      runNow_ = true;
    } else if (sig == SIGHUP) {
      reload();
    } else if (sig > 0) {
      log_->info("shutting down signal={}", sig == SIGTERM ? "TERM" : "INT");
      return false;
    }
    return true;
  }

  // The wait before the next check: the interval, or after a failed discovery (every
  // source down, no agreement) a backoff: retry_min, doubled per consecutive failure, never
  // longer than the interval or retry_max. A network outage is noticed quickly once it
  // ends, and the echo services are never asked more often than every retry_min.
  std::chrono::seconds nextCheckAfter(const CycleReport& report) {
    const auto& c = updater_->config();
    if (!report.discoveryFailed) {
      discoveryFailures_ = 0;
      return c.interval;
    }
    ++discoveryFailures_;
    auto wait = c.retryMin;
    const auto longest = std::min(c.interval, c.retryMax);
    for (int i = 1; i < discoveryFailures_ && wait < longest; ++i) {
      wait *= 2;
    }
    wait = std::min(wait, longest);
    log_->warn("discovery failed consecutive={} next_attempt_s={}", discoveryFailures_,
               wait.count());
    return wait;
  }

  // The signal taken before the next check or retry is due; 0 when none came in time, -1
  // when the wait failed otherwise.
  int waitForSignal() const {
    auto wake = nextCheck_;
    for (const auto& due : {updater_->nextRetry(), updater_->nextVerify()}) {
      if (due && *due < wake) {
        wake = *due;
      }
    }
    const auto left = std::max<Clock::duration>(wake - Clock::now(), Clock::duration::zero());
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec timeout{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    const sigset_t signals = daemonSignals();
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig < 0) {
      return errno == EAGAIN ? 0 : -1;
    }
    return sig;
  }

  // SIGHUP: the new configuration replaces the running one only when all of it is good.
  void reload() {
    config::UpdaterConfig fresh;
    std::vector<std::string> errors;
    auto next = build(options_, fresh, errors);
    if (!next) {
      for (const auto& e : errors) {
        log_->error("config reload rejected: {}", e);
      }
      log_->error("config reload rejected errors={}; still running the previous configuration",
                  errors.size());
      logging::flush();
      return;
    }
    for (const auto& w : fresh.warnings) {
      log_->warn("{}", w);
    }
    if (fresh.logFile != updater_->config().logFile) {
      try {
        logging::init(fresh.logFile, fresh.logLevel);
        log_ = logging::get("updater");
      } catch (const std::exception& e) {
        log_->error("cannot open the new log file; keeping the old one error=\"{}\"", e.what());
      }
    }
    logging::setLevel(fresh.logLevel);
    updater_ = std::move(next);  // the old one's watches stop first
    updater_->startWatches();
    log_->info("config reloaded records={} interval_s={}", fresh.records.size(),
               fresh.interval.count());
    runNow_ = true;
  }

  const Options& options_;
  std::unique_ptr<Updater> updater_;
  std::shared_ptr<spdlog::logger> log_ = logging::get("updater");
  bool force_;
  bool runNow_ = true;
  int discoveryFailures_ = 0;  // consecutive cycles whose discovery failed
  Clock::time_point nextCheck_ = Clock::now();
};

// Signals are taken synchronously (sigwait): blocked before any thread starts. HTTP
// transfers stop early once SIGTERM or SIGINT is pending.
void takeSignals(bool once) {
  ::signal(SIGPIPE, SIG_IGN);
  if (!once) {
    const sigset_t signals = daemonSignals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    providers::setInterruptCheck(&shutdownPending);
  }
}

// Logging, the updater, then one cycle or the daemon loop.
int run(const Options& options, const config::UpdaterConfig& config) {
  try {
    logging::init(config.logFile, config.logLevel);
  } catch (const std::exception& e) {
    std::cerr << "chipmunk-updater: " << e.what() << "\n";
    return kExitConfig;
  }
  for (const auto& w : config.warnings) {
    logging::get("updater")->warn("{}", w);
  }
  std::vector<std::string> errors;
  config::UpdaterConfig used = config;
  if (options.dryRun) {
    for (auto& source : used.sources) {
      source.chipmunkSet = false;  // /set would record the address on the server: a write
    }
  }
  auto updater =
      Updater::create(used, providers::ProviderRegistry::builtin(), errors, options.dryRun);
  if (!updater) {
    printErrors(errors);
    return kExitConfig;
  }
  if (options.once) {
    return runOnce(*updater, options.force);
  }
  return Daemon(options, std::move(updater)).run();
}

}  // namespace

int runMain(int argc, char** argv) {
  Options options;
  if (const auto done = parseCommandLine(argc, argv, options, std::cout, std::cerr)) {
    return *done;
  }
  config::UpdaterConfig config;
  std::vector<std::string> errors;
  // Checking the config builds the providers too, so that a provider's own checks count.
  // Building contacts nobody.
  const auto& registry = providers::ProviderRegistry::builtin();
  if (!loadConfig(options.configPath, registry, config, errors)) {
    reportProviderErrors(config, registry, errors);
    printErrors(errors);
    return kExitConfig;
  }
  if (options.checkOnly) {
    return checkOnly(options, config);
  }
  if (options.status) {
    std::cout << formatStatus(readStatus(config), static_cast<long long>(std::time(nullptr)),
                              options.json);
    return 0;
  }
  const bool background = !options.once && (options.daemon || config.daemonize);
  if (background) {
    if (const auto failed = checkBeforeFork(config)) {
      return *failed;
    }
    if (!daemonize()) {
      return 0;  // the parent
    }
  }
  takeSignals(options.once);
  return run(options, config);
}

}  // namespace chipmunk::updater
