// Prometheus text exposition format (version 0.0.4): the body of GET
// /metrics. Pure string building, no I/O.
//
//   TextExposition out;
//   out.family("chatd_connections", MetricType::kGauge, "Open client connections.");
//   out.sample("chatd_connections", {}, 3);
//   out.family("chatd_frames_received_total", MetricType::kCounter, "...");
//   out.sample("chatd_frames_received_total", {{"type", "SAY"}}, 12);
//   std::string body = out.take();
//
// Each family's HELP and TYPE come first and its samples follow, as the
// format requires. Label values are escaped (\ " and newline); names are the
// caller's constants and are not checked here.
//
// LatencySnapshot sums LatencyHistograms (one per loop) into one set of
// buckets; histogram() writes it in seconds as _bucket{le}, _sum, _count.
//
// Thread: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "metrics/counters.h"

namespace chat::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

struct Label {
  std::string_view name;
  std::string_view value;
};
using Labels = std::initializer_list<Label>;

// Buckets of one or more LatencyHistograms added together.
struct LatencySnapshot {
  std::array<uint64_t, LatencyHistogram::kBuckets> counts{};  // non-cumulative
  uint64_t sum_us = 0;

  void add(const LatencyHistogram& h);
  void add(const LatencySnapshot& h);
  // Counts one observation (for a plain, single-threaded histogram).
  void observe(uint64_t us) {
    ++counts[LatencyHistogram::bucket_index(us)];
    sum_us += us;
  }
  uint64_t count() const;
  // The q-quantile (0 < q < 1) in seconds, interpolated linearly inside its
  // bucket as PromQL's histogram_quantile() does; 0 with no observations.
  // Observations above the last bound report that bound.
  double quantile_seconds(double q) const;
};

class TextExposition {
 public:
  void family(std::string_view name, MetricType type, std::string_view help);
  void sample(std::string_view name, Labels labels, double value);
  void sample(std::string_view name, Labels labels, uint64_t value);
  void sample(std::string_view name, Labels labels, int64_t value);
  // Writes name_bucket{labels..., le}, name_sum and name_count.
  void histogram(std::string_view name, Labels labels, const LatencySnapshot& h);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void sample_prefix(std::string_view name, Labels labels, const Label* extra);

  std::string out_;
};

// Helpers, public for tests.
// `value` with \ " and newline escaped, for a label value.
std::string escape_label_value(std::string_view value);
// `text` with \ and newline escaped, for HELP.
std::string escape_help(std::string_view text);
// A sample value: integers without exponent, "+Inf", "-Inf", "NaN".
std::string format_value(double value);

}  // namespace chat::metrics
