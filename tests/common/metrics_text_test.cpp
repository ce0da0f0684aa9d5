// SPDX-License-Identifier: MIT
// The Prometheus text format writer (common/metrics_text.cpp), checked by promtool.
#include <catch2/catch.hpp>

#include "common/metrics_text.hpp"
#include "tests/support/prometheus_text.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using namespace chipmunk;

TEST_CASE("MetricsText: label values escape backslash, quote and line feed", "[common][unit]") {
  CHECK(escapeLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(escapeLabelValue("plain") == "plain");
  MetricsText out;
  out.family("x_total", "counter", "Help with a \\ and a\nline feed.");
  out.sample("x_total", {{"name", "we\"ird\\\nname"}}, uint64_t{3});
  CHECK(out.text() ==
        "# HELP x_total Help with a \\\\ and a\\nline feed.\n"
        "# TYPE x_total counter\n"
        "x_total{name=\"we\\\"ird\\\\\\nname\"} 3\n");
  CHECK(test::seriesValue(out.text(), "x_total{name=\"we\\\"ird\\\\\\nname\"}") == 3.0);
  test::checkExposition(out.text());
}

TEST_CASE("MetricsText: a histogram's buckets are cumulative and end in +Inf", "[common][unit]") {
  MetricsText out;
  out.histogram("t_seconds", "Time.", {0.005, 0.5}, {2, 1}, 4, 1.25);
  CHECK(out.text() ==
        "# HELP t_seconds Time.\n# TYPE t_seconds histogram\n"
        "t_seconds_bucket{le=\"0.005\"} 2\nt_seconds_bucket{le=\"0.5\"} 3\n"
        "t_seconds_bucket{le=\"+Inf\"} 4\nt_seconds_sum 1.25\nt_seconds_count 4\n");
  test::checkExposition(out.text());
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
