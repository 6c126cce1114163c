// Exact delivery accounting: what one received message means for the
// receiver's view of a sequence (a room's seq for chat, a sender's seq for
// the peers). Pure data structures; nothing here allocates after setup.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace chat::bench {

enum class SeqVerdict : uint8_t {
  kNext,       // ahead of everything seen: in order, first time seen
  kAfterGap,   // ahead of the next number: numbers were skipped (a gap)
  kDuplicate,  // seen before
  kLate,       // behind the highest seen but not seen before: out of order
};

// A member's view of a chat room's seq: which of the last kBits seqs it has
// seen, its own messages included (the server does not deliver those to the
// sender, whose ACK tells their seq, possibly after later MESSAGEs). A seq
// that leaves the window unseen is a hole: a message the member never got.
// Holes are counted late on purpose, so an ACK or a reordered delivery has
// kBits seqs of slack to fill them first.
struct SeqWindow {
  static constexpr uint64_t kBits = 1024;
  uint64_t last = 0;               // highest seq seen
  uint64_t bits[kBits / 64] = {};  // bit (s % kBits): s seen, for s in (last - kBits, last]

  // Starts the view after `base`: seqs <= base count as seen.
  void reset(uint64_t base);
  // A MESSAGE with `seq` arrived. Adds the seqs that left the window unseen to
  // *holes. kNext, kDuplicate or kLate (kLate also for seqs too old to tell).
  SeqVerdict observe(uint64_t seq, uint64_t* holes);
  // The member's own message got `seq`. Adds holes like observe().
  void mark_own(uint64_t seq, uint64_t* holes);
  // Counts the unseen seqs still in the window as holes and marks them seen.
  uint64_t settle();

 private:
  bool test(uint64_t s) const { return (bits[(s % kBits) / 64] >> (s % 64)) & 1; }
  void set(uint64_t s) { bits[(s % kBits) / 64] |= 1ull << (s % 64); }
  uint64_t advance(uint64_t to);
};

// A sender-seq view when only the highest seq is kept (4 bytes a sender).
// Seqs start at 1; last = 0 means nothing seen yet.
SeqVerdict observe_sender_seq(uint32_t& last, uint64_t seq, uint64_t* skipped);

// Highest seq seen per (sender, recipient) pair, for private messages, in a
// fixed-capacity open-addressing table: ordering is guaranteed only per pair,
// and a run sees few pairs compared with senders x recipients. Full means
// insertions fail (the caller counts them as unchecked) instead of growing.
class PairSeqTable {
 public:
  // REQUIRES: capacity is a power of two.
  explicit PairSeqTable(size_t capacity = 1024);
  void clear();
  // Observes `seq` from `sender` to `recipient`. Returns false when the pair
  // is new and the table is full.
  bool observe(uint32_t sender, uint32_t recipient, uint64_t seq, SeqVerdict* verdict);
  size_t size() const { return size_; }
  size_t capacity() const { return keys_.size(); }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> last_;
  size_t size_ = 0;
};

// Rounds `n` up to a power of two (at least 16).
size_t next_pow2(size_t n);

}  // namespace chat::bench
