// A coarse timing wheel: many deadlines, one check per tick, no allocation in
// steady state. Used for login, idle and heartbeat timeouts, where a deadline
// may fire up to one tick late and precision below the tick does not matter.
//
// Entries are (id, tag) pairs. There is no cancel: a caller that wants to
// cancel or move a deadline bumps its own per-id tag, schedules the new
// deadline, and ignores reports whose tag is stale (nginx's "instance bit").
//
// Thread: not thread-safe; owned by one EventLoop and used only in its thread.
// Time: any monotonic millisecond count (Clock::mono_ms()); never wall time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace chat {

class TimingWheel {
 public:
  // tick_ms: resolution; slots: wheel size (one revolution = tick_ms * slots).
  // Starts at now_ms. REQUIRES: tick_ms >= 1, slots >= 1 (0 is taken as 1).
  TimingWheel(uint32_t tick_ms, uint32_t slots, uint64_t now_ms);

  TimingWheel(const TimingWheel&) = delete;
  TimingWheel& operator=(const TimingWheel&) = delete;

  // Reports (id, tag) once, at the first advance() whose now_ms >= deadline_ms
  // rounded up to the tick. A deadline already reached fires at the next
  // advance(), whatever its now_ms. Cancellation is the caller's job (above).
  void schedule(uint32_t id, uint32_t tag, uint64_t deadline_ms);

  // Moves time to now_ms (a now_ms behind the wheel moves nothing back),
  // calling fn(id, tag) for every due entry, in no particular order. fn may
  // call schedule(); an entry it schedules is never reported by this same
  // advance(), even if already due (it waits for the next one). fn must not
  // call advance(). Visits at most `slots` slots, however long the jump.
  template <class Fn>
  void advance(uint64_t now_ms, Fn&& fn);

  // Entries scheduled and not yet reported.
  size_t size() const { return size_; }

  // The time at which advance() next has work to check: the start of the
  // first tick whose slot holds an entry (possibly one for a later
  // revolution), a time already reached if something is overdue, or
  // UINT64_MAX when the wheel is empty. An event loop sleeps until then.
  uint64_t next_tick_ms() const;

  uint32_t tick_ms() const { return tick_ms_; }

  // Entries the wheel can hold without allocating (sum of the capacities of
  // its vectors). Stays constant once the wheel has seen its peak load.
  size_t reserved_entries() const;

 private:
  struct Entry {
    uint32_t id;
    uint32_t tag;
    uint64_t due_tick;  // deadline rounded up to whole ticks
  };

  // Reports every entry of `slot` due at or before `due_tick`; keeps the rest
  // (and whatever fn appends) in place, keeping the vector's capacity.
  template <class Fn>
  void fire_slot(std::vector<Entry>& slot, uint64_t due_tick, Fn& fn);

  const uint32_t tick_ms_;
  std::vector<std::vector<Entry>> slots_;  // never resized after construction
  std::vector<Entry> overdue_;             // scheduled at or before current_tick_
  std::vector<Entry> firing_;              // overdue_ swapped out during advance()
  uint64_t current_tick_;                  // every entry due at or before it has fired
  size_t size_ = 0;
};

template <class Fn>
void TimingWheel::fire_slot(std::vector<Entry>& slot, uint64_t due_tick, Fn& fn) {
  // fn may append to this very slot (a push_back may reallocate), so walk by
  // index over the entries present on entry, copying each before calling fn.
  const size_t present = slot.size();
  size_t kept = 0;
  for (size_t i = 0; i < present; ++i) {
    const Entry e = slot[i];
    if (e.due_tick <= due_tick) {
      --size_;
      fn(e.id, e.tag);
    } else {
      slot[kept++] = e;
    }
  }
  // [kept, present) are fired leftovers; anything past `present` was added by
  // fn and stays. erase keeps the capacity.
  slot.erase(slot.begin() + static_cast<std::ptrdiff_t>(kept),
             slot.begin() + static_cast<std::ptrdiff_t>(present));
}

template <class Fn>
void TimingWheel::advance(uint64_t now_ms, Fn&& fn) {
  const uint64_t target = now_ms / tick_ms_;
  const uint64_t from = current_tick_;
  // Move time first: whatever fn schedules is then placed relative to the new
  // time, and an already-due entry goes to overdue_, reported next advance().
  if (target > current_tick_) current_tick_ = target;

  if (!overdue_.empty()) {
    firing_.swap(overdue_);  // fn's overdue schedules land in the empty overdue_
    for (const Entry& e : firing_) {
      --size_;
      fn(e.id, e.tag);
    }
    firing_.clear();
  }

  if (target <= from) return;
  const uint64_t slot_count = slots_.size();
  if (target - from >= slot_count) {
    // A jump of a revolution or more: every slot may hold due entries.
    for (auto& slot : slots_) fire_slot(slot, target, fn);
  } else {
    for (uint64_t tick = from + 1; tick <= target; ++tick) {
      fire_slot(slots_[tick % slot_count], target, fn);
    }
  }
}

}  // namespace chat
