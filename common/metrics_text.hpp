// SPDX-License-Identifier: MIT
#pragma once

// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): what chipmunk-updater's
// textfile (metrics_file) and chipmunk-api's /metrics are written in.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chipmunk {

using MetricLabels = std::vector<std::pair<const char*, std::string>>;

// A label value as the format quotes it: backslash, double quote and line feed escaped.
std::string escapeLabelValue(std::string_view value);

// Builds one exposition: each family's # HELP and # TYPE once, then its samples.
class MetricsText {
 public:
  // `type`: counter, gauge, histogram or untyped. `help` may hold any text (escaped).
  void family(const char* name, const char* type, std::string_view help);
  void sample(const char* name, const MetricLabels& labels, double value);
  void sample(const char* name, const MetricLabels& labels, uint64_t value);
  void sample(const char* name, uint64_t value) { sample(name, {}, value); }
  // A histogram family: `bounds` the upper bounds in ascending order, `counts` one per bound
  // and not cumulative (the +Inf bucket: `count` less their sum); `sum` in the unit.
  void histogram(const char* name, std::string_view help, const std::vector<double>& bounds,
                 const std::vector<uint64_t>& counts, uint64_t count, double sum);

  const std::string& text() const { return out_; }

 private:
  void head(const char* name, const MetricLabels& labels);
  std::string out_;
};

}  // namespace chipmunk
