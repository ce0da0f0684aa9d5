// SPDX-License-Identifier: MIT
#include "tests/support/prometheus_text.hpp"

#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace chipmunk::test {

std::optional<double> seriesValue(const std::string& exposition, const std::string& series) {
  const std::string head = series + " ";
  size_t start = 0;
  while (start < exposition.size()) {
    size_t end = exposition.find('\n', start);
    if (end == std::string::npos) {
      end = exposition.size();
    }
    if (exposition.compare(start, head.size(), head) == 0) {
      const std::string value = exposition.substr(start + head.size(), end - start - head.size());
      char* rest = nullptr;
      const double v = std::strtod(value.c_str(), &rest);
      if (rest == value.c_str() || *rest != '\0') {
        return std::nullopt;
      }
      return v;
    }
    start = end + 1;
  }
  return std::nullopt;
}

double requireSeries(const std::string& exposition, const std::string& series) {
  INFO(series);
  const auto v = seriesValue(exposition, series);
  REQUIRE(v);
  return *v;
}

void checkExposition(const std::string& exposition) {
  std::string output;
  if (const auto status = promtoolCheck(exposition, output)) {
    INFO(output);
    CHECK(*status == 0);
  }
}

std::optional<int> promtoolCheck(const std::string& exposition, std::string& output) {
  const char* promtool = "/usr/bin/promtool";
  if (::access(promtool, X_OK) != 0) {
    std::cerr << "WARN: promtool not installed (Debian's prometheus package; "
                 "scripts/install-deps.sh --tests): the exposition is not validated\n";
    return std::nullopt;
  }
  TempDir dir;
  const int status = runCommand({promtool, "check", "metrics"}, dir.file("out"), dir.file("err"),
                                exposition, std::chrono::seconds(30));
  output = readFile(dir.file("out")) + readFile(dir.file("err"));
  return status;
}

}  // namespace chipmunk::test
