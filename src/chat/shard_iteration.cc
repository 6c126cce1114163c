// Shard, part 2: the end of every loop iteration — timers, held input,
// sessions to end, the batched flush, slot release, wakeups of other loops,
// published stats — and the shutdown sequence.
#include <algorithm>

#include "chat/shard.h"
#include "chat/shard_internal.h"

namespace chat {

using shard_internal::error_frame;
using shard_internal::kTimerTickMs;
using shard_internal::steady_us;

// ---------------------------------------------------------------- timers

void Shard::schedule_timer(Session& s, uint64_t deadline_ms) {
  ++s.timer_tag;
  wheel_.schedule(s.slot, s.timer_tag, deadline_ms);
}

void Shard::on_timer(uint32_t slot, uint32_t tag) {
  if (slot >= sessions_.size()) return;
  Session& s = sessions_[slot];
  if (s.timer_tag != tag) return;
  if (s.state == SessionState::kClosing) {
    s.close_now = true;
    s.out.clear(chunks_);
    closed_.push_back(s.slot);
  } else if (s.state == SessionState::kHandshake) {
    send_error_and_close(s, 0, proto::ErrorCode::kIdleTimeout, "no HELLO in time",
                         CloseReason::kIdle);
  } else if (s.state == SessionState::kLive) {
    uint64_t deadline = s.last_active_ms + uint64_t{cfg_.timeout} * 1000;
    if (mono_ms_ >= deadline) {
      send_error_and_close(s, 0, proto::ErrorCode::kIdleTimeout, "idle for too long",
                           CloseReason::kIdle);
    } else {
      schedule_timer(s, deadline);
    }
  }
}

// ---------------------------------------------------------------- iteration

int Shard::after_events() {
  loop_.assert_in_loop_thread();
  now_ms_ = ctx_.clock->now_ms();
  mono_ms_ = ctx_.clock->mono_ms();

  // Sessions whose in-flight replies all came back: their held input.
  if (!resume_.empty()) {
    std::vector<uint32_t> ready;
    ready.swap(resume_);
    for (uint32_t slot : ready) {
      Session& s = sessions_[slot];
      s.in_resume_list = false;
      if (s.state == SessionState::kLive || s.state == SessionState::kHandshake) resume(s);
    }
  }

  // Connections that spent their read budget last time.
  if (!pending_reads_.empty()) {
    std::vector<uint32_t> again;
    again.swap(pending_reads_);
    for (uint32_t slot : again) {
      Session& s = sessions_[slot];
      s.in_pending_reads = false;
      if (s.state == SessionState::kFree) continue;
      handle_readable(s);
    }
  }

  wheel_.advance(mono_ms_, [this](uint32_t slot, uint32_t tag) { on_timer(slot, tag); });

  if (mono_ms_ - last_sweep_ms_ >= 10'000) {
    last_sweep_ms_ = mono_ms_;
    sweep_offline_users();
  }

  // Sessions closed this iteration leave their rooms and go offline; what
  // that tells other sessions is queued before the flush below.
  while (!ending_.empty()) {
    std::vector<uint32_t> ending;
    ending.swap(ending_);
    for (uint32_t slot : ending) {
      Session& s = sessions_[slot];
      if (s.state == SessionState::kClosing && !s.ended) end_session(s);
    }
  }

  // One flush per connection per iteration: everything this iteration
  // queued goes out in as few writev calls as the socket allows.
  flushing_.swap(dirty_);  // flush() may queue a session for next time
  for (uint32_t slot : flushing_) {
    Session& s = sessions_[slot];
    if (s.state == SessionState::kFree) {
      s.dirty = false;
      continue;
    }
    flush(s);
  }
  flushing_.clear();
  if (!fanout_arrivals_us_.empty()) {
    uint64_t now_us = steady_us();
    for (uint64_t t : fanout_arrivals_us_) {
      stats_.delivery_latency.observe(now_us > t ? now_us - t : 0);
    }
    fanout_arrivals_us_.clear();
  }

  for (uint32_t slot : closed_) release_slot(sessions_[slot]);
  closed_.clear();

  if (clustered_) cluster_after_events();

  for (uint32_t to = 0; to < wake_pending_.size(); ++to) {
    if (wake_pending_[to]) {
      wake_pending_[to] = false;
      ctx_.shards[to]->loop().wake();
    }
  }

  live_sessions_.store(live_count_, std::memory_order_relaxed);
  stats_.last_iteration_mono_ms.set(static_cast<int64_t>(mono_ms_));
  if (mono_ms_ - last_stats_ms_ >= 1000) {
    last_stats_ms_ = mono_ms_;
    publish_stats();
  }

  if (shutting_down_ && (open_sessions_ == 0 || mono_ms_ >= shutdown_deadline_ms_)) {
    loop_.stop();
    return 0;
  }
  if (!pending_reads_.empty() || !dirty_.empty()) return 0;
  uint64_t next = wheel_.next_tick_ms();
  if (next <= mono_ms_) return 0;
  return static_cast<int>(std::min<uint64_t>(next - mono_ms_, kTimerTickMs));
}

void Shard::publish_stats() {
  // Once a second: levels that would cost the hot path to keep exact.
  uint64_t queued = 0;
  uint64_t largest = 0;
  for (const Session& s : sessions_) {
    if (s.state == SessionState::kFree) continue;
    queued += s.out.bytes();
    largest = std::max(largest, s.out.bytes());
  }
  stats_.outbound_bytes.set(static_cast<int64_t>(queued));
  stats_.outbound_largest.set(static_cast<int64_t>(largest));
  stats_.connections.set(open_sessions_);
  stats_.sessions_live.set(live_count_);
  stats_.users_online.set(users_online_);
  stats_.rooms.set(static_cast<int64_t>(rooms_.size() - rooms_.retained()));
}

void Shard::begin_shutdown() {
  shutting_down_ = true;
  shutdown_deadline_ms_ = mono_ms_ + uint64_t{cfg_.shutdown_grace} * 1000;
  // The listener stays watched: connections that arrive during the grace
  // period are told SHUTTING_DOWN instead of waiting in the backlog.
  for (Session& s : sessions_) {
    if (s.state == SessionState::kLive || s.state == SessionState::kHandshake) {
      send_error_and_close(s, 0, proto::ErrorCode::kShuttingDown, "server is shutting down",
                           CloseReason::kShutdown);
    }
  }
}

}  // namespace chat
