// SPDX-License-Identifier: MIT
#include "common/metrics_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace chipmunk {
namespace {

// The shortest of 15 or 17 significant digits that reads back as the same double (0.005,
// not 0.0050000000000000001).
std::string number(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", value);
  if (std::strtod(text, nullptr) != value) {
    std::snprintf(text, sizeof text, "%.17g", value);
  }
  return text;
}

}  // namespace

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void MetricsText::family(const char* name, const char* type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  for (const char c : help) {  // HELP escapes backslash and line feed only
    out_ += c == '\\' ? "\\\\" : c == '\n' ? "\\n" : std::string(1, c);
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void MetricsText::head(const char* name, const MetricLabels& labels) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      out_ += i == 0 ? "" : ",";
      out_ += labels[i].first;
      out_ += "=\"";
      out_ += escapeLabelValue(labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
}

void MetricsText::sample(const char* name, const MetricLabels& labels, double value) {
  head(name, labels);
  out_ += number(value);
  out_ += '\n';
}

void MetricsText::sample(const char* name, const MetricLabels& labels, uint64_t value) {
  head(name, labels);
  out_ += std::to_string(value);
  out_ += '\n';
}

void MetricsText::histogram(const char* name, std::string_view help,
                            const std::vector<double>& bounds, const std::vector<uint64_t>& counts,
                            uint64_t count, double sum) {
  family(name, "histogram", help);
  const std::string base = name;
  const std::string bucket = base + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size() && i < counts.size(); ++i) {
    cumulative += counts[i];
    sample(bucket.c_str(), {{"le", number(bounds[i])}}, cumulative);
  }
  sample(bucket.c_str(), {{"le", "+Inf"}}, count);
  sample((base + "_sum").c_str(), {}, sum);
  sample((base + "_count").c_str(), {}, count);
}

}  // namespace chipmunk
