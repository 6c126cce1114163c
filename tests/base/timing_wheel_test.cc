#include "base/timing_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace chat {
namespace {

using Fired = std::vector<std::pair<uint32_t, uint32_t>>;

Fired advance_collect(TimingWheel& w, uint64_t now_ms) {
  Fired fired;
  w.advance(now_ms, [&](uint32_t id, uint32_t tag) { fired.emplace_back(id, tag); });
  std::sort(fired.begin(), fired.end());
  return fired;
}

TEST(TimingWheelTest, FiresAtTheDeadlineRoundedUpToTheTick) {
  TimingWheel w(100, 8, 1000);
  w.schedule(1, 7, 1250);  // rounds up to 1300
  EXPECT_EQ(w.size(), 1u);
  EXPECT_TRUE(advance_collect(w, 1250).empty());
  EXPECT_TRUE(advance_collect(w, 1299).empty());
  EXPECT_EQ(advance_collect(w, 1300), (Fired{{1, 7}}));
  EXPECT_EQ(w.size(), 0u);
  EXPECT_TRUE(advance_collect(w, 5000).empty());  // reported once
}

TEST(TimingWheelTest, DeadlineOnATickBoundaryFiresAtThatTick) {
  TimingWheel w(10, 4, 0);
  w.schedule(3, 0, 20);
  EXPECT_TRUE(advance_collect(w, 19).empty());
  EXPECT_EQ(advance_collect(w, 20), (Fired{{3, 0}}));
}

TEST(TimingWheelTest, PastDeadlinesFireAtTheNextAdvanceWhateverItsTime) {
  TimingWheel w(100, 8, 10'000);
  w.schedule(1, 1, 0);
  w.schedule(2, 2, 10'000);  // exactly now
  w.schedule(3, 3, 9'999);
  EXPECT_EQ(w.next_tick_ms(), 10'000u);  // already reached
  EXPECT_EQ(advance_collect(w, 10'000), (Fired{{1, 1}, {2, 2}, {3, 3}}));
  // Even an advance that does not move time (or moves it back).
  w.schedule(4, 4, 5);
  EXPECT_EQ(advance_collect(w, 3), (Fired{{4, 4}}));
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimingWheelTest, EntriesBeyondOneRevolutionWaitForTheirRevolution) {
  TimingWheel w(10, 4, 0);  // one revolution = 40 ms
  w.schedule(1, 0, 10);
  w.schedule(2, 0, 50);   // same slot as 10, next revolution
  w.schedule(3, 0, 170);  // four revolutions later, same slot again
  EXPECT_EQ(advance_collect(w, 10), (Fired{{1, 0}}));
  EXPECT_TRUE(advance_collect(w, 49).empty());
  EXPECT_EQ(advance_collect(w, 50), (Fired{{2, 0}}));
  EXPECT_TRUE(advance_collect(w, 169).empty());
  EXPECT_EQ(advance_collect(w, 170), (Fired{{3, 0}}));
}

TEST(TimingWheelTest, LongJumpFiresEverythingDueAndKeepsTheRest) {
  TimingWheel w(1000, 60, 0);
  const uint64_t hour_ms = 3'600'000;
  for (uint32_t id = 0; id < 500; ++id) w.schedule(id, id, uint64_t{id} * 1000 + 1);
  w.schedule(1000, 0, 10 * hour_ms + 1);  // after the jump
  const Fired fired = advance_collect(w, 5 * hour_ms);
  EXPECT_EQ(fired.size(), 500u);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_TRUE(advance_collect(w, 10 * hour_ms).empty());
  EXPECT_EQ(advance_collect(w, 10 * hour_ms + 1000), (Fired{{1000, 0}}));
}

TEST(TimingWheelTest, HugeJumpWithFineTickIsBoundedBySlots) {
  // A per-tick loop would take 2^62 iterations here; it must not.
  TimingWheel w(1, 1024, 0);
  w.schedule(1, 1, 5);
  w.schedule(2, 2, std::numeric_limits<uint64_t>::max() - 10);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(advance_collect(w, uint64_t{1} << 62), (Fired{{1, 1}}));
  EXPECT_EQ(advance_collect(w, uint64_t{1} << 63), Fired{});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(advance_collect(w, std::numeric_limits<uint64_t>::max()), (Fired{{2, 2}}));
}

TEST(TimingWheelTest, NextTickReportsTheFirstSlotWithWork) {
  TimingWheel w(100, 16, 1000);
  EXPECT_EQ(w.next_tick_ms(), std::numeric_limits<uint64_t>::max());
  w.schedule(1, 0, 1550);
  EXPECT_EQ(w.next_tick_ms(), 1600u);
  w.schedule(2, 0, 1201);
  EXPECT_EQ(w.next_tick_ms(), 1300u);
  advance_collect(w, 1300);
  EXPECT_EQ(w.next_tick_ms(), 1600u);
  // An entry a revolution (1600 ms) or more away: its slot is checked earlier.
  advance_collect(w, 1600);
  w.schedule(3, 0, 1600 + 1600 * 3 + 200);
  EXPECT_EQ(w.next_tick_ms(), 1800u);
  EXPECT_TRUE(advance_collect(w, 1800).empty());
  EXPECT_EQ(w.next_tick_ms(), 3400u);
}

TEST(TimingWheelTest, RescheduleFromInsideTheCallback) {
  TimingWheel w(10, 8, 0);
  int fired = 0;
  w.schedule(1, 0, 10);
  // A periodic timer every 30 ms that re-arms itself with the next tag.
  for (uint64_t now = 0; now <= 300; now += 10) {
    w.advance(now, [&](uint32_t id, uint32_t tag) {
      EXPECT_EQ(id, 1u);
      EXPECT_EQ(tag, static_cast<uint32_t>(fired));
      ++fired;
      w.schedule(id, tag + 1, now + 30);
    });
  }
  EXPECT_EQ(fired, 10);  // at 10, 40, ..., 280
  EXPECT_EQ(w.size(), 1u);
}

TEST(TimingWheelTest, AlreadyDueScheduleFromCallbackWaitsForTheNextAdvance) {
  TimingWheel w(10, 4, 0);
  w.schedule(1, 0, 10);
  int calls = 0;
  auto fn = [&](uint32_t id, uint32_t tag) {
    ++calls;
    if (tag < 3) w.schedule(id, tag + 1, 0);  // due at once: never an endless loop
  };
  w.advance(10, fn);
  EXPECT_EQ(calls, 1);
  w.advance(10, fn);
  EXPECT_EQ(calls, 2);
  w.advance(10, fn);
  w.advance(10, fn);
  EXPECT_EQ(calls, 4);
  w.advance(10, fn);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimingWheelTest, ScheduleIntoTheSlotBeingFiredDuringALongJump) {
  TimingWheel w(10, 4, 0);
  for (uint32_t id = 0; id < 100; ++id) w.schedule(id, 0, 10 + id % 4 * 10);
  size_t fired = 0;
  // Each report schedules a later deadline in the same slot (one revolution on).
  w.advance(1000, [&](uint32_t id, uint32_t tag) {
    ++fired;
    if (tag == 0) w.schedule(id, 1, 1000 + 40 + id % 4 * 10);
  });
  EXPECT_EQ(fired, 100u);
  EXPECT_EQ(w.size(), 100u);
  EXPECT_EQ(advance_collect(w, 1049).size(), 25u);  // the ids with id % 4 == 0, due at 1040
  EXPECT_EQ(advance_collect(w, 2000).size(), 75u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimingWheelTest, SteadyStateDoesNotAllocate) {
  TimingWheel w(10, 32, 0);
  uint64_t now = 0;
  auto cycle = [&] {
    now = (now / 320 + 1) * 320;  // same phase of the wheel each time
    w.advance(now, [](uint32_t, uint32_t) {});
    for (uint32_t id = 0; id < 1000; ++id) w.schedule(id, 0, now + 10 + id % 300);
    while (w.size() > 0) {
      now += 10;
      w.advance(now, [](uint32_t, uint32_t) {});
    }
  };
  cycle();
  const size_t reserved = w.reserved_entries();
  for (int i = 0; i < 5; ++i) cycle();
  EXPECT_EQ(w.reserved_entries(), reserved);
}

// Random schedules, advances (short steps and long jumps) and re-schedules
// from callbacks, checked against a model: each entry fires exactly once, at
// the first advance whose time reaches its deadline rounded up to the tick,
// or at the next advance if it was already due when scheduled.
TEST(TimingWheelTest, MatchesAModelUnderRandomLoad) {
  std::mt19937_64 rng(12345);
  const uint32_t tick_ms = 16;
  const uint32_t slots = 64;
  uint64_t now = 1'000'000;
  TimingWheel w(tick_ms, slots, now);

  struct Pending {
    uint64_t due_ms;       // deadline rounded up to the tick
    bool overdue;          // already due when scheduled: fires at the next advance
    int added_in_fn_step;  // the step whose callback scheduled it, or -1
  };
  std::map<std::pair<uint32_t, uint32_t>, Pending> pending;  // (id, tag) -> when
  std::map<uint32_t, uint32_t> next_tag;
  uint64_t total_fired = 0;

  auto round_up = [&](uint64_t ms) { return (ms + tick_ms - 1) / tick_ms * tick_ms; };
  auto add = [&](uint32_t id, uint64_t deadline, uint64_t current, int in_fn_step) {
    const uint32_t tag = next_tag[id]++;
    const uint64_t due = round_up(deadline);
    pending[{id, tag}] = Pending{due, due <= current / tick_ms * tick_ms, in_fn_step};
    w.schedule(id, tag, deadline);
  };

  for (int step = 0; step < 3000; ++step) {
    const int burst = static_cast<int>(rng() % 20);
    for (int i = 0; i < burst; ++i) {
      const auto id = static_cast<uint32_t>(rng() % 2000);
      const uint64_t kind = rng() % 10;
      uint64_t deadline;
      if (kind == 0) {
        deadline = now - std::min<uint64_t>(now, rng() % 5000);  // in the past
      } else if (kind < 3) {
        deadline = now + rng() % (uint64_t{tick_ms} * slots * 5);  // several revolutions
      } else {
        deadline = now + rng() % (uint64_t{tick_ms} * slots);
      }
      add(id, deadline, now, -1);
    }
    uint64_t next = now;
    const uint64_t move = rng() % 100;
    if (move < 5) {
      next = now + 3'600'000 + rng() % 10'000;  // an hour and more
    } else if (move < 10) {
      next = now;  // no movement
    } else {
      next = now + rng() % 100;
    }
    std::vector<std::pair<uint32_t, uint32_t>> reported;
    w.advance(next, [&](uint32_t id, uint32_t tag) {
      reported.emplace_back(id, tag);
      if (rng() % 4 == 0) add(id, next + rng() % 2000, next, step);  // re-arm from fn
      if (rng() % 16 == 0) add(id, 0, next, step);                   // already due
    });
    for (const auto& key : reported) {
      auto it = pending.find(key);
      ASSERT_NE(it, pending.end()) << "reported twice or never scheduled";
      EXPECT_NE(it->second.added_in_fn_step, step) << "fired by the advance that scheduled it";
      EXPECT_TRUE(it->second.due_ms <= next || it->second.overdue);
      pending.erase(it);
      ++total_fired;
    }
    // Nothing due may be left behind, except what this advance's fn added.
    for (const auto& [key, p] : pending) {
      if (p.added_in_fn_step == step) continue;
      ASSERT_FALSE(p.overdue) << "overdue id " << key.first << " not fired";
      ASSERT_GT(p.due_ms, next) << "missed id " << key.first << " tag " << key.second;
    }
    EXPECT_EQ(w.size(), pending.size());
    now = next;
  }
  EXPECT_GT(total_fired, 10'000u);
}

}  // namespace
}  // namespace chat
