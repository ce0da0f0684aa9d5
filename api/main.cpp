// SPDX-License-Identifier: MIT
// chipmunk-api: tells callers their public IP and remembers it per user.
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "api/file_store.hpp"
#include "api/push.hpp"
#include "api/server.hpp"
#include "chipmunk/version.hpp"
#include "common/logging.hpp"
#include "common/password_hash.hpp"
#include "common/pid_file.hpp"
#include "config/api_config.hpp"

namespace {

constexpr const char* kDefaultConfig = "/etc/chipmunk/chipmunk-api.ini";

void usage(std::ostream& out) {
  out << "Usage: chipmunk-api [--config FILE] [--listen HOST:PORT] [--check-config]\n"
         "                    [--help-config] [--version] [--help]\n"
         "       chipmunk-api hash-password [--iterations N]\n"
         "\n"
         "Tells HTTP clients their public IP (/get/ip, /get/ip.json) and stores it per\n"
         "user (/set), behind HTTP Basic auth.\n"
         "\n"
         "  --config FILE       configuration file (default "
      << kDefaultConfig
      << ")\n"
         "  --listen HOST:PORT  listen here instead of [Server] listen; port 0 picks a\n"
         "                      free port (the bound address is logged)\n"
         "  --check-config      validate the configuration, print every problem, exit\n"
         "  --help-config       list every setting with its default and meaning\n"
         "  --version           print the version\n"
         "  hash-password       read a password and print a $pbkdf2-sha256$ hash for\n"
         "                      [Users]; on a terminal it is asked twice (a mismatch\n"
         "                      exits 2), from a pipe one line is read\n"
         "\n"
         "Signals: SIGHUP reloads the configuration (users, trusted proxies, public\n"
         "endpoints, limits, log level; a broken file is rejected and the old one kept),\n"
         "SIGUSR1 reopens the log file, SIGTERM/SIGINT shut down gracefully.\n"
         "Exit status: 0 success, 1 runtime failure, 2 bad configuration or usage.\n";
}

// Turns echo off, prompts on standard error and reads one line from the terminal on
// standard input, then restores echo.
std::string readHidden(const char* prompt) {
  termios saved{};
  const bool quietened = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (quietened) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::cerr << prompt << std::flush;  // after echo is off: a quick typist is not echoed
  std::string line;
  std::getline(std::cin, line);
  if (quietened) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  }
  std::cerr << "\n";
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

int hashPasswordCommand(int argc, char** argv) {
  int iterations = chipmunk::kDefaultPbkdf2Iterations;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--iterations" && i + 1 < argc) {
      try {
        iterations = std::stoi(argv[++i]);
      } catch (const std::exception&) {
        iterations = 0;
      }
      if (iterations < chipmunk::kMinPbkdf2Iterations ||
          iterations > chipmunk::kMaxPbkdf2Iterations) {
        std::cerr << "chipmunk-api: --iterations must be from " << chipmunk::kMinPbkdf2Iterations
                  << " to " << chipmunk::kMaxPbkdf2Iterations << "\n";
        return 2;
      }
    } else {
      std::cerr << "chipmunk-api: unknown argument for hash-password: " << arg << "\n";
      return 2;
    }
  }
  std::string password;
  if (::isatty(STDIN_FILENO) != 0) {
    // On a terminal, as htpasswd does: asked twice without echo, a mismatch refused.
    password = readHidden("Password: ");
    if (!password.empty() && readHidden("Retype password: ") != password) {
      std::cerr << "chipmunk-api: the passwords do not match; nothing printed\n";
      return 2;
    }
  } else {
    // A pipe or file: one line, read once (scripts feed the password this way).
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') {
      password.pop_back();
    }
  }
  if (password.empty()) {
    std::cerr << "chipmunk-api: empty password\n";
    return 2;
  }
  std::cout << chipmunk::hashPassword(password, iterations) << "\n";
  return 0;
}

void printErrors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) {
    std::cerr << e << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  using chipmunk::config::ApiConfig;
  if (argc >= 2 && std::string(argv[1]) == "hash-password") {
    return hashPasswordCommand(argc, argv);
  }
  std::string configPath = kDefaultConfig;
  std::string listen;
  bool checkOnly = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "chipmunk-api: " << name << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--config" || arg == "-c") {
      configPath = value("--config");
    } else if (arg.rfind("--config=", 0) == 0) {
      configPath = arg.substr(9);
    } else if (arg == "--listen") {
      listen = value("--listen");
    } else if (arg.rfind("--listen=", 0) == 0) {
      listen = arg.substr(9);
    } else if (arg == "--check-config") {
      checkOnly = true;
    } else if (arg == "--help-config") {
      std::cout << "chipmunk-api settings (INI; section and key names are case-insensitive):\n"
                << chipmunk::config::apiSchema().reference();
      return 0;
    } else if (arg == "--version") {
      std::cout << chipmunk::versionLine("chipmunk-api") << "\n";
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return 0;
    } else {
      std::cerr << "chipmunk-api: unknown argument: " << arg << "\n";
      usage(std::cerr);
      return 2;
    }
  }

  std::string listenHost;
  uint16_t listenPort = 0;
  if (!listen.empty() && !chipmunk::parseHostPort(listen, listenHost, listenPort)) {
    std::cerr << "chipmunk-api: --listen: expected HOST:PORT, got \"" << listen << "\"\n";
    return 2;
  }
  auto applyOverrides = [&](ApiConfig& cfg) {
    if (!listen.empty()) {
      cfg.listenHost = listenHost;
      cfg.listenPort = listenPort;
    }
  };

  ApiConfig config;
  std::vector<std::string> errors;
  const auto providerDecls = chipmunk::api::pushProviderDeclarations();
  if (!chipmunk::config::loadApiConfig(configPath, providerDecls, config, errors) ||
      !chipmunk::api::PushService::check(config, errors)) {
    printErrors(errors);
    std::cerr << "chipmunk-api: " << errors.size() << " configuration error"
              << (errors.size() == 1 ? "" : "s") << "\n";
    return 2;
  }
  applyOverrides(config);
  if (checkOnly) {
    for (const auto& w : config.warnings) {
      std::cerr << "warning: " << w << "\n";
    }
    std::cout << configPath << ": OK\n";
    return 0;
  }

  // Signals are taken synchronously by the main loop (sigwait): block them before any
  // thread starts so that every thread inherits the mask.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) {
    sigaddset(&signals, s);
  }
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    chipmunk::logging::init(config.logFile, config.logLevel);
  } catch (const std::exception& e) {
    std::cerr << "chipmunk-api: " << e.what() << "\n";
    return 2;
  }
  auto log = chipmunk::logging::get("api");
  for (const auto& w : config.warnings) {
    log->warn("{}", w);
  }
  if (!config.pidFile.empty()) {
    std::string pidError;
    if (!chipmunk::claimPidFile(config.pidFile, pidError)) {
      log->critical("cannot claim pid file path={} error=\"{}\"", config.pidFile, pidError);
      std::cerr << "chipmunk-api: pid file " << config.pidFile << ": " << pidError << "\n";
      chipmunk::logging::shutdown();
      return 1;
    }
  }

  std::unique_ptr<chipmunk::api::ApiServer> server;
  std::shared_ptr<chipmunk::api::FileStore> store;
  std::shared_ptr<chipmunk::api::PushService> push;
  try {
    store = std::make_shared<chipmunk::api::FileStore>(config.dataDir);
    server = std::make_unique<chipmunk::api::ApiServer>(config, store);
    push = chipmunk::api::PushService::create(config, *store, errors);
    if (!push) {
      throw std::runtime_error(errors.empty() ? "gateway mode: cannot start" : errors.front());
    }
    server->setPushListener(push);
    server->start();
  } catch (const std::exception& e) {
    log->critical("start-up failed error=\"{}\"", e.what());
    std::cerr << "chipmunk-api: " << e.what() << "\n";
    if (!config.pidFile.empty()) {
      chipmunk::releasePidFile(config.pidFile);
    }
    chipmunk::logging::shutdown();
    return 1;
  }
  log->info("listening address={} tls={} version={} config={} data_dir={} users={}",
            server->boundAddress(), config.tlsCertificate.empty() ? "no" : "yes",
            chipmunk::kVersion, configPath, config.dataDir, config.users.size());
  chipmunk::logging::flush();

  int exitCode = 0;
  for (;;) {
    timespec timeout{static_cast<time_t>(config.flushInterval.count()), 0};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig < 0) {
      if (errno == EAGAIN) {
        store->flush();
      }
      continue;
    }
    if (sig == SIGUSR1) {
      chipmunk::logging::reopen();
      log->info("log file reopened");
      chipmunk::logging::flush();
    } else if (sig == SIGHUP) {
      ApiConfig fresh;
      std::vector<std::string> reloadErrors;
      std::shared_ptr<chipmunk::api::PushService> freshPush;
      if (chipmunk::config::loadApiConfig(configPath, providerDecls, fresh, reloadErrors)) {
        ApiConfig pushConfig = fresh;
        pushConfig.dataDir = config.dataDir;  // a new data directory needs a restart
        freshPush = chipmunk::api::PushService::create(pushConfig, *store, reloadErrors);
      }
      if (!freshPush) {
        for (const auto& e : reloadErrors) {
          log->error("config reload rejected: {}", e);
        }
        log->error("config reload rejected errors={}; still serving the previous configuration",
                   reloadErrors.size());
        continue;
      }
      applyOverrides(fresh);
      if (fresh.listenHost != config.listenHost || fresh.listenPort != config.listenPort ||
          fresh.threads != config.threads || fresh.dataDir != config.dataDir ||
          fresh.logFile != config.logFile || fresh.maxRequestSize != config.maxRequestSize ||
          fresh.headerTimeout != config.headerTimeout || fresh.bodyTimeout != config.bodyTimeout ||
          fresh.keepaliveTimeout != config.keepaliveTimeout) {
        log->warn(
            "config reload: listen, threads, client_update_dir, log file and connection "
            "limits take effect after a restart");
      }
      for (const auto& w : fresh.warnings) {
        log->warn("{}", w);
      }
      chipmunk::logging::setLevel(fresh.logLevel);
      server->reload(fresh);
      push->stop();  // an exchange in progress is abandoned; the new service pushes again
      push = freshPush;
      server->setPushListener(push);
      config.users = fresh.users;
      log->info("config reloaded users={}", fresh.users.size());
      chipmunk::logging::flush();
    } else {
      log->info("shutting down signal={}", sig == SIGTERM ? "TERM" : "INT");
      break;
    }
  }
  server->shutdown();
  push->stop();
  store->flush();
  if (!config.pidFile.empty()) {
    chipmunk::releasePidFile(config.pidFile);
  }
  log->info("stopped");
  chipmunk::logging::shutdown();
  return exitCode;
}
