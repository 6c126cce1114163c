#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace chat::metrics {
namespace {

TEST(ExpositionTest, FamilyThenSamples) {
  TextExposition out;
  out.family("chatd_connections", MetricType::kGauge, "Open connections.");
  out.sample("chatd_connections", {}, int64_t{3});
  out.family("chatd_frames_received_total", MetricType::kCounter, "Frames.");
  out.sample("chatd_frames_received_total", {{"type", "SAY"}}, uint64_t{12});
  out.sample("chatd_frames_received_total", {{"type", "HELLO"}, {"loop", "0"}}, uint64_t{1});
  EXPECT_EQ(out.text(),
            "# HELP chatd_connections Open connections.\n"
            "# TYPE chatd_connections gauge\n"
            "chatd_connections 3\n"
            "# HELP chatd_frames_received_total Frames.\n"
            "# TYPE chatd_frames_received_total counter\n"
            "chatd_frames_received_total{type=\"SAY\"} 12\n"
            "chatd_frames_received_total{type=\"HELLO\",loop=\"0\"} 1\n");
}

TEST(ExpositionTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(escape_help("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");
  TextExposition out;
  out.family("m", MetricType::kCounter, "line one\nline two");
  out.sample("m", {{"v", "say \"hi\"\n"}}, uint64_t{1});
  EXPECT_EQ(out.text(),
            "# HELP m line one\\nline two\n# TYPE m counter\nm{v=\"say \\\"hi\\\"\\n\"} 1\n");
}

TEST(ExpositionTest, FormatsValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-7), "-7");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1e-05), "1e-05");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(std::stod(format_value(1.0 / 3.0)), 1.0 / 3.0);  // round-trips
}

TEST(ExpositionTest, HistogramIsCumulativeInSecondsAndCountIsTheInfBucket) {
  LatencyHistogram h;
  h.observe(5);           // <= 10 us
  h.observe(10);          // <= 10 us (bounds are inclusive)
  h.observe(600);         // <= 1 ms
  h.observe(20'000'000);  // above every bound
  LatencySnapshot snap;
  snap.add(h);
  snap.add(h);  // two loops alike
  EXPECT_EQ(snap.count(), 8u);
  TextExposition out;
  out.histogram("lat_seconds", {{"loop", "1"}}, snap);
  const std::string& t = out.text();
  EXPECT_NE(t.find("lat_seconds_bucket{loop=\"1\",le=\"1e-05\"} 4\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_seconds_bucket{loop=\"1\",le=\"0.0005\"} 4\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_seconds_bucket{loop=\"1\",le=\"0.001\"} 6\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_seconds_bucket{loop=\"1\",le=\"10\"} 6\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_seconds_bucket{loop=\"1\",le=\"+Inf\"} 8\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_seconds_sum{loop=\"1\"} 40.00123\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_seconds_count{loop=\"1\"} 8\n"), std::string::npos) << t;
  // One line per bound, plus +Inf, _sum and _count.
  size_t lines = 0;
  for (char c : t) lines += c == '\n';
  EXPECT_EQ(lines, LatencyHistogram::kBuckets + 2);
}

TEST(ExpositionTest, QuantilesInterpolateInsideTheBucket) {
  LatencySnapshot empty;
  EXPECT_EQ(empty.quantile_seconds(0.99), 0);
  LatencyHistogram h;
  for (int i = 0; i < 100; ++i) h.observe(300);  // all in (250, 500] us
  LatencySnapshot snap;
  snap.add(h);
  EXPECT_NEAR(snap.quantile_seconds(0.5), 375e-6, 1e-9);
  EXPECT_NEAR(snap.quantile_seconds(0.99), 497.5e-6, 1e-9);
  LatencyHistogram slow;
  slow.observe(60'000'000);  // above the last bound: reported as the last bound
  LatencySnapshot s2;
  s2.add(slow);
  EXPECT_EQ(s2.quantile_seconds(0.5), 10.0);
}

}  // namespace
}  // namespace chat::metrics
