// Shard, part 6: cluster mode (docs/cluster.md). The rooms this loop owns
// do their Redis work here, through this loop's two Redis connections: a
// SAY runs the SAY script (seq, stream, publish, resend memory in one atomic
// step) and is ACKed when Redis answers; every node delivers a room's
// messages when they arrive on the room's channel, so all members see one
// order; a JOIN is answered once the channel is subscribed (gapless); and
// HISTORY reads the room's stream.
#include <algorithm>
#include <string>

#include <spdlog/spdlog.h>

#include "chat/shard.h"
#include "chat/shard_internal.h"
#include "cluster/presence_wire.h"
#include "cluster/redis_connection.h"
#include "cluster/room_wire.h"
#include "proto/frame.h"

namespace chat {

using shard_internal::kRedisCmdToken;
using shard_internal::kRedisSubToken;
using shard_internal::put_u64;
using shard_internal::steady_us;
using State = ClusterRoom::State;

namespace {

using proto::ErrorCode;

constexpr size_t kMaxBufferedPushes = 65'536;  // per room while its seq is read

}  // namespace

bool Shard::redis_cmd_up() const { return redis_cmd_ && redis_cmd_->up(); }
bool Shard::redis_sub_up() const { return redis_sub_ && redis_sub_->up(); }

void Shard::cluster_start() {
  const std::string& host = cfg_.cluster_host;
  uint16_t port = cfg_.cluster_port;
  redis_cmd_ = std::make_unique<cluster::RedisConnection>(
      loop_, kRedisCmdToken, host, port, "loop " + std::to_string(index_) + " cmd");
  redis_sub_ = std::make_unique<cluster::RedisConnection>(
      loop_, kRedisSubToken, host, port, "loop " + std::to_string(index_) + " sub");
  redis_cmd_->set_state_handler([this](bool up) { on_redis_cmd_state(up); });
  redis_sub_->set_state_handler([this](bool up) { on_redis_sub_state(up); });
  redis_sub_->set_push_handler([this](const redisReply& r) { on_redis_push(r); });
  redis_cmd_->start(mono_ms_);
  redis_sub_->start(mono_ms_);
}

void Shard::cluster_stop() {
  cluster_stopping_ = true;  // the null replies of commands still out change nothing
  redis_cmd_.reset();
  redis_sub_.reset();
}

bool Shard::cluster_event(uint64_t token, uint32_t events) {
  if (token == kRedisCmdToken) {
    redis_cmd_->on_event(events);
    return true;
  }
  if (token == kRedisSubToken) {
    redis_sub_->on_event(events);
    return true;
  }
  return false;
}

void Shard::cluster_after_events() {
  redis_cmd_->flush();
  redis_sub_->flush();
  redis_cmd_->tick(mono_ms_);
  redis_sub_->tick(mono_ms_);
  presence_tick();
  redis_cmd_->flush();  // what the tick asked
}

// ---------------------------------------------------------------- state

void Shard::on_redis_cmd_state(bool up) {
  if (cluster_stopping_) return;
  if (up) {
    // Loaded before any EVALSHA on this connection (commands go in order).
    for (std::string_view script : {cluster::kSayScript, cluster::kWhisperScript,
                                    cluster::kLoginScript, cluster::kLogoutScript}) {
      std::string_view load[] = {"SCRIPT", "LOAD", script};
      redis_cmd_->command(load, [](const redisReply*) {});
    }
    for (auto& [name, cr] : cluster_rooms_) {
      if (cr.state == State::kSyncing) request_room_seq(name);
    }
    // Redis may have lost them (or dropped us as dead): say again who is here.
    next_heartbeat_ms_ = 0;
    for (const auto& [name, u] : users_) {
      if (u->sessions.empty()) continue;
      announce_user(name, true);
      // This node's sessions of the user, counted again (exactly).
      std::string count = std::to_string(u->sessions.size());
      redis_cmd_->command({"HSET", cluster::sessions_key(name), cfg_.node_id, count},
                          [](const redisReply*) {});
      for (uint32_t slot : u->sessions) sessions_[slot].cluster_counted = true;
    }
    return;
  }
  // JOINs waiting for a seq read are refused; the rooms stay subscribed and
  // read their seq again when the connection is back.
  std::vector<std::string> waiting;
  for (auto& [name, cr] : cluster_rooms_) {
    if (!cr.joiners.empty() && cr.state != State::kLive) waiting.push_back(name);
  }
  for (const std::string& name : waiting) fail_joiners(name);
}

void Shard::on_redis_sub_state(bool up) {
  if (cluster_stopping_) return;
  if (!up) {
    // The subscriptions are gone with the connection: messages published
    // meanwhile are read from the rooms' streams once subscribed again
    // (refill_room).
    std::vector<std::string> names;
    for (auto& [name, cr] : cluster_rooms_) names.push_back(name);
    for (const std::string& name : names) {
      fail_joiners(name);
      auto it = cluster_rooms_.find(name);
      if (it == cluster_rooms_.end()) continue;
      it->second.state = State::kIdle;
      it->second.buffered.clear();
      release_acks(it->second, /*all=*/true);  // accepted: their messages will not come back here
    }
    for (auto& [user, uc] : user_channels_) {
      uc.state = UserChannel::State::kIdle;
      release_welcomes(uc);
    }
    return;
  }
  redis_sub_->subscribe(cluster::kStatusChannel);  // its confirmation starts a snapshot
  for (auto& [user, uc] : user_channels_) {
    if (uc.wanted && redis_sub_->subscribe(cluster::user_channel(user))) {
      uc.state = UserChannel::State::kSubscribing;
    }
  }
  std::erase_if(user_channels_, [](const auto& entry) { return !entry.second.wanted; });
  // Back: every room with local members subscribes again; its seq may jump.
  rooms_.for_each([this](const Room& room) {
    if (room.sessions() == 0) return;
    ClusterRoom& cr = cluster_rooms_[room.name()];
    if (cr.state != State::kIdle) return;
    if (redis_sub_->subscribe(cluster::room_channel(room.name()))) cr.state = State::kSubscribing;
  });
  std::erase_if(cluster_rooms_, [](const auto& entry) {
    return entry.second.state == State::kIdle && entry.second.joiners.empty();
  });
}

// ---------------------------------------------------------------- joining

void Shard::cluster_join(Mail& m, bool counted) {
  ClusterRoom& cr = cluster_rooms_[m.b];
  if (cr.state == State::kLive) {
    answer_join(m.addr, std::move(m.b), m.req, m.flag, cr.delivered_seq, ErrorCode{});
    return;
  }
  cr.joiners.push_back(ClusterRoom::Joiner{m.addr, m.a, m.req, m.flag, counted});
  if (cr.state == State::kIdle) {
    if (!redis_sub_->subscribe(cluster::room_channel(m.b))) {
      fail_joiners(m.b);
      return;
    }
    cr.state = State::kSubscribing;
  }
  // kSubscribing / kSyncing / kRefilling: answered by room_live(). kUnsubscribing:
  // subscribes again when the UNSUBSCRIBE is confirmed.
}

void Shard::fail_joiners(const std::string& name) {
  auto it = cluster_rooms_.find(name);
  if (it == cluster_rooms_.end()) return;
  std::vector<ClusterRoom::Joiner> joiners;
  joiners.swap(it->second.joiners);
  Room* room = rooms_.find(name);
  for (ClusterRoom::Joiner& j : joiners) {
    if (j.counted && room != nullptr && room->remove_session(j.user, addr_loop(j.addr))) {
      room_event(*room, proto::RoomEventKind::kLeft, j.user, j.addr);
      room->forget_user(j.user);
    }
    answer_join(j.addr, name, j.req, j.reply, 0, ErrorCode::kUnavailable);
  }
  if (room != nullptr && room->sessions() == 0) {
    cluster_room_emptied(name);
    rooms_.release_if_empty(*room);
  }
}

void Shard::cluster_room_emptied(const std::string& name) {
  auto it = cluster_rooms_.find(name);
  if (it == cluster_rooms_.end() || !it->second.joiners.empty()) return;
  ClusterRoom& cr = it->second;
  release_acks(cr, /*all=*/true);
  if (cr.state == State::kIdle) {
    cluster_rooms_.erase(it);
  } else if (cr.state != State::kUnsubscribing) {
    cr.buffered.clear();
    if (redis_sub_->unsubscribe(cluster::room_channel(name))) {
      cr.state = State::kUnsubscribing;
    } else {
      cluster_rooms_.erase(it);
    }
  }
}

void Shard::request_room_seq(const std::string& name) {
  std::string key = cluster::room_seq_key(name);
  std::string_view argv[] = {"GET", key};
  redis_cmd_->command(argv, [this, name](const redisReply* r) {
    if (cluster_stopping_ || r == nullptr) return;  // a lost connection: asked again when back
    if (r->type == REDIS_REPLY_NIL) {
      room_synced(name, 0);
    } else if (r->type == REDIS_REPLY_STRING) {
      auto seq = cluster::parse_u64({r->str, r->len});
      if (seq) room_synced(name, *seq);
    } else {
      spdlog::warn("loop {}: GET seq of room '{}' failed", index_, name);
      fail_joiners(name);
    }
  });
  // Not sent (down): on_redis_cmd_state(true) asks again.
}

void Shard::room_synced(const std::string& name, uint64_t seq) {
  auto it = cluster_rooms_.find(name);
  if (it == cluster_rooms_.end() || it->second.state != State::kSyncing) return;
  ClusterRoom& cr = it->second;
  const uint64_t last = cr.delivered_seq;
  const Room* room = rooms_.find(name);
  if (last != 0 && seq > last && room != nullptr && room->sessions() > 0) {
    // Subscribed again after losing the subscription: what was published
    // meanwhile comes from the room's stream, in order, before anything new
    // (which waits in `buffered`), so members here see no gap.
    cr.state = State::kRefilling;
    refill_room(name, last, seq);
    return;
  }
  room_live(name, cr, seq);
}

void Shard::refill_room(const std::string& name, uint64_t last, uint64_t seq) {
  // The stream keeps about `history` entries: older ones are gone anyway.
  const uint64_t from = seq - last > cfg_.history ? seq - cfg_.history + 1 : last + 1;
  const std::string key = cluster::room_stream_key(name);
  const std::string start = std::to_string(from);
  const std::string end = std::to_string(seq);
  const std::string count = std::to_string(seq - from + 1);
  std::string_view argv[] = {"XRANGE", key, start, end, "COUNT", count};
  bool sent = redis_cmd_->command(argv, [this, name, seq](const redisReply* r) {
    if (cluster_stopping_) return;
    auto it = cluster_rooms_.find(name);
    if (it == cluster_rooms_.end() || it->second.state != State::kRefilling) return;
    std::vector<cluster::StreamEntry> entries;
    if (r == nullptr || !cluster::decode_stream_range(*r, &entries)) {
      spdlog::warn("loop {}: room '{}' could not be refilled from its stream; its seq jumps",
                   index_, name);
      entries.clear();
    }
    uint64_t delivered = it->second.delivered_seq;
    if (Room* room = rooms_.find(name)) {
      for (const cluster::StreamEntry& e : entries) {
        if (e.seq <= delivered || e.seq > seq) continue;
        delivered = e.seq;
        stats_.says.add();
        // As a live delivery does, skip the session that sent it.
        SessionAddr except = e.src_node == cfg_.node_id ? e.src_addr : 0;
        fanout_room(*room, encode_frame(proto::Message{name, e.seq, e.time, e.from, e.body}),
                    except, steady_us());
      }
    }
    it = cluster_rooms_.find(name);  // fanning out may have run mail on this loop
    if (it != cluster_rooms_.end() && it->second.state == State::kRefilling) {
      room_live(name, it->second, seq);
    }
  });
  if (!sent) room_live(name, cluster_rooms_[name], seq);  // down: the seq jumps
}

void Shard::release_acks(ClusterRoom& cr, bool all) {
  if (cr.parked_acks.empty()) return;
  std::vector<ClusterRoom::ParkedAck> ready;
  std::erase_if(cr.parked_acks, [&](ClusterRoom::ParkedAck& p) {
    if (!all && p.seq > cr.delivered_seq) return false;
    ready.push_back(std::move(p));
    return true;
  });
  for (ClusterRoom::ParkedAck& p : ready) post(addr_loop(p.answer.addr), std::move(p.answer));
}

void Shard::room_live(const std::string& name, ClusterRoom& cr, uint64_t seq) {
  cr.state = State::kLive;
  // A Redis that lost its data restarts seqs: the seq read now is the truth.
  cr.delivered_seq = seq;
  std::vector<ClusterRoom::Joiner> joiners;
  joiners.swap(cr.joiners);
  for (ClusterRoom::Joiner& j : joiners) {
    answer_join(j.addr, name, j.req, j.reply, cr.delivered_seq, ErrorCode{});
  }
  std::vector<std::string> buffered;
  buffered.swap(cr.buffered);
  for (const std::string& payload : buffered) deliver_room_push(name, cr, payload);
  release_acks(cr);
}

// ---------------------------------------------------------------- pub/sub

void Shard::on_redis_push(const redisReply& push) {
  if (cluster_stopping_) return;
  auto p = cluster::decode_pubsub_push(push);
  if (!p) return;
  if (p->channel == cluster::kStatusChannel) {
    on_status_push(*p);
    return;
  }
  if (auto user = cluster::user_of_channel(p->channel)) {
    on_user_push(std::string(*user), *p);
    return;
  }
  auto room = cluster::room_of_channel(p->channel);
  if (!room) return;
  auto it = cluster_rooms_.find(std::string(*room));
  if (it == cluster_rooms_.end()) return;
  ClusterRoom& cr = it->second;
  std::string name = it->first;
  switch (p->kind) {
    case cluster::PubSubPush::Kind::kSubscribe:
      if (cr.state == State::kSubscribing) {
        cr.state = State::kSyncing;
        request_room_seq(name);
      }
      break;
    case cluster::PubSubPush::Kind::kUnsubscribe:
      if (cr.state != State::kUnsubscribing) break;
      cr.state = State::kIdle;
      if (cr.joiners.empty()) {
        cluster_rooms_.erase(it);
      } else if (redis_sub_->subscribe(p->channel)) {
        cr.state = State::kSubscribing;  // JOINs came meanwhile
      } else {
        fail_joiners(name);
      }
      break;
    case cluster::PubSubPush::Kind::kMessage:
      if (cr.state == State::kSyncing || cr.state == State::kRefilling) {
        if (cr.buffered.size() < kMaxBufferedPushes) cr.buffered.emplace_back(p->payload);
      } else if (cr.state == State::kLive) {
        deliver_room_push(name, cr, p->payload);
        release_acks(cr);
      }
      break;
  }
}

void Shard::deliver_room_push(const std::string& name, ClusterRoom& cr, std::string_view payload) {
  auto push = cluster::decode_room_push(payload);
  if (!push) {
    spdlog::warn("loop {}: undecodable message on room '{}' channel", index_, name);
    return;
  }
  if (push->seq <= cr.delivered_seq) return;  // already known when the seq was read
  if (push->seq != cr.delivered_seq + 1 && cr.delivered_seq != 0) {
    spdlog::debug("loop {}: room '{}' seq jumps {} -> {}", index_, name, cr.delivered_seq,
                  push->seq);
  }
  cr.delivered_seq = push->seq;
  Room* room = rooms_.find(name);
  if (room == nullptr) return;
  // The frame as the sender's node encoded it: check it is a MESSAGE for
  // this room before patching seq and time in place.
  auto frame_payload =
      shard_internal::sole_frame_payload(push->frame, proto::MsgType::kMessage, cfg_.max_frame);
  proto::Decoded<proto::Message> d;
  if (frame_payload) d = proto::decode_message(*frame_payload);
  if (!frame_payload || !d.ok() || d.msg.room != name) {
    spdlog::warn("loop {}: bad MESSAGE on room '{}' channel", index_, name);
    return;
  }
  Frame frame = Frame::copy_of(push->frame);
  uint8_t* p = frame.mutable_data() + proto::kHeaderBytes;
  p += 1 + p[0];
  put_u64(p, push->seq);
  put_u64(p + 8, push->time);
  bool ours = push->node == cfg_.node_id;
  stats_.says.add();
  fanout_room(*room, frame, ours ? push->addr : 0, ours ? push->arrival_us : steady_us());
}

}  // namespace chat
