// SPDX-License-Identifier: MIT
// The directory's admin commands. They load the same configuration as the server (so the
// same store), check a change against the merged view (the INI's [Users]/[Hosts] plus the
// directory), then make it in the store; running servers pick it up within a second.
#include "api/admin_cli.hpp"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <string>
#include <unordered_set>

#include "api/directory.hpp"
#include "api/push.hpp"
#include "common/password_hash.hpp"
#include "common/strings.hpp"

namespace chipmunk::api {
namespace {

constexpr const char* kDefaultAdminConfig = "/etc/chipmunk/chipmunk-api.ini";

struct Args {
  std::string configPath = kDefaultAdminConfig;
  std::string command;                // user, host, token
  std::string action;                 // add, passwd, del, list, revoke
  std::vector<std::string> operands;  // names, ids
  std::vector<std::string> hosts;     // token add --host
  int iterations = kDefaultPbkdf2Iterations;
};

// The store, the INI configuration and the merged view a change is checked against.
struct Session {
  config::ApiConfig ini;
  std::unique_ptr<Directory> directory;
  DirectoryData data;
  config::ApiConfig merged;
};

int fail(const std::string& message, int status = 2) {
  std::cerr << "chipmunk-api: " << message << "\n";
  return status;
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

bool parseArgs(int argc, char** argv, Args& args, std::string& error) {
  args.command = argv[1];
  std::vector<std::string> rest;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool hasValue = i + 1 < argc;
    if ((arg == "--config" || arg == "-c") && hasValue) {
      args.configPath = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      args.configPath = arg.substr(9);
    } else if (arg == "--host" && hasValue) {
      args.hosts.push_back(lowercase(argv[++i]));
    } else if (arg == "--iterations" && hasValue) {
      args.iterations = std::atoi(argv[++i]);
      if (args.iterations < kMinPbkdf2Iterations || args.iterations > kMaxPbkdf2Iterations) {
        error = "--iterations must be from " + std::to_string(kMinPbkdf2Iterations) + " to " +
                std::to_string(kMaxPbkdf2Iterations);
        return false;
      }
    } else if (arg.size() > 1 && arg[0] == '-') {
      error = "unknown option for " + args.command + ": " + arg;
      return false;
    } else {
      rest.push_back(arg);
    }
  }
  if (rest.empty()) {
    error = "usage: chipmunk-api " + args.command + " ACTION ... (see --help)";
    return false;
  }
  args.action = rest.front();
  args.operands.assign(rest.begin() + 1, rest.end());
  return true;
}

// Loads the configuration and the directory; the exit status on failure.
std::optional<int> openSession(const Args& args, Session& s) {
  std::vector<std::string> errors;
  if (!config::loadApiConfig(args.configPath, pushProviderDeclarations(), s.ini, errors)) {
    for (const auto& e : errors) {
      std::cerr << e << "\n";
    }
    return 2;
  }
  std::string error;
  s.directory = openDirectory(s.ini, error);
  if (!s.directory || !s.directory->load(s.data, error)) {
    return fail("directory: " + error, 1);
  }
  std::vector<std::string> ignored;
  mergeDirectory(s.ini, s.data, s.merged, ignored);
  return std::nullopt;
}

const config::ApiUser* iniUser(const Session& s, const std::string& name) {
  const auto it = std::find_if(s.ini.users.begin(), s.ini.users.end(),
                               [&](const config::ApiUser& u) { return u.name == name; });
  return it == s.ini.users.end() ? nullptr : &*it;
}

bool directoryHasUser(const Session& s, const std::string& name) {
  return std::any_of(s.data.users.begin(), s.data.users.end(),
                     [&](const DirectoryUser& u) { return u.name == name; });
}

bool isUser(const Session& s, const std::string& name) {
  return iniUser(s, name) != nullptr || directoryHasUser(s, name);
}

int done(bool ok, const std::string& error, const std::string& message) {
  if (!ok) {
    return fail(error, 1);
  }
  std::cerr << message << "\n";
  return 0;
}

int userCommand(const Args& args, Session& s) {
  if (args.action == "list") {
    std::map<std::string, std::string> where;
    for (const auto& u : s.ini.users) {
      where[u.name] = u.where;
    }
    for (const auto& u : s.data.users) {
      where[u.name] = "directory";
    }
    for (const auto& [name, from] : where) {
      std::cout << name << " " << from << "\n";
    }
    return 0;
  }
  if (args.operands.size() != 1) {
    return fail("usage: chipmunk-api user add|passwd|del NAME");
  }
  const std::string& name = args.operands[0];
  std::string error;
  if (args.action == "del") {
    if (!directoryHasUser(s, name)) {
      return fail(iniUser(s, name) ? "user " + name + " is defined in " + iniUser(s, name)->where +
                                         "; remove it there"
                                   : "no user " + name);
    }
    if (iniUser(s, name) != nullptr) {
      std::cerr << "warning: " << iniUser(s, name)->where << " still defines user " << name << "\n";
    }
    for (const auto& rule : s.ini.ruleNames) {
      if (rule.name == name) {  // by name: the rule gives nothing until the name exists again
        std::cerr << "warning: " << rule.where << ": " << rule.rule << " still names " << name
                  << "\n";
      }
    }
    return done(s.directory->deleteUser(name, error), error, "user " + name + " deleted");
  }
  if (args.action != "add" && args.action != "passwd") {
    return fail("unknown action: user " + args.action);
  }
  if (!config::isValidUserName(name)) {
    return fail("invalid user name \"" + name.substr(0, 64) +
                "\": use letters, digits, '.', '_', '-', '@' (at most 64)");
  }
  if (s.merged.hostOwners.count(name) != 0) {
    return fail(name + " is a host name");
  }
  const bool adding = args.action == "add";
  if (!adding && !isUser(s, name)) {
    return fail("no user " + name);
  }
  if (adding && iniUser(s, name) != nullptr) {
    std::cerr << "warning: " << iniUser(s, name)->where << " also defines user " << name
              << "; the directory's password is used\n";
  }
  std::string password;
  if (!readNewPassword(password)) {
    return 2;
  }
  const DirectoryUser user{name, hashPassword(password, args.iterations)};
  const bool ok = s.directory->putUser(user, adding, false, error);
  return done(ok, error, "user " + name + (adding ? " added" : ": password changed"));
}

int hostCommand(const Args& args, Session& s) {
  if (args.action == "list") {
    std::unordered_set<std::string> inDirectory;
    for (const auto& h : s.data.hosts) {
      inDirectory.insert(h.name);
    }
    for (const auto& [host, owner] : s.merged.hostOwners) {
      std::cout << host << " " << owner << " "
                << (inDirectory.count(host) != 0 ? "directory" : "ini") << "\n";
    }
    return 0;
  }
  std::string error;
  const std::string host = args.operands.empty() ? "" : lowercase(args.operands[0]);
  if (args.action == "del" && args.operands.size() == 1) {
    return done(s.directory->deleteHost(host, error), error, "host " + host + " deleted");
  }
  if (args.action != "add" || args.operands.size() != 2) {
    return fail("usage: chipmunk-api host add HOST OWNER | host del HOST | host list");
  }
  const std::string& owner = args.operands[1];
  if (!config::isValidHostName(host)) {
    return fail("invalid host name \"" + host.substr(0, 64) + "\": expected an FQDN");
  }
  if (!isUser(s, owner)) {
    return fail("owner " + owner + " is not a user");
  }
  if (isUser(s, host)) {
    return fail(host + " is a user name");
  }
  if (s.ini.hostOwners.count(host) != 0) {
    std::cerr << "warning: [Hosts] also lists " << host << "; the directory's owner is used\n";
  }
  return done(s.directory->putHost({host, owner}, error), error,
              "host " + host + " owned by " + owner);
}

int tokenAdd(const Args& args, Session& s) {
  if (args.operands.size() != 1) {
    return fail("usage: chipmunk-api token add OWNER [--host NAME]...");
  }
  const std::string owner = args.operands[0];
  const bool forUser = isUser(s, owner);
  if (!forUser && s.merged.hostOwners.count(lowercase(owner)) == 0) {
    return fail(owner + " is neither a user nor a host");
  }
  if (!args.hosts.empty()) {
    if (!forUser) {
      return fail("--host is for user tokens; a host token updates its host only");
    }
    const auto owned = s.merged.namesOwnedBy(owner);
    for (const auto& h : args.hosts) {
      if (std::find(owned.begin(), owned.end(), h) == owned.end()) {
        return fail(owner + " does not own " + h);
      }
    }
  }
  const NewToken fresh = generateToken();
  DirectoryToken t{fresh.id, forUser ? owner : lowercase(owner), tokenDigestHex(fresh.secret),
                   args.hosts, static_cast<int64_t>(std::time(nullptr))};
  std::string error;
  if (!s.directory->addToken(t, error)) {
    return fail(error, 1);
  }
  std::cout << fresh.text << "\n";
  std::cerr << "token " << fresh.id << " for " << t.owner
            << ": shown once, store it now (use it as the password, with " << t.owner
            << " as the user name)\n";
  return 0;
}

int tokenCommand(const Args& args, Session& s) {
  if (args.action == "add") {
    return tokenAdd(args, s);
  }
  if (args.action == "list") {
    for (const auto& t : s.data.tokens) {
      if (args.operands.empty() || t.owner == args.operands[0]) {
        std::string hosts;
        for (const auto& h : t.hosts) {
          hosts += (hosts.empty() ? "" : ",") + h;
        }
        std::cout << t.id << " " << t.owner << " hosts=" << (hosts.empty() ? "*" : hosts)
                  << " created=" << t.created << "\n";
      }
    }
    return 0;
  }
  if (args.action == "revoke" && args.operands.size() == 1) {
    std::string error;
    return done(s.directory->revokeToken(args.operands[0], error), error,
                "token " + args.operands[0] + " revoked");
  }
  return fail("usage: chipmunk-api token add OWNER [--host NAME]... | list [OWNER] | revoke ID");
}

}  // namespace

bool readNewPassword(std::string& password) {
  if (::isatty(STDIN_FILENO) != 0) {
    // On a terminal, as htpasswd does: asked twice without echo, a mismatch refused.
    password = readHidden("Password: ");
    if (!password.empty() && readHidden("Retype password: ") != password) {
      std::cerr << "chipmunk-api: the passwords do not match; nothing changed\n";
      return false;
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
    return false;
  }
  return true;
}

int runAdminCommand(int argc, char** argv) {
  Args args;
  std::string error;
  if (!parseArgs(argc, argv, args, error)) {
    return fail(error);
  }
  Session session;
  try {
    if (const auto failed = openSession(args, session)) {
      return *failed;
    }
    if (args.command == "user") {
      return userCommand(args, session);
    }
    return args.command == "host" ? hostCommand(args, session) : tokenCommand(args, session);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}

int hashPasswordCommand(int argc, char** argv) {
  int iterations = kDefaultPbkdf2Iterations;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--iterations" && i + 1 < argc) {
      try {
        iterations = std::stoi(argv[++i]);
      } catch (const std::exception&) {
        iterations = 0;
      }
      if (iterations < kMinPbkdf2Iterations || iterations > kMaxPbkdf2Iterations) {
        std::cerr << "chipmunk-api: --iterations must be from " << kMinPbkdf2Iterations << " to "
                  << kMaxPbkdf2Iterations << "\n";
        return 2;
      }
    } else {
      std::cerr << "chipmunk-api: unknown argument for hash-password: " << arg << "\n";
      return 2;
    }
  }
  std::string password;
  if (!readNewPassword(password)) {
    return 2;
  }
  std::cout << hashPassword(password, iterations) << "\n";
  return 0;
}

}  // namespace chipmunk::api
