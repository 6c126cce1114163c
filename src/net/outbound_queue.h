// OutboundQueue: the frames waiting to be written to one connection.
//
// It holds FrameRefs (shared, encoded once) in fixed-size chunks taken from a
// per-loop ChunkPool and given back as soon as they drain, so an idle
// connection holds no queue memory at all and a busy one allocates nothing
// in steady state. Owned by one loop; not thread-safe.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "net/frame_ref.h"

namespace chat::net {

inline constexpr size_t kFramesPerChunk = 30;

struct OutboundChunk {
  FrameRef frames[kFramesPerChunk];
  uint32_t begin = 0;  // first unsent frame
  uint32_t end = 0;    // one past the last queued frame
  OutboundChunk* next = nullptr;
};

// Recycles chunks across the connections of one loop. Keeps at most
// `max_idle` spare chunks; the rest go back to the allocator.
class ChunkPool {
 public:
  explicit ChunkPool(size_t max_idle = 256) : max_idle_(max_idle) {}
  ~ChunkPool();
  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;

  OutboundChunk* take();
  void give_back(OutboundChunk* c);  // REQUIRES: c holds no frames
  size_t idle() const { return idle_.size(); }

 private:
  size_t max_idle_;
  std::vector<OutboundChunk*> idle_;
};

class OutboundQueue {
 public:
  OutboundQueue() = default;
  OutboundQueue(const OutboundQueue&) = delete;
  OutboundQueue& operator=(const OutboundQueue&) = delete;
  // REQUIRES: clear(pool) was called (a queue cannot free its chunks alone).
  ~OutboundQueue() = default;

  bool empty() const { return head_ == nullptr; }
  // Bytes queued and not yet written.
  uint64_t bytes() const { return bytes_; }

  void push(ChunkPool& pool, FrameRef frame);
  // Fills up to `max` iovecs with the unsent bytes, in order. Returns the count.
  int fill_iovec(struct iovec* iov, int max) const;
  // Drops `n` written bytes from the front.
  void consume(ChunkPool& pool, size_t n);
  // Drops everything queued.
  void clear(ChunkPool& pool);
  // Drops everything not yet started, keeping the rest of a frame that is
  // partly written so the stream stays whole for a last frame after it.
  void drop_unstarted(ChunkPool& pool);
  // Keeps the frames holding the first `keep` unsent bytes and drops the
  // rest (a WebSocket message in flight must be finished: its header
  // announced its length). Not for the hot path: it may allocate.
  void drop_after(ChunkPool& pool, uint64_t keep);

 private:
  OutboundChunk* head_ = nullptr;
  OutboundChunk* tail_ = nullptr;
  uint32_t head_offset_ = 0;  // bytes of head_->frames[head_->begin] already written
  uint64_t bytes_ = 0;
};

}  // namespace chat::net
