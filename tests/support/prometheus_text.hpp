// SPDX-License-Identifier: MIT
#pragma once

// Reading a Prometheus text exposition in tests: `promtool check metrics` (Debian's
// prometheus package) as the real parser, and the value of one series to check numbers.

#include <optional>
#include <string>

namespace chipmunk::test {

// The value of the series written exactly as `series` (`name` or `name{a="x",b="y"}`, the
// labels in the order the exposition writes them); nullopt when absent or unparsable.
std::optional<double> seriesValue(const std::string& exposition, const std::string& series);

// seriesValue, or a failed REQUIRE naming the series.
double requireSeries(const std::string& exposition, const std::string& series);

// CHECKs that `promtool check metrics` accepts `exposition` (skipped with a WARN without
// promtool).
void checkExposition(const std::string& exposition);

// `promtool check metrics` on `exposition`: nullopt when promtool is not installed (a WARN
// is printed; the caller skips), else its exit status with its output in `output`.
std::optional<int> promtoolCheck(const std::string& exposition, std::string& output);

}  // namespace chipmunk::test
