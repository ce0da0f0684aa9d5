// SPDX-License-Identifier: MIT
// chipmunk-api's command line: the subcommands, the server's options, --help.
#include "api/app.hpp"

#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "api/admin_cli.hpp"
#include "api/migrate.hpp"
#include "chipmunk/version.hpp"
#include "common/ip.hpp"
#include "common/strings.hpp"

namespace chipmunk::api {
namespace {

constexpr const char* kDefaultApiConfig = "/etc/chipmunk/chipmunk-api.ini";

void usage(std::ostream& out) {
  out << "Usage: chipmunk-api [--config FILE] [--listen HOST:PORT] [--check-config]\n"
         "                    [--help-config] [--version] [--help]\n"
         "       chipmunk-api hash-password [--iterations N]\n"
         "       chipmunk-api user add|passwd|del NAME | user list        [--config FILE]\n"
         "       chipmunk-api host add HOST OWNER | host del HOST | host list\n"
         "       chipmunk-api token add OWNER [--host NAME]... | token list [OWNER]\n"
         "                    | token revoke ID   (users, hosts, tokens: docs/USERS.md)\n"
         "       chipmunk-api migrate --from STORE --to STORE [--verify-only]\n"
         "\n"
         "Tells HTTP clients their public IP (/get/ip, /get/ip.json) and stores it per\n"
         "user (/set), behind HTTP Basic auth.\n"
         "\n"
         "  --config FILE       configuration file (default "
      << kDefaultApiConfig
      << ")\n"
         "  --listen HOST:PORT  listen here instead of [Server] listen; port 0 picks a\n"
         "                      free port (the bound address is logged)\n"
         "  --check-config      validate the configuration, print every problem, exit\n"
         "  --help-config       list every setting with its default and meaning\n"
         "  --version           print the version\n"
         "  hash-password       read a password and print a $pbkdf2-sha256$ hash for\n"
         "                      [Users]; on a terminal it is asked twice (a mismatch\n"
         "                      exits 2), from a pipe one line is read\n"
         "  migrate             copy the records of one store into another and verify\n"
         "                      them (chipmunk-api migrate --help)\n"
         "\n"
         "Signals: SIGHUP reloads the configuration (users, trusted proxies, public\n"
         "endpoints, limits, log level; a broken file is rejected and the old one kept),\n"
         "SIGUSR1 reopens the log file, SIGTERM/SIGINT shut down gracefully.\n"
         "Exit status: 0 success, 1 runtime failure, 2 bad configuration or usage.\n";
}

// The subcommands, each the first argument: the one list runMain dispatches on and the
// "did you mean" hint offers.
struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
};
constexpr Command kCommands[] = {{"hash-password", hashPasswordCommand},
                                 {"user", runAdminCommand},  // api/admin_cli.cpp
                                 {"host", runAdminCommand},
                                 {"token", runAdminCommand},
                                 {"migrate", migrateCommand}};  // api/migrate_cli.cpp

// The server's own options, read by parseCommandLine and offered by the hint. One with a
// value takes it as the next argument or after '=' ("--listen=127.0.0.1:8080").
enum class Option { kConfig, kListen, kCheckConfig, kHelpConfig, kVersion, kHelp };
struct OptionName {
  const char* name;
  const char* shortName;  // "": none
  bool takesValue;
  Option option;
};
constexpr OptionName kOptions[] = {{"--config", "-c", true, Option::kConfig},
                                   {"--listen", "", true, Option::kListen},
                                   {"--check-config", "", false, Option::kCheckConfig},
                                   {"--help-config", "", false, Option::kHelpConfig},
                                   {"--version", "", false, Option::kVersion},
                                   {"--help", "-h", false, Option::kHelp}};

// The option `arg` names (and its value when given after '='); nullptr for none.
const OptionName* findOption(const std::string& arg, std::optional<std::string>& inlineValue) {
  for (const auto& o : kOptions) {
    if (matchesOption(arg, o.name, o.shortName, o.takesValue, inlineValue)) {
      return &o;
    }
  }
  return nullptr;
}

std::vector<std::string> knownArguments() {
  std::vector<std::string> known;
  for (const auto& o : kOptions) {
    known.emplace_back(o.name);
  }
  for (const auto& c : kCommands) {
    known.emplace_back(c.name);
  }
  return known;
}

}  // namespace

std::optional<int> runSubcommand(int argc, char** argv) {
  if (argc < 2) {
    return std::nullopt;
  }
  for (const auto& command : kCommands) {
    if (std::strcmp(argv[1], command.name) == 0) {
      return command.run(argc, argv);
    }
  }
  return std::nullopt;
}

std::optional<int> parseCommandLine(int argc, char** argv, App& app, bool& checkOnly) {
  app.configPath = kDefaultApiConfig;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::optional<std::string> value;
    const OptionName* found = findOption(arg, value);
    if (found == nullptr) {
      std::cerr << "chipmunk-api: unknown argument: " << arg << didYouMean(arg, knownArguments())
                << "\n";
      usage(std::cerr);
      return 2;
    }
    if (found->takesValue && !value) {
      if (i + 1 >= argc) {
        std::cerr << "chipmunk-api: " << found->name << " needs a value\n";
        return 2;
      }
      value = argv[++i];
    }
    switch (found->option) {
      case Option::kConfig:
        app.configPath = *value;
        break;
      case Option::kListen:
        app.listen = *value;
        break;
      case Option::kCheckConfig:
        checkOnly = true;
        break;
      case Option::kHelpConfig:
        std::cout << "chipmunk-api settings (INI; section and key names are case-insensitive):\n"
                  << config::apiSchema().reference();
        return 0;
      case Option::kVersion:
        std::cout << versionLine("chipmunk-api") << "\n";
        return 0;
      case Option::kHelp:
        usage(std::cout);
        return 0;
    }
  }
  if (!app.listen.empty() && !parseHostPort(app.listen, app.listenHost, app.listenPort)) {
    std::cerr << "chipmunk-api: --listen: expected HOST:PORT, got \"" << app.listen << "\"\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace chipmunk::api
