// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/directory_watcher.hpp"
#include "api/file_store.hpp"
#include "api/outbox.hpp"
#include "api/outbox_effects.hpp"
#include "api/push.hpp"
#include "api/server.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {

// The whole chipmunk-api program (command line, hash-password, serving, signals); main.cpp
// only calls it, so the tests link what ships.
int runMain(int argc, char** argv);

// The program while it serves: what SIGHUP reloads into.
struct App {
  std::string configPath;
  std::string listen;  // --listen HOST:PORT as given; empty: [Server] listen
  std::string listenHost;
  uint16_t listenPort = 0;
  std::vector<config::ProviderDecl> providerDecls = pushProviderDeclarations();
  config::ApiConfig config;  // as started (a restart applies listen, threads, data_dir...)
  std::shared_ptr<Store> store;
  std::unique_ptr<ApiServer> server;
  std::shared_ptr<PushService> push;  // file store: hooks and pushes run in-process
  // PostgreSQL store: the outbox runs hooks and pushes, once across replicas (push null).
  std::shared_ptr<OutboxEffects> effects;
  std::unique_ptr<OutboxDispatcher> outbox;
  std::unique_ptr<DirectoryWatcher> directory;  // users, hosts, tokens merged over the INI
};

// The command line (api/app_command_line.cpp). runSubcommand runs the subcommand argv[1]
// names (hash-password, user, host, token, migrate) and returns its exit status; nullopt
// when argv[1] names none. parseCommandLine reads the server's options into `app`
// (configPath, listen) and `checkOnly`; it returns the exit status when the program is done
// (--help, --version, --help-config, a bad argument).
std::optional<int> runSubcommand(int argc, char** argv);
std::optional<int> parseCommandLine(int argc, char** argv, App& app, bool& checkOnly);

// Opens the store and builds the server (not started) and the gateway push for app.config.
// Throws std::runtime_error on failure.
void buildApp(App& app);

// SIGHUP: reads app.configPath again. A good file's users, hosts, limits, hooks, log level
// and push targets take effect for new requests; a broken one is logged and the running
// configuration kept (false).
bool reloadConfig(App& app);

}  // namespace chipmunk::api
