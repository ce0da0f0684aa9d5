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
#include <iostream>
#include <string>
#include <vector>

#include "chipmunk/version.hpp"
#include "common/logging.hpp"
#include "common/pid_file.hpp"
#include "common/utf8.hpp"
#include "updater/updater.hpp"

namespace chipmunk::updater {
namespace {

constexpr const char* kDefaultConfig = "/etc/chipmunk/chipmunk-updater.ini";

void usage(std::ostream& out) {
  out << "Usage: chipmunk-updater [--config FILE] [--once] [--daemon] [--check-config]\n"
         "                        [--force] [--list-providers] [--version] [--help]\n"
         "\n"
         "Discovers this machine's public address and keeps DNS records pointing at it.\n"
         "\n"
         "  --config FILE   configuration file (default "
      << kDefaultConfig
      << ")\n"
         "  --once          check and update once, then exit (see exit status)\n"
         "  --daemon        fork into the background and write [Daemon] pidfile\n"
         "                  (also [Global] daemonize = yes); default: stay in the foreground\n"
         "  --check-config  validate the configuration, print every problem, exit\n"
         "  --force         push every record even when the state says it is current\n"
         "  --help-config   list every fixed setting with its default and meaning\n"
         "  --list-providers  list the providers: name, service, A/AAAA, API documentation\n"
         "                  (--list-providers=markdown: the table the docs include)\n"
         "  --version       print the version\n"
         "\n"
         "Signals (daemon): SIGUSR1 reopens the log file (inadyn uses SIGUSR1 to force an\n"
         "update; here that is SIGUSR2), SIGUSR2 checks now, SIGHUP reloads the\n"
         "configuration (a broken file is rejected and the old one kept), SIGTERM/SIGINT\n"
         "exit cleanly.\n"
         "Exit status: 0 up to date, 1 failure (discovery, record failed or not found),\n"
         "2 bad configuration or usage, 3 provider refused credentials, 75 temporary\n"
         "failure (retry later).\n";
}

void printErrors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) {
    std::cerr << e << "\n";
  }
  std::cerr << "chipmunk-updater: " << errors.size() << " configuration error"
            << (errors.size() == 1 ? "" : "s") << "\n";
}

std::string absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') {
    return path;
  }
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) {
    return path;
  }
  return std::string(cwd) + "/" + path;
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

struct Options {
  std::string configPath = kDefaultConfig;
  bool once = false;
  bool daemon = false;
  bool checkOnly = false;
  bool force = false;
};

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

int runDaemon(const Options& options, std::unique_ptr<Updater> updater) {
  auto log = logging::get("updater");
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) {
    sigaddset(&signals, s);
  }
  const std::string pidFile = updater->config().pidFile;
  if (!pidFile.empty()) {
    std::string error;
    if (!claimPidFile(pidFile, error)) {
      log->error("cannot write pidfile path={} error=\"{}\"", pidFile, error);
    }
  }
  log->info("started version={} config={} records={} interval_s={} pid={}", kVersion,
            options.configPath, updater->config().records.size(),
            updater->config().interval.count(), ::getpid());
  logging::flush();

  using Clock = std::chrono::steady_clock;
  bool force = options.force;
  bool runNow = true;
  auto nextCheck = Clock::now();
  for (;;) {
    if (runNow) {
      updater->runCycle(force);
      force = false;
      runNow = false;
      nextCheck = Clock::now() + updater->config().interval;
      logging::flush();
    }
    auto wake = nextCheck;
    if (const auto retry = updater->nextRetry(); retry && *retry < wake) {
      wake = *retry;
    }
    const auto left = std::max<Clock::duration>(wake - Clock::now(), Clock::duration::zero());
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec timeout{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig < 0) {
      if (errno == EAGAIN) {
        runNow = true;  // the interval passed or a retry is due
      }
      continue;
    }
    if (sig == SIGUSR1) {
      logging::reopen();
      log->info("log file reopened");
      logging::flush();
    } else if (sig == SIGUSR2) {
      log->info("check requested signal=USR2");
      runNow = true;
    } else if (sig == SIGHUP) {
      config::UpdaterConfig fresh;
      std::vector<std::string> errors;
      auto next = build(options, fresh, errors);
      if (!next) {
        for (const auto& e : errors) {
          log->error("config reload rejected: {}", e);
        }
        log->error("config reload rejected errors={}; still running the previous configuration",
                   errors.size());
        logging::flush();
        continue;
      }
      for (const auto& w : fresh.warnings) {
        log->warn("{}", w);
      }
      if (fresh.logFile != updater->config().logFile) {
        try {
          logging::init(fresh.logFile, fresh.logLevel);
          log = logging::get("updater");
        } catch (const std::exception& e) {
          log->error("cannot open the new log file; keeping the old one error=\"{}\"", e.what());
        }
      }
      logging::setLevel(fresh.logLevel);
      updater = std::move(next);
      log->info("config reloaded records={} interval_s={}", fresh.records.size(),
                fresh.interval.count());
      runNow = true;
    } else {
      log->info("shutting down signal={}", sig == SIGTERM ? "TERM" : "INT");
      break;
    }
  }
  if (!pidFile.empty()) {
    releasePidFile(pidFile);
  }
  log->info("stopped");
  logging::shutdown();
  return 0;
}

}  // namespace

int runMain(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" || arg == "-c") {
      if (i + 1 >= argc) {
        std::cerr << "chipmunk-updater: --config needs a value\n";
        return kExitConfig;
      }
      options.configPath = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      options.configPath = arg.substr(9);
    } else if (arg == "--once") {
      options.once = true;
    } else if (arg == "--daemon") {
      options.daemon = true;
    } else if (arg == "--check-config") {
      options.checkOnly = true;
    } else if (arg == "--force") {
      options.force = true;
    } else if (arg == "--help-config") {
      // Every section kind once: records, sources and each provider's account section.
      config::IniDocument sample;
      sample.sections = {{"source:NAME", 0}, {"record:NAME", 0}};
      for (const auto& p : providers::ProviderRegistry::builtin().all()) {
        sample.sections.push_back({p.name, 0});
      }
      std::cout << "chipmunk-updater settings (INI; section and key names are "
                   "case-insensitive; a provider section may be [NAME] or [NAME:LABEL]):\n"
                << config::updaterSchema(providerDecls(providers::ProviderRegistry::builtin()),
                                         sample)
                       .reference();
      return 0;
    } else if (arg == "--list-providers") {
      std::cout << providers::textTable(providers::ProviderRegistry::builtin());
      return 0;
    } else if (arg == "--list-providers=markdown") {
      std::cout << providers::markdownTable(providers::ProviderRegistry::builtin());
      return 0;
    } else if (arg == "--version") {
      std::cout << versionLine("chipmunk-updater") << "\n";
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return 0;
    } else {
      std::cerr << "chipmunk-updater: unknown argument: " << arg << "\n";
      usage(std::cerr);
      return kExitConfig;
    }
  }
  if (options.once && options.daemon) {
    std::cerr << "chipmunk-updater: --once and --daemon exclude each other\n";
    return kExitConfig;
  }
  options.configPath = absolute(options.configPath);  // the daemon changes directory

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
    config::UpdaterConfig checkConfig = config;
    checkConfig.stateDir.clear();  // do not create directories while checking
    logging::init("", "off");
    if (!Updater::create(checkConfig, registry, errors)) {
      printErrors(errors);
      return kExitConfig;
    }
    for (const auto& w : config.warnings) {
      std::cerr << "warning: " << w << "\n";
    }
    std::cout << options.configPath << ": OK\n";
    return 0;
  }

  const bool background = !options.once && (options.daemon || config.daemonize);
  if (background) {
    // After the fork nobody sees standard error: find start-up problems first.
    for (const auto& w : config.warnings) {
      std::cerr << "warning: " << w << "\n";
    }
    config::UpdaterConfig checkConfig = config;
    checkConfig.stateDir.clear();
    if (!Updater::create(checkConfig, registry, errors)) {
      printErrors(errors);
      return kExitConfig;
    }
    if (!config.logFile.empty()) {
      const int fd =
          ::open(config.logFile.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
      if (fd < 0) {
        std::cerr << "chipmunk-updater: cannot open log file " << config.logFile << ": "
                  << std::strerror(errno) << "\n";
        return kExitConfig;
      }
      ::close(fd);
    }
  }
  if (background && !daemonize()) {
    return 0;  // the parent
  }
  // Signals are taken synchronously (sigwait); block them before any thread starts.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) {
    sigaddset(&signals, s);
  }
  if (!options.once) {
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    providers::setInterruptCheck(&shutdownPending);
  }
  try {
    logging::init(config.logFile, config.logLevel);
  } catch (const std::exception& e) {
    std::cerr << "chipmunk-updater: " << e.what() << "\n";
    return kExitConfig;
  }
  auto log = logging::get("updater");
  for (const auto& w : config.warnings) {
    log->warn("{}", w);
  }
  auto updater = Updater::create(config, registry, errors);
  if (!updater) {
    printErrors(errors);
    return kExitConfig;
  }
  if (options.once) {
    const auto report = updater->runCycle(options.force);
    for (const auto& line : report.lines) {
      // A line may quote a provider's error text: escaped, so that it can neither forge a
      // line nor send control sequences to the operator's terminal.
      std::cout << escapeText(line, logging::kMaxMessageBytes) << "\n";
    }
    const int code = report.exitCode();
    log->info(
        "one-shot done updated={} unchanged={} retry_later={} auth_failed={} failed={} "
        "discovery_failed={} exit={}",
        report.updated, report.unchanged, report.retryLater, report.authFailed, report.failed,
        report.discoveryFailed ? "yes" : "no", code);
    logging::shutdown();
    return code;
  }
  return runDaemon(options, std::move(updater));
}

}  // namespace chipmunk::updater
