#include "base/timing_wheel.h"

#include <cassert>
#include <limits>

namespace chat {

TimingWheel::TimingWheel(uint32_t tick_ms, uint32_t slots, uint64_t now_ms)
    : tick_ms_(tick_ms == 0 ? 1 : tick_ms),
      slots_(slots == 0 ? 1 : slots),
      current_tick_(now_ms / tick_ms_) {
  assert(tick_ms >= 1 && slots >= 1);
}

void TimingWheel::schedule(uint32_t id, uint32_t tag, uint64_t deadline_ms) {
  // Round up without overflowing near UINT64_MAX.
  const uint64_t due_tick = deadline_ms / tick_ms_ + (deadline_ms % tick_ms_ != 0 ? 1 : 0);
  ++size_;
  if (due_tick <= current_tick_) {
    overdue_.push_back(Entry{id, tag, due_tick});
    return;
  }
  slots_[due_tick % slots_.size()].push_back(Entry{id, tag, due_tick});
}

uint64_t TimingWheel::next_tick_ms() const {
  if (size_ == 0) return std::numeric_limits<uint64_t>::max();
  if (!overdue_.empty()) return current_tick_ * tick_ms_;
  const uint64_t slot_count = slots_.size();
  for (uint64_t tick = current_tick_ + 1; tick <= current_tick_ + slot_count; ++tick) {
    if (!slots_[tick % slot_count].empty()) return tick * tick_ms_;
  }
  // Unreachable while size_ counts correctly: every entry is in some slot.
  return (current_tick_ + 1) * tick_ms_;
}

size_t TimingWheel::reserved_entries() const {
  size_t total = overdue_.capacity() + firing_.capacity();
  for (const auto& slot : slots_) total += slot.capacity();
  return total;
}

}  // namespace chat
