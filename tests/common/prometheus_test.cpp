#include "common/prometheus.h"

#include <gtest/gtest.h>

namespace edgeocr::common {
namespace {

TEST(PrometheusText, WritesEachFamilyHeaderOnceWithEscapedLabelsAndIntegerCounts) {
  PrometheusText out;
  out.counter("x_total", "Things.", 1e6, {{"route", "/v1/\"ocr\"\n"}});
  out.counter("x_total", "Things.", 2, {{"route", "b\\c"}});
  out.gauge("y", "A level.", 0.25);
  EXPECT_EQ(out.str(),
            "# HELP x_total Things.\n# TYPE x_total counter\n"
            "x_total{route=\"/v1/\\\"ocr\\\"\\n\"} 1000000\n"
            "x_total{route=\"b\\\\c\"} 2\n"
            "# HELP y A level.\n# TYPE y gauge\ny 0.25\n");
}

TEST(PrometheusText, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Histogram h({0.1, 1});
  for (double v : {0.05, 0.1, 0.5, 3.0}) h.observe(v);
  PrometheusText out;
  out.histogram("lat_seconds", "Latency.", h, {{"stage", "rec"}});
  EXPECT_EQ(out.str(),
            "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{stage=\"rec\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{stage=\"rec\",le=\"1\"} 3\n"
            "lat_seconds_bucket{stage=\"rec\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{stage=\"rec\"} 3.65\n"
            "lat_seconds_count{stage=\"rec\"} 4\n");
}

}  // namespace
}  // namespace edgeocr::common
