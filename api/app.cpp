// SPDX-License-Identifier: MIT
// chipmunk-api as a program: start-up, serving, and the signal loop (SIGHUP reload, SIGUSR1
// log reopen, SIGTERM/SIGINT shutdown); the command line is api/app_command_line.cpp.
#include "api/app.hpp"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <vector>

#include "api/pg_store.hpp"
#include "api/store_factory.hpp"
#include "api/watch_hub.hpp"
#include "chipmunk/version.hpp"
#include "common/logging.hpp"
#include "common/pid_file.hpp"
#include "common/sd_notify.hpp"

namespace chipmunk::api {
namespace {

using config::ApiConfig;

void printErrors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) {
    std::cerr << e << "\n";
  }
}

// --listen wins over [Server] listen, also after a reload.
void applyOverrides(const App& app, ApiConfig& config) {
  if (!app.listen.empty()) {
    config.listenHost = app.listenHost;
    config.listenPort = app.listenPort;
  }
}

// Loads app.config; returns the exit status when the program is done (a bad file, or
// --check-config).
std::optional<int> loadStartupConfig(App& app, bool checkOnly) {
  std::vector<std::string> errors;
  if (!config::loadApiConfig(app.configPath, app.providerDecls, app.config, errors) ||
      !PushService::check(app.config, errors) ||
      (checkOnly && !checkRuleNames(app.config, errors))) {
    printErrors(errors);
    std::cerr << "chipmunk-api: " << errors.size() << " configuration error"
              << (errors.size() == 1 ? "" : "s") << "\n";
    return 2;
  }
  applyOverrides(app, app.config);
  if (!checkOnly) {
    return std::nullopt;
  }
  for (const auto& w : app.config.warnings) {
    std::cerr << "warning: " << w << "\n";
  }
  std::cout << app.configPath << ": OK\n";
  return 0;
}

// Signals are taken synchronously by the main loop (sigwait): they are blocked before any
// thread starts so that every thread inherits the mask.
sigset_t blockSignals() {
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) {
    sigaddset(&signals, s);
  }
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Starts logging and claims the pid file; returns the exit status on failure.
std::optional<int> startLogging(const ApiConfig& config) {
  try {
    logging::init(config.logFile, config.logLevel);
  } catch (const std::exception& e) {
    std::cerr << "chipmunk-api: " << e.what() << "\n";
    return 2;
  }
  auto log = logging::get("api");
  for (const auto& w : config.warnings) {
    log->warn("{}", w);
  }
  if (!config.pidFile.empty()) {
    std::string pidError;
    if (!claimPidFile(config.pidFile, pidError)) {
      log->critical("cannot claim pid file path={} error=\"{}\"", config.pidFile, pidError);
      std::cerr << "chipmunk-api: pid file " << config.pidFile << ": " << pidError << "\n";
      logging::shutdown();
      return 1;
    }
  }
  return std::nullopt;
}

void stopLogging(const ApiConfig& config) {
  if (!config.pidFile.empty()) {
    releasePidFile(config.pidFile);
  }
  logging::shutdown();
}

// The line `systemctl status chipmunk-api` shows.
void announce(const App& app, const char* state) {
  sd::notify(std::string(state) + "\nSTATUS=serving on " + app.server->boundAddress() + ", " +
             std::to_string(app.config.users.size()) + " users");
}

// Builds and starts the server; false (logged, pid file released) on failure.
bool startServing(App& app) {
  auto log = logging::get("api");
  try {
    buildApp(app);
    app.server->start();
    if (app.outbox) {
      app.outbox->start();
    }
  } catch (const std::exception& e) {
    log->critical("start-up failed error=\"{}\"", e.what());
    std::cerr << "chipmunk-api: " << e.what() << "\n";
    stopLogging(app.config);
    return false;
  }
  log->info("listening address={} tls={} version={} config={} data_dir={} users={}",
            app.server->boundAddress(), app.config.tlsCertificate.empty() ? "no" : "yes", kVersion,
            app.configPath, app.config.dataDir, app.config.users.size());
  logging::flush();
  announce(app, "READY=1");  // the socket is bound and the store loaded
  return true;
}

// Settings that only a restart applies.
bool needsRestart(const ApiConfig& fresh, const ApiConfig& running) {
  return fresh.listenHost != running.listenHost || fresh.listenPort != running.listenPort ||
         fresh.threads != running.threads || fresh.dataDir != running.dataDir ||
         fresh.logFile != running.logFile || fresh.maxRequestSize != running.maxRequestSize ||
         fresh.headerTimeout != running.headerTimeout || fresh.bodyTimeout != running.bodyTimeout ||
         fresh.keepaliveTimeout != running.keepaliveTimeout ||
         fresh.storeBackend != running.storeBackend ||
         fresh.postgresqlConninfo != running.postgresqlConninfo ||
         fresh.postgresqlPoolSize != running.postgresqlPoolSize ||
         fresh.userCache != running.userCache;
}

// Serves until SIGTERM or SIGINT, flushing the store every flush_interval and pinging the
// systemd watchdog (WatchdogSec=) from this loop: if it hangs, the pings stop.
void serveUntilStopped(App& app, const sigset_t& signals) {
  using std::chrono::milliseconds;
  auto log = logging::get("api");
  sd::Watchdog watchdog;
  auto nextFlush = std::chrono::steady_clock::now() + app.config.flushInterval;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= nextFlush) {
      app.store->flush();
      nextFlush = now + app.config.flushInterval;
    }
    const auto toFlush =
        std::chrono::duration_cast<milliseconds>(nextFlush - now) + milliseconds(1);
    const long long wait = std::min(watchdog.ping(), toFlush).count();
    timespec timeout{static_cast<time_t>(wait / 1000), static_cast<long>(wait % 1000) * 1000000};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig < 0) {
      continue;
    }
    if (sig == SIGUSR1) {
      logging::reopen();
      log->info("log file reopened");
      logging::flush();
    } else if (sig == SIGHUP) {
      sd::reloading();
      reloadConfig(app);
      announce(app, "READY=1");
    } else {
      sd::notify("STOPPING=1");
      log->info("shutting down signal={}", sig == SIGTERM ? "TERM" : "INT");
      return;
    }
  }
}

// The push service hears of record changes and reports to /metrics.
void attachPush(App& app) {
  app.server->setPushListener(app.push);
  app.server->service().metrics().setPushProbe([push = app.push] { return push->stats(); });
}

void stopServing(App& app) {
  app.directory->stop();
  app.server->shutdown();
  if (app.outbox) {
    app.outbox->stop();  // the event in progress finishes (bounded by its timeouts)
  }
  if (app.push) {
    app.push->stop();
  }
  app.store->flush();
  if (!app.config.pidFile.empty()) {
    releasePidFile(app.config.pidFile);
  }
  logging::get("api")->info("stopped");
  logging::shutdown();
}

}  // namespace

void buildApp(App& app) {
  std::vector<std::string> errors;
  app.store = openStore(app.config);
  std::string error;
  auto directory = openDirectory(app.config, error);
  if (!directory) {
    throw std::runtime_error("directory: " + error);
  }
  app.directory = std::make_unique<DirectoryWatcher>(std::move(directory),
                                                     static_cast<size_t>(app.config.userCache));
  app.directory->setBase(app.config);
  requireKnownRuleNames(app.directory->merged());  // a name in no INI section nor directory
  // Built on the INI's few users, then given the merged ones once (a large file directory's
  // user table is built once; PostgreSQL's directory users are looked up, not loaded).
  app.server = std::make_unique<ApiServer>(app.config, app.store);
  serveDirectory(*app.directory, *app.server);
  if (app.config.storeBackend == config::StoreBackend::kPostgresql) {
    app.effects = OutboxEffects::create(app.config, errors, app.server->service().ownerLookup());
    if (!app.effects) {
      throw std::runtime_error(errors.empty() ? "gateway mode: cannot start" : errors.front());
    }
    // The store writes outbox rows (changes an effect wants, expiries); no in-process listener.
    app.server->service().setListener(nullptr);
    app.outbox = std::make_unique<OutboxDispatcher>(app.config.postgresqlConninfo, app.effects,
                                                    OutboxDispatcher::Options{});
    // The watch of GET /hosts: changes made by the other replicas wake this one's watchers.
    if (auto* pg = dynamic_cast<PgStore*>(app.store.get())) {
      pg->setOutboxWanted(outboxFilter(&app.effects));  // rows only for what will run
      WatchHub& hub = app.server->service().watch();
      pg->setNoticeTag(hub.boot());
      app.outbox->onRecordNotices(hub.boot(), [&hub](const std::string& name) {
        name.empty() ? hub.touchedAll() : hub.touched(name);
      });
    }
    return;
  }
  app.push = PushService::create(app.config, *app.store, errors);
  if (!app.push) {
    throw std::runtime_error(errors.empty() ? "gateway mode: cannot start" : errors.front());
  }
  attachPush(app);
}

bool reloadConfig(App& app) {
  auto log = logging::get("api");
  ApiConfig fresh;
  std::vector<std::string> errors;
  std::shared_ptr<PushService> freshPush;
  std::shared_ptr<OutboxEffects> freshEffects;
  if (config::loadApiConfig(app.configPath, app.providerDecls, fresh, errors)) {
    ApiConfig pushConfig = fresh;
    pushConfig.dataDir = app.config.dataDir;  // a new data directory needs a restart
    if (app.outbox) {
      freshEffects = OutboxEffects::create(pushConfig, errors, app.server->service().ownerLookup());
    } else {
      freshPush = PushService::create(pushConfig, *app.store, errors);
    }
  }
  if (!freshPush && !freshEffects) {
    for (const auto& e : errors) {
      log->error("config reload rejected: {}", e);
    }
    log->error("config reload rejected errors={}; still serving the previous configuration",
               errors.size());
    return false;
  }
  applyOverrides(app, fresh);
  if (needsRestart(fresh, app.config)) {
    log->warn(
        "config reload: listen, threads, client_update_dir, [Store], log file and "
        "connection limits take effect after a restart");
  }
  for (const auto& w : fresh.warnings) {
    log->warn("{}", w);
  }
  logging::setLevel(fresh.logLevel);
  app.directory->setBase(fresh);  // reloads the server with the directory merged in
  if (app.outbox) {
    app.outbox->setHandler(freshEffects);           // from the next event on
    std::atomic_store(&app.effects, freshEffects);  // outboxFilter reads it
  } else {
    app.push->stop();  // an exchange in progress is abandoned; the new service pushes again
    app.push = freshPush;
    attachPush(app);
  }
  app.config.users = fresh.users;
  log->info("config reloaded users={}", fresh.users.size());
  logging::flush();
  return true;
}

int runMain(int argc, char** argv) {
  if (const auto done = runSubcommand(argc, argv)) {
    return *done;
  }
  App app;
  bool checkOnly = false;
  if (const auto done = parseCommandLine(argc, argv, app, checkOnly)) {
    return *done;
  }
  if (const auto done = loadStartupConfig(app, checkOnly)) {
    return *done;
  }
  const sigset_t signals = blockSignals();
  if (const auto failed = startLogging(app.config)) {
    return *failed;
  }
  if (!startServing(app)) {
    return 1;
  }
  serveUntilStopped(app, signals);
  stopServing(app);
  return 0;
}

}  // namespace chipmunk::api
