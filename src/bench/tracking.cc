#include "bench/tracking.h"

#include <algorithm>
#include <bit>

namespace chat::bench {

void SeqWindow::reset(uint64_t base) {
  last = base;
  for (auto& w : bits) w = ~0ull;
}

uint64_t SeqWindow::advance(uint64_t to) {
  uint64_t n = to - last;
  uint64_t holes = 0;
  if (n >= kBits) {
    // Every seq of the old window leaves, and those between it and the new
    // window were never seen.
    for (auto& w : bits) {
      holes += static_cast<uint64_t>(64 - std::popcount(w));
      w = 0;
    }
    holes += n - kBits;
  } else {
    // s and s - kBits share a bit: test the leaving seq, then clear for s.
    for (uint64_t s = last + 1; s <= to; ++s) {
      if (!test(s)) ++holes;
      bits[(s % kBits) / 64] &= ~(1ull << (s % 64));
    }
  }
  last = to;
  return holes;
}

SeqVerdict SeqWindow::observe(uint64_t seq, uint64_t* holes) {
  *holes = 0;
  if (seq > last) {
    *holes = advance(seq);
    set(seq);
    return SeqVerdict::kNext;
  }
  if (last - seq >= kBits) return SeqVerdict::kLate;
  if (test(seq)) return SeqVerdict::kDuplicate;
  set(seq);
  return SeqVerdict::kLate;
}

void SeqWindow::mark_own(uint64_t seq, uint64_t* holes) {
  *holes = 0;
  if (seq > last) {
    *holes = advance(seq);
    set(seq);
  } else if (last - seq < kBits) {
    set(seq);
  }
}

uint64_t SeqWindow::settle() {
  uint64_t holes = 0;
  for (auto& w : bits) {
    holes += static_cast<uint64_t>(64 - std::popcount(w));
    w = ~0ull;
  }
  return holes;
}

SeqVerdict observe_sender_seq(uint32_t& last, uint64_t seq, uint64_t* skipped) {
  *skipped = 0;
  if (seq > last) {
    uint64_t ahead = seq - last;
    last = static_cast<uint32_t>(std::min<uint64_t>(seq, UINT32_MAX));
    if (ahead > 1) {
      *skipped = ahead - 1;
      return SeqVerdict::kAfterGap;
    }
    return SeqVerdict::kNext;
  }
  return seq == last ? SeqVerdict::kDuplicate : SeqVerdict::kLate;
}

size_t next_pow2(size_t n) {
  size_t p = 16;
  while (p < n) p <<= 1;
  return p;
}

PairSeqTable::PairSeqTable(size_t capacity) : keys_(capacity, kEmpty), last_(capacity, 0) {}

void PairSeqTable::clear() {
  std::fill(keys_.begin(), keys_.end(), kEmpty);
  std::fill(last_.begin(), last_.end(), 0);
  size_ = 0;
}

bool PairSeqTable::observe(uint32_t sender, uint32_t recipient, uint64_t seq, SeqVerdict* verdict) {
  uint64_t key = (static_cast<uint64_t>(sender) << 32) | recipient;
  size_t mask = keys_.size() - 1;
  // Fibonacci hashing spreads consecutive user indexes.
  auto i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
  for (size_t probes = 0; probes <= mask; ++probes, i = (i + 1) & mask) {
    if (keys_[i] == key) {
      uint64_t skipped = 0;
      *verdict = observe_sender_seq(last_[i], seq, &skipped);
      // Per pair, seqs skip numbers sent to other recipients: not a gap.
      if (*verdict == SeqVerdict::kAfterGap) *verdict = SeqVerdict::kNext;
      return true;
    }
    if (keys_[i] == kEmpty) {
      // Keep the table at most 3/4 full so probes stay short.
      if ((size_ + 1) * 4 > keys_.size() * 3) {
        return false;
      }
      keys_[i] = key;
      last_[i] = static_cast<uint32_t>(std::min<uint64_t>(seq, UINT32_MAX));
      ++size_;
      *verdict = SeqVerdict::kNext;
      return true;
    }
  }
  return false;
}

}  // namespace chat::bench
