// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "api/store.hpp"

namespace chipmunk::api {

// What `chipmunk-api migrate` did to the records of one store pair.
struct MigrateReport {
  size_t source = 0;      // records in the source
  size_t copied = 0;      // written to the target (absent there or different)
  size_t unchanged = 0;   // already equal in the target
  size_t failed = 0;      // put() refused
  size_t verified = 0;    // equal in the target, every field
  size_t mismatched = 0;  // absent or different in the target when verified
  size_t targetOnly = 0;  // in the target but not in the source (left alone)
  // "name: field" for the first problems (bounded), for the operator.
  std::vector<std::string> problems;

  bool ok() const { return failed == 0 && mismatched == 0; }
};

// The first field (in HostRecord's order) in which `a` and `b` differ; "" when equal.
std::string firstDifference(const HostRecord& a, const HostRecord& b);

// Copies every record of `from` that is missing or different in `to` with put(), a page
// of `pageSize` at a time (memory bounded by the page): re-running changes nothing.
void copyRecords(Store& from, Store& to, MigrateReport& report, size_t pageSize = 1000);

// Compares every record of `from` with `to`'s get(), every field; counts records only `to`
// holds. Open `to` afresh for this so that it reads what was stored, not a cache.
void verifyRecords(Store& from, Store& to, MigrateReport& report, size_t pageSize = 1000);

// `chipmunk-api migrate ...` (argv[1] == "migrate"): the exit status.
int migrateCommand(int argc, char** argv);

}  // namespace chipmunk::api
