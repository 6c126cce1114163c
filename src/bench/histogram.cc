#include "bench/histogram.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>

namespace chat::bench {

size_t Histogram::bucket_of(uint64_t v) {
  if (v < kExactBelow) {
    return static_cast<size_t>(v);
  }
  int msb = 63 - std::countl_zero(v);  // >= kSubBits + 1
  if (msb >= kTopBit) {
    return kBuckets - 1;
  }
  int shift = msb - kSubBits;      // >= 1
  uint64_t mantissa = v >> shift;  // [128, 255]
  return static_cast<size_t>(kExactBelow + static_cast<uint64_t>(shift - 1) * kSubBuckets +
                             (mantissa - kSubBuckets));
}

uint64_t Histogram::bucket_low(size_t index) {
  if (index < kExactBelow) {
    return index;
  }
  uint64_t rel = index - kExactBelow;
  int shift = static_cast<int>(rel / kSubBuckets) + 1;
  uint64_t mantissa = rel % kSubBuckets + kSubBuckets;
  return mantissa << shift;
}

uint64_t Histogram::bucket_width(size_t index) {
  if (index < kExactBelow) {
    return 1;
  }
  return 1ull << ((index - kExactBelow) / kSubBuckets + 1);
}

void Histogram::record_n(uint64_t v, uint64_t n) {
  if (n == 0) {
    return;
  }
  counts_[bucket_of(v)] += n;
  count_ += n;
  sum_ += v * n;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) {
    return;
  }
  for (size_t i = 0; i < kBuckets; ++i) {
    counts_[i] += other.counts_[i];
  }
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() { *this = Histogram(); }

uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) {
    return 0;
  }
  q = std::clamp(q, 0.0, 1.0);
  if (q >= 1.0) {
    return max_;
  }
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      uint64_t mid = bucket_low(i) + (bucket_width(i) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

std::string Histogram::serialize() const {
  std::string out = std::to_string(count_) + "/" + std::to_string(min()) + "/" +
                    std::to_string(max_) + "/" + std::to_string(sum_) + "/";
  bool any = false;
  for (size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] == 0) {
      continue;
    }
    if (any) {
      out += ',';
    }
    out += std::to_string(i);
    out += ':';
    out += std::to_string(counts_[i]);
    any = true;
  }
  if (!any) {
    out += '-';
  }
  return out;
}

namespace {

// Reads an unsigned decimal at `pos`, moving `pos` past it.
bool read_u64(std::string_view s, size_t& pos, uint64_t* v) {
  const char* first = s.data() + pos;
  const char* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(first, last, *v);
  if (ec != std::errc() || ptr == first) {
    return false;
  }
  pos += static_cast<size_t>(ptr - first);
  return true;
}

bool expect_char(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) {
    return false;
  }
  ++pos;
  return true;
}

}  // namespace

bool Histogram::parse(std::string_view text) {
  Histogram h;
  size_t pos = 0;
  uint64_t count = 0;
  uint64_t mn = 0;
  uint64_t mx = 0;
  uint64_t sum = 0;
  if (!read_u64(text, pos, &count) || !expect_char(text, pos, '/') || !read_u64(text, pos, &mn) ||
      !expect_char(text, pos, '/') || !read_u64(text, pos, &mx) || !expect_char(text, pos, '/') ||
      !read_u64(text, pos, &sum) || !expect_char(text, pos, '/')) {
    return false;
  }
  uint64_t total = 0;
  if (pos < text.size() && text[pos] == '-') {
    ++pos;
  } else {
    for (;;) {
      uint64_t index = 0;
      uint64_t n = 0;
      if (!read_u64(text, pos, &index) || !expect_char(text, pos, ':') ||
          !read_u64(text, pos, &n) || index >= kBuckets) {
        return false;
      }
      h.counts_[index] += n;
      total += n;
      if (pos == text.size() || text[pos] != ',') {
        break;
      }
      ++pos;
    }
  }
  if (pos != text.size() || total != count) {
    return false;
  }
  h.count_ = count;
  h.sum_ = sum;
  h.min_ = count ? mn : UINT64_MAX;
  h.max_ = mx;
  *this = h;
  return true;
}

}  // namespace chat::bench
