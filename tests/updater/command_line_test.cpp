// SPDX-License-Identifier: MIT
#include "updater/command_line.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <vector>

#include "updater/updater.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk::updater;

struct Parsed {
  std::optional<int> exit;
  Options options;
  std::string out;
  std::string err;
};

Parsed parse(std::vector<const char*> args) {
  args.insert(args.begin(), "chipmunk-updater");
  Parsed parsed;
  std::ostringstream out;
  std::ostringstream err;
  parsed.exit =
      parseCommandLine(static_cast<int>(args.size()), args.data(), parsed.options, out, err);
  parsed.out = out.str();
  parsed.err = err.str();
  return parsed;
}

TEST_CASE("Unit: the command line sets the options of a run", "[updater][unit]") {
  auto p = parse({});
  CHECK_FALSE(p.exit);
  CHECK(p.options.configPath == kDefaultConfig);
  CHECK_FALSE(p.options.once);

  p = parse({"--config", "/tmp/u.ini", "--once", "--force"});
  CHECK_FALSE(p.exit);
  CHECK(p.options.configPath == "/tmp/u.ini");
  CHECK(p.options.once);
  CHECK(p.options.force);
  CHECK_FALSE(p.options.daemon);

  p = parse({"--config=relative.ini", "--daemon", "--check-config"});
  CHECK_FALSE(p.exit);
  CHECK(p.options.configPath.front() == '/');  // made absolute: the daemon changes directory
  CHECK(p.options.configPath.size() > std::string("/relative.ini").size());
  CHECK(p.options.daemon);
  CHECK(p.options.checkOnly);

  p = parse({"-c", "/x.ini"});
  CHECK(p.options.configPath == "/x.ini");
}

TEST_CASE("Unit: usage errors exit 2 with the reason on standard error", "[updater][unit]") {
  auto p = parse({"--bogus"});
  CHECK(p.exit == kExitConfig);
  CHECK(p.err.rfind("chipmunk-updater: unknown argument: --bogus\nUsage:", 0) == 0);
  p = parse({"--dryrun"});
  CHECK(p.exit == kExitConfig);
  CHECK(p.err.rfind("chipmunk-updater: unknown argument: --dryrun (did you mean --dry-run?)\n",
                    0) == 0);
  p = parse({"-c=x.ini"});  // the short spelling takes its value as the next argument only
  CHECK(p.exit == kExitConfig);
  CHECK(p.err.rfind("chipmunk-updater: unknown argument: -c=x.ini\n", 0) == 0);
  p = parse({"--once=yes"});  // a flag takes no value
  CHECK(p.exit == kExitConfig);
  p = parse({"--config"});
  CHECK(p.exit == kExitConfig);
  CHECK(p.err == "chipmunk-updater: --config needs a value\n");
  p = parse({"--once", "--daemon"});
  CHECK(p.exit == kExitConfig);
  CHECK(p.err == "chipmunk-updater: --once and --daemon exclude each other\n");
}

TEST_CASE("Unit: --help, --version and --list-providers answer and exit 0", "[updater][unit]") {
  auto p = parse({"--help"});
  CHECK(p.exit == 0);
  CHECK(p.out == usage());
  CHECK(p.out.find(std::string("(default ") + kDefaultConfig + ")") != std::string::npos);
  CHECK(p.out.find("Exit status") != std::string::npos);
  p = parse({"--version"});
  CHECK(p.exit == 0);
  CHECK(p.out.rfind("chipmunk-updater ", 0) == 0);
  p = parse({"--list-providers"});
  CHECK(p.exit == 0);
  CHECK(p.out.find("rfc2136") != std::string::npos);
  p = parse({"--list-providers=markdown"});
  CHECK(p.exit == 0);
  CHECK(p.out.find("| `rfc2136` |") != std::string::npos);
  p = parse({"--help-config"});
  CHECK(p.exit == 0);
  CHECK(p.out.rfind("chipmunk-updater settings (INI;", 0) == 0);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
