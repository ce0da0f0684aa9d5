// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "api/directory.hpp"
#include "api/store.hpp"

namespace chipmunk::api {

// What `chipmunk-api migrate` did to one kind of data (records, or the directory's users,
// hosts and tokens) of one store pair.
struct MigrateCounts {
  size_t source = 0;      // entries in the source
  size_t copied = 0;      // written to the target (absent there or different)
  size_t unchanged = 0;   // already equal in the target
  size_t failed = 0;      // the target refused the write
  size_t verified = 0;    // equal in the target, every field
  size_t mismatched = 0;  // absent or different in the target when verified
  size_t targetOnly = 0;  // in the target but not in the source (left alone)
};

struct MigrateReport {
  MigrateCounts records;
  MigrateCounts directory;
  // "name: what" for the first problems (bounded), for the operator; never a secret.
  std::vector<std::string> problems;

  bool ok() const {
    return records.failed == 0 && records.mismatched == 0 && directory.failed == 0 &&
           directory.mismatched == 0;
  }
  void problem(const std::string& text);
};

// The first field (in HostRecord's order) in which `a` and `b` differ; "" when equal.
std::string firstDifference(const HostRecord& a, const HostRecord& b);

// Copies every record of `from` that is missing or different in `to`, a page of `pageSize`
// at a time (memory bounded by the pages): both read in name order and merged, the copies
// written a page per putAll(). Re-running changes nothing.
void copyRecords(Store& from, Store& to, MigrateReport& report, size_t pageSize = 1000);

// Compares every record of `from` with `to`'s, every field (both read in name order a page
// at a time and merged); counts records only `to` holds. Open `to` afresh for this so that it reads
// what was stored, not a cache.
void verifyRecords(Store& from, Store& to, MigrateReport& report, size_t pageSize = 1000);

// The same for the directory (api/directory.hpp): users, hosts and tokens of `from` missing
// or different in `to` are written (a token with the same id but other fields is revoked
// and added again); verifyDirectory compares every entry, every field. A directory that
// cannot be read counts as one failure.
void copyDirectory(Directory& from, Directory& to, MigrateReport& report);
void verifyDirectory(Directory& from, Directory& to, MigrateReport& report);

// `chipmunk-api migrate ...` (argv[1] == "migrate"): the exit status.
int migrateCommand(int argc, char** argv);

}  // namespace chipmunk::api
