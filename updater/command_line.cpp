// SPDX-License-Identifier: MIT
#include "updater/command_line.hpp"

#include <unistd.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chipmunk/version.hpp"
#include "common/strings.hpp"
#include "config/builtin_sources.hpp"
#include "updater/updater.hpp"

namespace chipmunk::updater {
namespace {

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

// Every section kind once: records, sources and each provider's account section.
std::string settingsReference() {
  const auto& registry = providers::ProviderRegistry::builtin();
  config::IniDocument sample;
  sample.sections = {
      {"source:NAME", 0}, {"record:NAME", 0}, {"notify:NAME", 0}, {"wireguard:IFACE", 0}};
  for (const auto& p : registry.all()) {
    sample.sections.push_back({p.name, 0});
  }
  config::Schema schema = config::updaterSchema(providerDecls(registry), sample);
  for (const auto& p : registry.all()) {  // what a record of that provider may set for itself
    for (auto s : p.recordSettings) {
      s.section = "record:NAME with provider = " + p.name;
      schema.add(std::move(s));
    }
  }
  return "chipmunk-updater settings (INI; section and key names are case-insensitive; a "
         "provider section may be [NAME] or [NAME:LABEL]):\n" +
         schema.reference();
}

// The built-in discovery sources, one line per row (config/builtin_sources.cpp).
std::string builtinSourcesTable(bool markdown) {
  std::string out =
      markdown ? "| name | operator | family | question | answer |\n|---|---|---|---|---|\n" : "";
  for (const auto& r : config::builtinSources()) {
    const std::string question = r.url.empty() ? r.qname + " " + r.qclass + " " + r.qtype + " @" +
                                                     r.server + " (UDP, TCP if truncated)"
                                               : "GET " + r.url;
    const char* answers[] = {"the body", "JSON field ", "line ", "the records", "a TXT record"};
    std::string answer = answers[static_cast<int>(r.answer)];
    if (r.answer == config::BuiltinAnswer::kJson) {
      answer += "`" + r.field + "`";
    } else if (r.answer == config::BuiltinAnswer::kKeyValue) {
      answer += "`" + r.field + "=`";
    }
    const std::string family = r.ipv6 ? "IPv6" : "IPv4";
    out += markdown ? "| `" + r.name + "` | " + r.operator_ + " | " + family + " | `" + question +
                          "` | " + answer + " |\n"
                    : r.name + "  " + r.operator_ + "  " + family + "  " + question + "  " +
                          answer + "\n";
  }
  return out;
}

// The commands that print and exit: their text, or nullopt when `arg` is not one.
std::optional<std::string> answer(const std::string& arg) {
  if (arg == "--help-config") {
    return settingsReference();
  }
  if (arg == "--list-providers") {
    return providers::textTable(providers::ProviderRegistry::builtin());
  }
  if (arg == "--list-providers=markdown") {
    return providers::markdownTable(providers::ProviderRegistry::builtin());
  }
  if (arg == "--list-sources" || arg == "--list-sources=markdown") {
    return builtinSourcesTable(arg == "--list-sources=markdown");
  }
  if (arg == "--version") {
    return versionLine("chipmunk-updater") + "\n";
  }
  if (arg == "--help" || arg == "-h") {
    return usage();
  }
  return std::nullopt;
}

// The flags that set an option.
constexpr std::pair<std::string_view, bool Options::*> kFlags[] = {
    {"--once", &Options::once},
    {"--daemon", &Options::daemon},
    {"--check-config", &Options::checkOnly},
    {"--force", &Options::force},
    {"--dry-run", &Options::dryRun},
    {"--status", &Options::status},
    {"--json", &Options::json}};

// Sets the flag `arg` names; false when it names none.
bool setFlag(const std::string& arg, Options& options) {
  for (const auto& [name, member] : kFlags) {
    if (arg == name) {
      options.*member = true;
      return true;
    }
  }
  return false;
}

// What a mistyped argument may have meant: the flags, and what answer() and the loop take.
std::vector<std::string> knownArguments() {
  std::vector<std::string> known = {"--config",         "--help",         "--help-config",
                                    "--list-providers", "--list-sources", "--version"};
  for (const auto& flag : kFlags) {
    known.emplace_back(flag.first);
  }
  return known;
}

}  // namespace

std::string usage() {
  return std::string(R"(Usage: chipmunk-updater [--config FILE] [--once] [--daemon] [--check-config]
                        [--force] [--dry-run] [--status [--json]]
                        [--list-providers] [--list-sources] [--version] [--help]

Discovers this machine's public address and keeps DNS records pointing at it.

  --config FILE   configuration file (default )") +
         kDefaultConfig + R"()
  --once          check and update once, then exit (see exit status)
  --daemon        fork into the background and write [Daemon] pidfile
                  (also [Global] daemonize = yes); default: stay in the foreground
  --check-config  validate the configuration, print every problem, exit
  --force         push every record even when the state says it is current
  --dry-run       discover, compare with the state and the record itself, print
                  what would be sent; sends nothing, writes no state
  --status        print each record's address, last success, last error and
                  next attempt from the state files (no daemon, no network);
                  --status --json: the same as JSON
  --help-config   list every fixed setting with its default and meaning
  --list-providers  list the providers: name, service, A/AAAA, API documentation
                  (--list-providers=markdown: the table the docs include)
  --list-sources  list the built-in discovery sources (--list-sources=markdown)
  --version       print the version

Signals (daemon): SIGUSR1 reopens the log file (inadyn uses SIGUSR1 to force an
update; here that is SIGUSR2), SIGUSR2 checks now, SIGHUP reloads the
configuration (a broken file is rejected and the old one kept), SIGTERM/SIGINT
exit cleanly.
Exit status: 0 up to date, 1 failure (discovery, record failed or not found),
2 bad configuration or usage, 3 provider refused credentials, 75 temporary
failure (retry later).
)";
}

std::optional<int> parseCommandLine(int argc, const char* const* argv, Options& options,
                                    std::ostream& out, std::ostream& err) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::optional<std::string> value;
    if (matchesOption(arg, "--config", "-c", true, value)) {
      if (!value) {
        if (i + 1 >= argc) {
          err << "chipmunk-updater: --config needs a value\n";
          return kExitConfig;
        }
        value = argv[++i];
      }
      options.configPath = *value;
    } else if (const auto text = answer(arg)) {
      out << *text;
      return 0;
    } else if (!setFlag(arg, options)) {
      err << "chipmunk-updater: unknown argument: " << arg << didYouMean(arg, knownArguments())
          << "\n"
          << usage();
      return kExitConfig;
    }
  }
  if (options.json && !options.status) {
    err << "chipmunk-updater: --json goes with --status\n";
    return kExitConfig;
  }
  if ((options.dryRun || options.status) && options.daemon) {
    err << "chipmunk-updater: --dry-run and --status run once; they exclude --daemon\n";
    return kExitConfig;
  }
  if (options.dryRun) {
    options.once = true;
  }
  if (options.once && options.daemon) {
    err << "chipmunk-updater: --once and --daemon exclude each other\n";
    return kExitConfig;
  }
  options.configPath = absolute(options.configPath);
  return std::nullopt;
}

}  // namespace chipmunk::updater
