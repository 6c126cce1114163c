// SpscQueue: an unbounded single-producer single-consumer FIFO without locks.
//
// Items live in fixed chunks linked in a list. The producer fills the tail
// chunk and publishes each item with a release store of the chunk's count;
// the consumer reads up to that count with an acquire load. The producer
// only allocates when a chunk fills (amortised over kChunkItems items), and
// the consumer frees chunks it has drained.
//
// Thread safety: exactly one producer thread calls push(); exactly one
// consumer thread calls pop_all(). Nothing else is shared.
#pragma once

#include <atomic>
#include <cstddef>
#include <utility>

namespace chat::net {

template <class T, size_t kChunkItems = 256>
class SpscQueue {
 public:
  SpscQueue() : head_(new Chunk), tail_(head_) {}
  ~SpscQueue() {
    while (head_ != nullptr) {
      Chunk* next = head_->next.load(std::memory_order_relaxed);
      delete head_;
      head_ = next;
    }
  }
  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  // Producer side.
  void push(T&& item) {
    if (tail_pos_ == kChunkItems) {
      auto* c = new Chunk;
      tail_->next.store(c, std::memory_order_release);
      tail_ = c;
      tail_pos_ = 0;
    }
    tail_->items[tail_pos_] = std::move(item);
    ++tail_pos_;
    tail_->committed.store(tail_pos_, std::memory_order_release);
  }

  // Consumer side: calls fn(T&) for every item published so far, in order.
  // Returns how many it handled.
  template <class Fn>
  size_t pop_all(Fn&& fn) {
    size_t handled = 0;
    for (;;) {
      size_t committed = head_->committed.load(std::memory_order_acquire);
      while (head_pos_ < committed) {
        T item = std::move(head_->items[head_pos_]);
        head_->items[head_pos_] = T();
        ++head_pos_;
        ++handled;
        fn(item);
      }
      if (head_pos_ < kChunkItems) return handled;
      Chunk* next = head_->next.load(std::memory_order_acquire);
      if (next == nullptr) return handled;
      delete head_;
      head_ = next;
      head_pos_ = 0;
    }
  }

  // Consumer side: true when an item is waiting.
  bool has_items() const {
    size_t committed = head_->committed.load(std::memory_order_acquire);
    if (head_pos_ < committed) return true;
    if (head_pos_ < kChunkItems) return false;
    Chunk* next = head_->next.load(std::memory_order_acquire);
    return next != nullptr && next->committed.load(std::memory_order_acquire) > 0;
  }

 private:
  struct Chunk {
    T items[kChunkItems];
    std::atomic<size_t> committed{0};
    std::atomic<Chunk*> next{nullptr};
  };
  // Consumer-owned.
  alignas(64) Chunk* head_;
  size_t head_pos_ = 0;
  // Producer-owned (own cache line: the two threads never share one).
  alignas(64) Chunk* tail_;
  size_t tail_pos_ = 0;
};

}  // namespace chat::net
