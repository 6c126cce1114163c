// Shard, part 2: the end of every loop iteration — timers, held input,
// sessions to end, the batched flush, slot release, wakeups of other loops,
// published stats — and the shutdown sequence.
#include <algorithm>

#include "chat/shard.h"
#include "chat/shard_internal.h"

namespace chat {

using shard_internal::error_frame;
using shard_internal::kBulkFlushCheckEvery;
using shard_internal::kBulkFlushUs;
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
  } else if (s.state == SessionState::kHandshake && s.web != nullptr &&
             s.web->phase == WebConn::Phase::kHttp) {
    stats_.web_http_errors.add();
    respond_http(s, 408, "text/plain; charset=utf-8", "no complete request in time\n");
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
  flush_bulk();

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
    publish_stats(mono_ms_ - last_stats_ms_);
    last_stats_ms_ = mono_ms_;
  }

  if (shutting_down_ && (open_sessions_ == 0 || mono_ms_ >= shutdown_deadline_ms_)) {
    loop_.stop();
    return 0;
  }
  if (!pending_reads_.empty() || !dirty_.empty() || bulk_head_ < bulk_.size()) return 0;
  uint64_t next = wheel_.next_tick_ms();
  if (next <= mono_ms_) return 0;
  return static_cast<int>(std::min<uint64_t>(next - mono_ms_, kTimerTickMs));
}

void Shard::flush_bulk() {
  // Fan-out copies go out oldest session first, for at most kBulkFlushUs
  // per iteration; the rest wait for the next iteration (which polls
  // without sleeping). Under load, each session's copies pile up meanwhile
  // and leave in one larger writev: the kernel's cost per write, not per
  // byte, is what a big fan-out spends its time on (docs/perf/). Replies
  // were flushed before this, so a publisher's ACK never waits for a crowd.
  const uint64_t start_us = steady_us();
  uint64_t now_us = start_us;
  uint32_t flushed = 0;
  while (bulk_head_ < bulk_.size()) {
    if (flushed % kBulkFlushCheckEvery == kBulkFlushCheckEvery - 1) {
      now_us = steady_us();
      if (now_us - start_us >= kBulkFlushUs) break;
    }
    Session& s = sessions_[bulk_[bulk_head_++]];
    ++bulk_done_;
    if (!s.in_bulk) continue;
    s.in_bulk = false;
    // Replies' and closing sessions' flushes belong to the dirty list.
    if (s.dirty || s.state == SessionState::kFree || s.state == SessionState::kClosing) continue;
    flush(s);
    ++flushed;
  }
  if (bulk_head_ == bulk_.size()) {
    bulk_.clear();
    bulk_head_ = 0;
  } else if (bulk_head_ > 4096 && bulk_head_ > bulk_.size() / 2) {
    bulk_.erase(bulk_.begin(), bulk_.begin() + static_cast<ptrdiff_t>(bulk_head_));
    bulk_head_ = 0;
  }

  // A SAY's delivery latency ends when the last of its copies was written.
  if (!fanout_arrivals_.empty() && fanout_arrivals_.front().written_at <= bulk_done_) {
    now_us = steady_us();
    while (!fanout_arrivals_.empty() && fanout_arrivals_.front().written_at <= bulk_done_) {
      const FanoutArrival& a = fanout_arrivals_.front();
      const uint64_t us = now_us > a.arrival_us ? now_us - a.arrival_us : 0;
      stats_.delivery_latency.observe(us);
      fanout_traffic_.observe_latency(a.room, us);
      fanout_arrivals_.pop_front();
    }
  }
}

void Shard::publish_stats(uint64_t elapsed_ms) {
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

  conn_log_.flush(mono_ms_);  // summaries of suppressed lines
  owner_traffic_.decay(elapsed_ms);
  fanout_traffic_.decay(elapsed_ms);
  std::vector<RoomTrafficEntry> owned = owner_traffic_.snapshot();
  std::vector<RoomTrafficEntry> fanned = fanout_traffic_.snapshot();
  std::lock_guard<std::mutex> lock(stats_.room_traffic.mu);  // once a second, never per message
  stats_.room_traffic.owned.swap(owned);
  stats_.room_traffic.fanned.swap(fanned);
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
