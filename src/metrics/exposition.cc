#include "metrics/exposition.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace chat::metrics {

void LatencySnapshot::add(const LatencyHistogram& h) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += h.bucket(i);
  sum_us += h.sum_us();
}

void LatencySnapshot::add(const LatencySnapshot& h) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += h.counts[i];
  sum_us += h.sum_us;
}

uint64_t LatencySnapshot::count() const {
  uint64_t n = 0;
  for (uint64_t c : counts) n += c;
  return n;
}

double LatencySnapshot::quantile_seconds(double q) const {
  const uint64_t total = count();
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const uint64_t upto = below + counts[i];
    if (counts[i] > 0 && static_cast<double>(upto) >= rank) {
      if (i == LatencyHistogram::kBoundsUs.size()) {  // +Inf: report the last bound
        return static_cast<double>(LatencyHistogram::kBoundsUs.back()) / 1e6;
      }
      const double lo = i == 0 ? 0.0 : static_cast<double>(LatencyHistogram::kBoundsUs[i - 1]);
      const double hi = static_cast<double>(LatencyHistogram::kBoundsUs[i]);
      const double within = (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
      return (lo + (hi - lo) * within) / 1e6;
    }
    below = upto;
  }
  return static_cast<double>(LatencyHistogram::kBoundsUs.back()) / 1e6;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
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

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  // The shortest form that reads back as the same double.
  for (int precision = 15; precision < 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) return buf;
  }
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

void TextExposition::family(std::string_view name, MetricType type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  switch (type) {
    case MetricType::kCounter:
      out_ += " counter\n";
      break;
    case MetricType::kGauge:
      out_ += " gauge\n";
      break;
    case MetricType::kHistogram:
      out_ += " histogram\n";
      break;
  }
}

void TextExposition::sample_prefix(std::string_view name, Labels labels, const Label* extra) {
  out_ += name;
  if (labels.size() == 0 && extra == nullptr) {
    out_ += ' ';
    return;
  }
  out_ += '{';
  bool first = true;
  auto put = [&](const Label& l) {
    if (!first) out_ += ',';
    first = false;
    out_ += l.name;
    out_ += "=\"";
    out_ += escape_label_value(l.value);
    out_ += '"';
  };
  for (const Label& l : labels) put(l);
  if (extra != nullptr) put(*extra);
  out_ += "} ";
}

void TextExposition::sample(std::string_view name, Labels labels, double value) {
  sample_prefix(name, labels, nullptr);
  out_ += format_value(value);
  out_ += '\n';
}

void TextExposition::sample(std::string_view name, Labels labels, uint64_t value) {
  sample_prefix(name, labels, nullptr);
  out_ += std::to_string(value);
  out_ += '\n';
}

void TextExposition::sample(std::string_view name, Labels labels, int64_t value) {
  sample_prefix(name, labels, nullptr);
  out_ += std::to_string(value);
  out_ += '\n';
}

void TextExposition::histogram(std::string_view name, Labels labels, const LatencySnapshot& h) {
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    const std::string le =
        i < LatencyHistogram::kBoundsUs.size()
            ? format_value(static_cast<double>(LatencyHistogram::kBoundsUs[i]) / 1e6)
            : "+Inf";
    const Label extra{"le", le};
    sample_prefix(bucket, labels, &extra);
    out_ += std::to_string(cumulative);
    out_ += '\n';
  }
  sample(std::string(name) + "_sum", labels, static_cast<double>(h.sum_us) / 1e6);
  // _count equals the +Inf bucket, as the format requires, even while the
  // loops go on writing during the scrape.
  sample(std::string(name) + "_count", labels, cumulative);
}

}  // namespace chat::metrics
