#include "net/outbound_queue.h"

#include <cassert>

namespace chat::net {

ChunkPool::~ChunkPool() {
  for (OutboundChunk* c : idle_) delete c;
}

OutboundChunk* ChunkPool::take() {
  if (idle_.empty()) return new OutboundChunk;
  OutboundChunk* c = idle_.back();
  idle_.pop_back();
  return c;
}

void ChunkPool::give_back(OutboundChunk* c) {
  c->begin = c->end = 0;
  c->next = nullptr;
  if (idle_.size() < max_idle_) {
    idle_.push_back(c);
  } else {
    delete c;
  }
}

void OutboundQueue::push(ChunkPool& pool, FrameRef frame) {
  if (tail_ == nullptr || tail_->end == kFramesPerChunk) {
    OutboundChunk* c = pool.take();
    if (tail_ == nullptr) {
      head_ = tail_ = c;
      head_offset_ = 0;
    } else {
      tail_->next = c;
      tail_ = c;
    }
  }
  bytes_ += frame.size();
  tail_->frames[tail_->end++] = std::move(frame);
}

int OutboundQueue::fill_iovec(struct iovec* iov, int max) const {
  int n = 0;
  uint32_t offset = head_offset_;
  for (const OutboundChunk* c = head_; c != nullptr && n < max; c = c->next) {
    for (uint32_t i = c->begin; i < c->end && n < max; ++i) {
      const FrameRef& f = c->frames[i];
      iov[n].iov_base = const_cast<uint8_t*>(f.data() + offset);
      iov[n].iov_len = f.size() - offset;
      offset = 0;
      ++n;
    }
  }
  return n;
}

void OutboundQueue::consume(ChunkPool& pool, size_t n) {
  assert(n <= bytes_);
  bytes_ -= n;
  while (n > 0 && head_ != nullptr) {
    FrameRef& f = head_->frames[head_->begin];
    size_t left = f.size() - head_offset_;
    if (n < left) {
      head_offset_ += static_cast<uint32_t>(n);
      return;
    }
    n -= left;
    f.reset();
    head_offset_ = 0;
    if (++head_->begin == head_->end) {
      OutboundChunk* next = head_->next;
      pool.give_back(head_);
      head_ = next;
      if (head_ == nullptr) tail_ = nullptr;
    }
  }
}

void OutboundQueue::clear(ChunkPool& pool) {
  while (head_ != nullptr) {
    for (uint32_t i = head_->begin; i < head_->end; ++i) head_->frames[i].reset();
    OutboundChunk* next = head_->next;
    pool.give_back(head_);
    head_ = next;
  }
  tail_ = nullptr;
  head_offset_ = 0;
  bytes_ = 0;
}

void OutboundQueue::drop_unstarted(ChunkPool& pool) {
  if (head_offset_ == 0) {
    clear(pool);
    return;
  }
  FrameRef partial = std::move(head_->frames[head_->begin]);
  uint32_t offset = head_offset_;
  clear(pool);
  push(pool, std::move(partial));
  head_offset_ = offset;
  bytes_ -= offset;
}

void OutboundQueue::drop_after(ChunkPool& pool, uint64_t keep) {
  std::vector<FrameRef> kept;
  uint64_t covered = 0;
  uint32_t offset = head_offset_;
  for (OutboundChunk* c = head_; c != nullptr && covered < keep; c = c->next) {
    for (uint32_t i = c->begin; i < c->end && covered < keep; ++i) {
      covered += c->frames[i].size() - offset;
      offset = 0;
      kept.push_back(std::move(c->frames[i]));
    }
  }
  const uint32_t started = kept.empty() ? 0 : head_offset_;
  clear(pool);
  for (FrameRef& f : kept) push(pool, std::move(f));
  head_offset_ = started;
  bytes_ -= started;
}

}  // namespace chat::net
