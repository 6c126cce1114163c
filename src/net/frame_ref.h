// FrameRef: an encoded frame shared by every queue that sends it.
//
// A message for N recipients is encoded once into one heap block (refcount,
// size and bytes together) and each recipient's OutboundQueue holds a
// FrameRef to it. The count is atomic because a frame encoded on one loop
// is queued on others; the bytes are immutable once the frame is shared,
// with one exception: the loop that encodes a frame may patch it
// (mutable_data) before handing it to anyone else.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>  // placement new
#include <string_view>
#include <utility>

namespace chat::net {

class FrameRef {
 public:
  FrameRef() = default;
  // Copies `bytes` into a new frame block.
  static FrameRef copy_of(std::string_view bytes) {
    FrameRef f = allocate(bytes.size());
    std::memcpy(f.mutable_data(), bytes.data(), bytes.size());
    return f;
  }
  // A new block of `size` bytes, contents unset.
  static FrameRef allocate(size_t size) {
    void* mem = std::malloc(sizeof(Block) + size);
    if (mem == nullptr) std::abort();  // out of memory: nothing sane is left to do
    auto* b = new (mem) Block;
    b->size = size;
    return FrameRef(b);
  }

  FrameRef(const FrameRef& o) : b_(o.b_) { retain(); }
  FrameRef(FrameRef&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  FrameRef& operator=(const FrameRef& o) {
    if (this != &o) {
      FrameRef copy(o);
      swap(copy);
    }
    return *this;
  }
  FrameRef& operator=(FrameRef&& o) noexcept {
    if (this != &o) {
      release();
      b_ = std::exchange(o.b_, nullptr);
    }
    return *this;
  }
  ~FrameRef() { release(); }

  void swap(FrameRef& o) noexcept { std::swap(b_, o.b_); }
  explicit operator bool() const { return b_ != nullptr; }
  const uint8_t* data() const { return b_->bytes(); }
  // REQUIRES: the frame has not been handed to another owner yet.
  uint8_t* mutable_data() { return b_->bytes(); }
  size_t size() const { return b_ ? b_->size : 0; }
  std::string_view view() const {
    return b_ ? std::string_view(reinterpret_cast<const char*>(b_->bytes()), b_->size)
              : std::string_view();
  }
  void reset() { release(); }

  // For fan-out: counts `n` more references in one atomic step, instead of
  // one step per copy (the count is shared by every loop that queues the
  // frame, so each step is a cache line passed between cores). Each of the
  // `n` must then be claimed with claim_counted() exactly once.
  void count_refs(uint32_t n) const {
    if (b_ != nullptr && n > 0) b_->refs.fetch_add(n, std::memory_order_relaxed);
  }
  // A reference already counted by count_refs().
  FrameRef claim_counted() const { return FrameRef(b_); }

 private:
  struct Block {
    std::atomic<uint32_t> refs{1};
    size_t size = 0;
    uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this + 1); }
  };
  explicit FrameRef(Block* b) : b_(b) {}
  void retain() {
    if (b_ != nullptr) b_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() {
    if (b_ != nullptr && b_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      b_->~Block();
      std::free(b_);
    }
    b_ = nullptr;
  }
  Block* b_ = nullptr;
};

}  // namespace chat::net
