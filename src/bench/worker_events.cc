// Worker: sending one message, and what the engine and the driver report.
#include <algorithm>

#include "bench/body.h"
#include "bench/worker.h"

namespace chat::bench {

bool Worker::can_send(const Client& c) const {
  return c.state == ClientState::kReady && c.outstanding < opt_.window &&
         (driver_->acks_each_send() || !c.markers.full());
}

void Worker::send_one(Client& c, int64_t now) {
  BodyFields f{round_, c.user, ++c.sent_seq, static_cast<uint64_t>(now)};
  size_t n = format_body(body_buf_.data(), body_buf_.size(), f, opt_.payload);
  Topic t;
  if (c.role.room_sender) {
    t = Topic{Topic::Kind::kRoom, c.role.room};
  } else {
    // A random other user among those taking part.
    uint32_t others = std::max<uint32_t>(1, active_ - 1);
    auto r = static_cast<uint32_t>(rng_() % others);
    if (r >= c.user) ++r;
    t = Topic{Topic::Kind::kUser, r};
  }
  driver_->publish(c, t, std::string_view(body_buf_.data(), n));
  ++c.outstanding;
  ++cur_->sent;
  ++life_sent_;
  if (cur_->first_send_us == 0) cur_->first_send_us = now;
  cur_->last_send_us = now;
  if (!driver_->acks_each_send() && ++c.unsynced >= sync_every_) {
    c.markers.push(c.unsynced);
    c.unsynced = 0;
    driver_->sync(c);
  }
  c.last_tx_us = now;
  engine_.flush_later(c);
}

void Worker::refill(Client& c) {
  if (phase_ != Phase::kSending) return;
  int64_t now = mono_us();
  if (now >= send_end_us_) return;
  while (can_send(c)) send_one(c, now);
}

void Worker::confirm(Client& c, uint32_t n) {
  n = std::min(n, c.outstanding);
  if (n == 0) return;
  c.outstanding -= n;
  cur_->acked += n;
  if (c.role.room_sender) {
    room_acked_[c.role.room] += n;
    if (c.member) self_acked_ += n;
  } else if (c.role.private_peer) {
    private_acked_ += n;
  }
  if (window_mode_) refill(c);
}

void Worker::make_ready(Client& c) {
  c.state = ClientState::kReady;
  --in_flight_;
  ++ready_;
  ++cur_->established;
  int64_t now = mono_us();
  cur_->login_us.record(static_cast<uint64_t>(std::max<int64_t>(0, now - c.started_us)));
}

// ---------------------------------------------------------------------------
// EngineHandler

void Worker::on_connected(Client& c) {
  driver_->on_connected(c);
  c.last_tx_us = mono_us();
}

ptrdiff_t Worker::on_data(Client& c, std::span<const uint8_t> data) {
  return driver_->parse(c, data);
}

void Worker::on_closed(Client& c, ClientState was, std::string_view cause) {
  switch (was) {
    case ClientState::kConnecting:
    case ClientState::kHandshake:
    case ClientState::kSubscribing:
      --in_flight_;
      cur_->failed.add(cause);
      ++life_problems_;
      break;
    case ClientState::kReady:
      --ready_;
      cur_->dropped.add(cause);
      ++life_problems_;
      if (phase_ == Phase::kSending || phase_ == Phase::kConfirming) {
        cur_->unconfirmed += c.outstanding;
      }
      break;
    case ClientState::kClosing:
      ++cur_->closed;
      break;
    default:
      break;
  }
  c.outstanding = 0;
  c.unsynced = 0;
  c.markers = MarkerRing();
}

// ---------------------------------------------------------------------------
// DriverSink

void Worker::on_logged_in(Client& c, uint32_t heartbeat_s) {
  if (c.state != ClientState::kHandshake) return;
  c.heartbeat_s = heartbeat_s > 0 ? heartbeat_s : 30;
  c.last_tx_us = mono_us();
  // A chat room takes messages only from its members: publishers join too
  // (they are not counted as members; what they receive is ignored).
  if (c.role.subscriber || (c.role.room_sender && opt_.target == Target::kChat)) {
    c.state = ClientState::kSubscribing;
    driver_->subscribe(c, Topic{Topic::Kind::kRoom, c.role.room});
  } else if (c.role.private_peer && opt_.target != Target::kChat) {
    c.state = ClientState::kSubscribing;
    driver_->subscribe(c, Topic{Topic::Kind::kUser, c.user});
  } else {
    make_ready(c);
  }
}

void Worker::on_subscribed(Client& c, uint64_t base_seq) {
  if (c.state != ClientState::kSubscribing) return;
  c.room_seq.reset(base_seq);
  make_ready(c);
}

void Worker::on_refused(Client& c, std::string_view cause) { engine_.close(c, cause); }

void Worker::on_send_acked(Client& c, uint64_t id) {
  if (c.member && c.role.room_sender && id != 0 && opt_.target == Target::kChat) {
    // The server does not deliver our own message to us: its seq is seen.
    uint64_t holes = 0;
    c.room_seq.mark_own(id, &holes);
    cur_->gaps += holes;
  }
  confirm(c, 1);
}

void Worker::on_send_refused(Client& c, std::string_view code) {
  ++cur_->refused;
  cur_->errors.add(code);
  ++life_problems_;
  if (c.outstanding > 0) --c.outstanding;
  if (window_mode_) refill(c);
}

void Worker::on_marker(Client& c) {
  if (c.markers.size == 0) return;
  confirm(c, c.markers.pop());
}

void Worker::on_error(Client& /*c*/, std::string_view code) {
  cur_->errors.add(code);
  ++life_problems_;
}

void Worker::on_delivery(Client& c, Topic t, uint64_t room_seq, std::string_view body) {
  int64_t now = mono_us();
  if (t.kind == Topic::Kind::kRoom && (!c.role.subscriber || t.index != c.role.room)) {
    return;  // a room this benchmark does not watch
  }
  bool by_room_seq = room_seq != 0 && t.kind == Topic::Kind::kRoom;
  SeqVerdict verdict = SeqVerdict::kNext;
  uint64_t skipped = 0;
  // The room seq is checked for every message, stale ones included, so the
  // view stays continuous across rounds.
  if (by_room_seq) {
    verdict = c.room_seq.observe(room_seq, &skipped);
    cur_->gaps += skipped;
  }
  BodyFields f;
  if (!parse_body(body, &f)) {
    ++cur_->undecodable;
    return;
  }
  if (!measuring_ || f.round != round_) {
    ++cur_->stale;
    return;
  }
  if (f.sender == c.user) return;  // a peer echoing our own publish back
  ++cur_->delivered;
  ++life_delivered_;
  if (!by_room_seq) {
    if (t.kind == Topic::Kind::kRoom) {
      uint32_t slot = plan_.sender_slot(f.sender);
      if (sender_last_.empty() || slot >= plan_.slots_per_subscriber()) {
        ++cur_->unchecked;
      } else {
        verdict = observe_sender_seq(sender_last_[c.slot_base + slot], f.seq, &skipped);
      }
    } else if (!pairs_ || !pairs_->observe(f.sender, c.user, f.seq, &verdict)) {
      ++cur_->unchecked;
      verdict = SeqVerdict::kNext;
    }
  }
  switch (verdict) {
    case SeqVerdict::kNext:
      ++cur_->unique;
      break;
    case SeqVerdict::kAfterGap:
      ++cur_->unique;
      cur_->gaps += skipped;
      break;
    case SeqVerdict::kDuplicate:
      ++cur_->duplicates;
      break;
    case SeqVerdict::kLate:
      ++cur_->unique;
      ++cur_->out_of_order;
      break;
  }
  auto sent = static_cast<int64_t>(f.sent_us);
  cur_->latency_us.record(static_cast<uint64_t>(std::max<int64_t>(0, now - sent)));
  cur_->last_delivery_us = now;
}

}  // namespace chat::bench
