// SPDX-License-Identifier: MIT
// `chipmunk-api migrate --from STORE --to STORE [--verify-only]`: copies every record from
// one store to another (file store <-> PostgreSQL, or any two), then opens the target
// afresh and compares it with the source record by record, every field.
#include <limits.h>
#include <stdlib.h>

#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/directory.hpp"
#include "api/migrate.hpp"
#include "api/push.hpp"
#include "api/store_factory.hpp"
#include "config/api_config.hpp"

namespace chipmunk::api {
namespace {

void migrateUsage(std::ostream& out) {
  out << "Usage: chipmunk-api migrate --from STORE --to STORE [--verify-only]\n"
         "\n"
         "Copies every record and the directory (users, hosts and update tokens managed\n"
         "with `chipmunk-api user|host|token`; the INI's [Users] and [Hosts] stay in the\n"
         "INI) of one store into another, then reads the target back and compares it with\n"
         "the source entry by entry (every field). Entries already equal are left alone,\n"
         "so a second run changes nothing; entries only the target holds are kept (and\n"
         "counted). Stop the chipmunk-api servers of both stores first:\n"
         "a file store in use is refused (its lock); PostgreSQL cannot tell, and a record\n"
         "written during the copy shows up as a difference.\n"
         "\n"
         "STORE is one of\n"
         "  FILE                 a chipmunk-api configuration file: the store its [Store]\n"
         "                       backend names (client_update_dir, or postgresql)\n"
         "  file:DIR             a file store directory\n"
         "  postgresql:CONNINFO  a PostgreSQL database (libpq conninfo or URI; keep a\n"
         "                       password in ~/.pgpass or PGPASSWORD, not here)\n"
         "\n"
         "  --verify-only        compare only, write nothing\n"
         "\n"
         "Prints one summary line. Exit status: 0 copied and verified, 1 a record could not\n"
         "be written, differs or is missing in the target, or a store could not be opened,\n"
         "2 usage.\n";
}

// A store named on the command line: how to open it and how to name it in messages (never
// the conninfo: it may hold a password).
struct StoreSpec {
  config::ApiConfig config;
  std::string label;
};

// "file:DIR", "postgresql:CONNINFO" or a configuration file; nullopt (printed) when bad.
std::optional<StoreSpec> parseStoreSpec(const std::string& text) {
  StoreSpec spec;
  spec.config.postgresqlPoolSize = 2;
  if (text.rfind("file:", 0) == 0) {
    spec.config.storeBackend = config::StoreBackend::kFile;
    spec.config.dataDir = text.substr(5);
  } else if (text.rfind("postgresql:", 0) == 0) {
    spec.config.storeBackend = config::StoreBackend::kPostgresql;
    spec.config.postgresqlConninfo = text.substr(11);
  } else {
    std::vector<std::string> errors;
    if (!config::loadApiConfig(text, pushProviderDeclarations(), spec.config, errors)) {
      for (const auto& e : errors) {
        std::cerr << e << "\n";
      }
      return std::nullopt;
    }
  }
  if (spec.config.storeBackend == config::StoreBackend::kFile) {
    char resolved[PATH_MAX];
    if (spec.config.dataDir.empty() ||
        ::realpath(spec.config.dataDir.c_str(), resolved) == nullptr) {
      std::cerr << "chipmunk-api migrate: " << text << ": no such data directory\n";
      return std::nullopt;
    }
    spec.config.dataDir = resolved;
    spec.label = "file:" + spec.config.dataDir;
  } else {
    if (spec.config.postgresqlConninfo.empty()) {
      std::cerr << "chipmunk-api migrate: " << text << ": no PostgreSQL conninfo\n";
      return std::nullopt;
    }
    spec.label = "postgresql";
  }
  return spec;
}

bool sameStore(const StoreSpec& a, const StoreSpec& b) {
  return a.config.storeBackend == b.config.storeBackend &&
         (a.config.storeBackend == config::StoreBackend::kFile
              ? a.config.dataDir == b.config.dataDir
              : a.config.postgresqlConninfo == b.config.postgresqlConninfo);
}

// Opens a store; nullptr (printed, with advice for a locked file store) on failure.
std::shared_ptr<Store> openOrSay(const StoreSpec& spec, const char* role) {
  try {
    return openStore(spec.config);
  } catch (const std::exception& e) {
    const std::string why = e.what();
    std::cerr << "chipmunk-api migrate: cannot open the " << role << " store " << spec.label << ": "
              << why << "\n";
    if (why.find("another chipmunk-api process") != std::string::npos) {
      std::cerr << "chipmunk-api migrate: stop that chipmunk-api first: migrate needs the "
                   "store to itself\n";
    }
    return nullptr;
  }
}

// Opens a store's directory; nullptr (printed) on failure.
std::unique_ptr<Directory> openDirectoryOrSay(const StoreSpec& spec, const char* role) {
  std::string error;
  auto directory = openDirectory(spec.config, error);
  if (!directory) {
    std::cerr << "chipmunk-api migrate: cannot open the " << role << " directory " << spec.label
              << ": " << error << "\n";
  }
  return directory;
}

void printCounts(const char* noun, const MigrateCounts& c, bool verifyOnly) {
  std::cout << c.source << " " << noun;
  if (!verifyOnly) {
    std::cout << ", " << c.copied << " copied, " << c.unchanged << " already equal, " << c.failed
              << " failed";
  }
  std::cout << "; verified " << c.verified << "/" << c.source << ", " << c.mismatched
            << " different or missing; " << c.targetOnly << " only in the target";
}

void printReport(const StoreSpec& from, const StoreSpec& to, const MigrateReport& r,
                 bool verifyOnly) {
  for (const auto& p : r.problems) {
    std::cerr << "chipmunk-api migrate: " << p << "\n";
  }
  std::cout << "migrate " << from.label << " -> " << to.label << ": ";
  printCounts("records", r.records, verifyOnly);
  std::cout << "; directory: ";
  printCounts("users, hosts and tokens", r.directory, verifyOnly);
  std::cout << ": " << (r.ok() ? "OK" : "FAILED") << "\n";
}

// Copies (unless verifyOnly) and verifies the records and the directory; the target is
// opened afresh for the verification, so that it is read back from where it was stored.
// False (printed) when a store cannot be opened.
bool migrateStores(const StoreSpec& from, const StoreSpec& to, bool verifyOnly,
                   MigrateReport& report) {
  auto source = openOrSay(from, "source");
  auto target = source ? openOrSay(to, "target") : nullptr;
  auto sourceDir = target ? openDirectoryOrSay(from, "source") : nullptr;
  auto targetDir = sourceDir ? openDirectoryOrSay(to, "target") : nullptr;
  if (!targetDir) {
    return false;
  }
  if (!verifyOnly) {
    copyRecords(*source, *target, report);
    copyDirectory(*sourceDir, *targetDir, report);
    target.reset();  // written out and unlocked first
    targetDir.reset();
    if (!(target = openOrSay(to, "target")) || !(targetDir = openDirectoryOrSay(to, "target"))) {
      return false;
    }
  }
  verifyRecords(*source, *target, report);
  verifyDirectory(*sourceDir, *targetDir, report);
  return true;
}

}  // namespace

int migrateCommand(int argc, char** argv) {
  std::string fromText;
  std::string toText;
  bool verifyOnly = false;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--from" || arg == "--to") && i + 1 < argc) {
      (arg == "--from" ? fromText : toText) = argv[++i];
    } else if (arg == "--verify-only") {
      verifyOnly = true;
    } else if (arg == "--help" || arg == "-h") {
      migrateUsage(std::cout);
      return 0;
    } else {
      std::cerr << "chipmunk-api migrate: unknown argument " << arg << "\n";
      migrateUsage(std::cerr);
      return 2;
    }
  }
  if (fromText.empty() || toText.empty()) {
    migrateUsage(std::cerr);
    return 2;
  }
  const auto from = parseStoreSpec(fromText);
  const auto to = parseStoreSpec(toText);
  if (!from || !to) {
    return 2;
  }
  if (sameStore(*from, *to)) {
    std::cerr << "chipmunk-api migrate: the source and the target are the same store ("
              << from->label << ")\n";
    return 2;
  }
  MigrateReport report;
  if (!migrateStores(*from, *to, verifyOnly, report)) {
    return 1;
  }
  printReport(*from, *to, report, verifyOnly);
  return report.ok() ? 0 : 1;
}

}  // namespace chipmunk::api
