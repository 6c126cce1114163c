// Shard, part 3: mail between loops, and the owner side of rooms and users.
// A room's owner numbers its messages, keeps its history and membership
// counts and fans each message out once per loop that has members; a
// user's owner holds its sessions, watchers and resend caches.
#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/hash.h"
#include "chat/shard.h"
#include "chat/shard_internal.h"

namespace chat {

using shard_internal::put_u64;

namespace {

using proto::ErrorCode;

}  // namespace

uint32_t Shard::owner_of(std::string_view name) const {
  return static_cast<uint32_t>(fnv1a64(name) % loops_);
}

void Shard::post(uint32_t to, Mail&& m) {
  loop_.assert_in_loop_thread();  // the SPSC inbox's one producer is this thread
  m.from = index_;
  if (to == index_) {
    // Our own: no queue, no wakeup. In cluster mode answers may come back
    // later (from Redis), so requests to this loop count as in flight too
    // and their answers complete them (see note_inflight).
    if (clustered_) m.from = Mail::kFromSelf;
    handle_mail(m);
    return;
  }
  ctx_.shards[to]->inbox_[index_]->push(std::move(m));
  wake_pending_[to] = true;  // one eventfd write per loop per iteration
}

void Shard::on_wake() {
  loop_.assert_in_loop_thread();
  if (!shutting_down_ && ctx_.shutting_down.load(std::memory_order_acquire)) begin_shutdown();
  for (auto& inbox : inbox_) {
    inbox->pop_all([this](Mail& m) { handle_mail(m); });
  }
}

void Shard::handle_mail(Mail& m) {
  switch (m.kind) {
    case MailKind::kJoin:
      room_join(m);
      break;
    case MailKind::kLeave:
      room_leave(m);
      break;
    case MailKind::kSay:
      room_say(m);
      break;
    case MailKind::kWho:
      room_who(m);
      break;
    case MailKind::kHistory:
      room_history(m);
      break;
    case MailKind::kRoomsQuery:
      rooms_query(m);
      break;
    case MailKind::kWhisper:
      user_whisper(m);
      break;
    case MailKind::kWatch:
      user_watch(m, true);
      break;
    case MailKind::kUnwatch:
      user_watch(m, false);
      break;
    case MailKind::kJoined:
      on_joined(m);
      break;
    case MailKind::kReply:
      on_reply(m);
      break;
    case MailKind::kPresence:
      deliver_presence(m.addr, m.b, std::move(m.frame));
      break;
    case MailKind::kFanout:
      on_fanout(m);
      break;
    case MailKind::kSayDone:
      on_say_done(m);
      break;
    case MailKind::kWhisperDone:
      on_whisper_done(m);
      break;
    case MailKind::kRoomsPart:
      on_rooms_part(m);
      break;
    case MailKind::kAdopt:
      adopt(m);
      break;
    case MailKind::kNone:
      break;
  }
}

void Shard::reply(SessionAddr addr, Frame frame) {
  if (addr_loop(addr) == index_) {
    if (Session* s = session_at(addr)) {
      send(*s, std::move(frame));
      if (clustered_) complete_inflight(*s);  // counted by note_inflight
    }
    return;
  }
  Mail m;
  m.kind = MailKind::kReply;
  m.addr = addr;
  m.frame = std::move(frame);
  post(addr_loop(addr), std::move(m));
}

void Shard::on_reply(Mail& m) {
  Session* s = session_at(m.addr);
  if (s == nullptr) return;
  send(*s, std::move(m.frame));
  complete_inflight(*s);
}

// ---------------------------------------------------------------- rooms

void Shard::room_join(Mail& m) {
  if (clustered_) {
    auto it = cluster_rooms_.find(m.b);
    bool live = it != cluster_rooms_.end() && it->second.state == ClusterRoom::State::kLive;
    if (!live && !redis_sub_up()) {
      answer_join(m.addr, std::move(m.b), m.req, m.flag, 0, ErrorCode::kUnavailable);
      return;
    }
  }
  Room& room = rooms_.open(m.b);
  // A repeated JOIN (n2 = 1) only wants the reply.
  if (m.n2 == 0 && room.add_session(m.a, addr_loop(m.addr))) {
    room_event(room, proto::RoomEventKind::kJoined, m.a, m.addr);
  }
  if (clustered_) {
    cluster_join(m, m.n2 == 0);
    return;
  }
  answer_join(m.addr, std::move(m.b), m.req, m.flag, room.last_seq(), ErrorCode{});
}

void Shard::answer_join(SessionAddr addr, std::string room, uint32_t req, bool reply_wanted,
                        uint64_t seq, ErrorCode error) {
  Mail r;
  r.kind = MailKind::kJoined;
  r.addr = addr;
  r.b = std::move(room);
  r.req = req;
  r.n1 = seq;
  r.flag = reply_wanted;
  r.error = static_cast<uint8_t>(error);
  post(addr_loop(addr), std::move(r));
}

void Shard::room_leave(Mail& m) {
  if (Room* room = rooms_.find(m.b)) {
    if (room->remove_session(m.a, addr_loop(m.addr))) {
      // The event limit counts the user who leaves: decide before forgetting it.
      room_event(*room, proto::RoomEventKind::kLeft, m.a, m.addr);
      room->forget_user(m.a);
    }
    if (clustered_ && room->sessions() == 0) cluster_room_emptied(m.b);
    rooms_.release_if_empty(*room);  // may destroy it
  }
  if (m.flag) reply(m.addr, encode_frame(proto::Ok{m.req}));
}

void Shard::room_event(Room& room, proto::RoomEventKind kind, std::string_view user,
                       SessionAddr except) {
  // In a crowd, join storms would drown the messages: stay quiet there.
  if (room.distinct_users() > cfg_.room_event_limit) return;
  fanout_room(room, encode_frame(proto::RoomEvent{room.name(), kind, user, now_ms_}), except);
}

void Shard::fanout_room(Room& room, const Frame& frame, SessionAddr except, uint64_t arrival_us) {
  for (uint32_t l = 0; l < loops_; ++l) {
    if (room.sessions_on(l) == 0) continue;
    Mail m;
    m.kind = MailKind::kFanout;
    m.b = room.name();
    m.frame = frame;
    m.addr = except;
    m.n1 = arrival_us;
    post(l, std::move(m));
  }
}

void Shard::on_fanout(Mail& m) {
  auto it = local_rooms_.find(m.b);
  if (it == local_rooms_.end()) return;
  // send() never removes a member (closing is deferred), so the list is
  // stable while we walk it.
  uint64_t sent = 0;
  const std::vector<uint32_t>& members = it->second.members;
  m.frame.count_refs(static_cast<uint32_t>(members.size()));  // one atomic step for all
  for (uint32_t slot : members) {
    Session& s = sessions_[slot];
    Frame copy = m.frame.claim_counted();
    if (addr_of(s) == m.addr) continue;  // the sender: `copy` gives its count back
    send_bulk(s, std::move(copy));
    ++sent;
  }
  if (m.n1 != 0) {  // a SAY (not a room event): count and time its copies
    stats_.deliveries.add(sent);
    fanout_arrivals_.push_back({m.n1, fanout_traffic_.touch(m.b), bulk_pushed_});
  }
}

void Shard::room_say(Mail& m) {
  if (clustered_) {
    cluster_say(m);
    return;
  }
  Mail r;
  r.kind = MailKind::kSayDone;
  r.addr = m.addr;
  r.req = m.req;
  r.client_id = m.client_id;
  r.user_ref = m.user_ref;
  if (Room* room = rooms_.find(m.b)) {
    // Fill in the seq and time the sender left blank (after the room name),
    // before anyone else holds the frame.
    uint64_t seq = room->last_seq() + 1;
    uint8_t* p = m.frame.mutable_data() + proto::kHeaderBytes;
    p += 1 + p[0];
    put_u64(p, seq);
    put_u64(p + 8, now_ms_);
    room->sequence(m.frame);
    stats_.says.add();
    owner_traffic_.count_message(owner_traffic_.touch(room->name()));
    fanout_room(*room, m.frame, m.addr, m.n2);
    r.n1 = seq;
    r.n2 = now_ms_;
  }
  post(addr_loop(m.addr), std::move(r));
}

void Shard::on_say_done(Mail& m) {
  if (m.error != 0) {
    finish_send(m,
                encode_frame(proto::ErrorMsg{m.req, static_cast<ErrorCode>(m.error),
                                             "cluster unavailable: try again later"}),
                false);
  } else if (m.n1 == 0) {
    finish_send(m, encode_frame(proto::ErrorMsg{m.req, ErrorCode::kNotInRoom, "not in that room"}),
                false);
  } else {
    finish_send(m, encode_frame(proto::Ack{m.req, m.n1, m.n2}), true, /*after_fanout=*/true);
  }
}

void Shard::room_who(Mail& m) {
  proto::Members members;
  members.req = m.req;
  members.room = m.b;
  if (const Room* room = rooms_.find(m.b)) {
    members.total = static_cast<uint32_t>(room->distinct_users());
    size_t n = std::min(room->distinct_users(), proto::kMaxListEntries);
    members.users.reserve(n);
    for (const auto& [user, count] : room->users()) {
      if (members.users.size() == n) break;
      members.users.push_back(user);
    }
  }
  scratch_.clear();
  proto::encode(scratch_, members, cfg_.max_frame);
  reply(m.addr, Frame::copy_of(scratch_));
}

void Shard::room_history(Mail& m) {
  if (clustered_) {
    cluster_history(m);
    return;
  }
  proto::HistoryPage page;
  page.req = m.req;
  page.room = m.b;
  if (const Room* room = rooms_.find(m.b)) {
    size_t limit = std::min<size_t>(static_cast<size_t>(m.n2), proto::kMaxHistoryEntries);
    auto frames = room->history_after(m.n1, limit, &page.more);
    page.entries.reserve(frames.size());
    for (const Frame* f : frames) {
      // History keeps MESSAGE frames as sent; a page re-uses their fields.
      auto d =
          proto::decode_message({f->data() + proto::kHeaderBytes, f->size() - proto::kHeaderBytes});
      page.entries.push_back(proto::HistoryEntry{d.msg.seq, d.msg.time, d.msg.from, d.msg.body});
    }
  }
  scratch_.clear();
  proto::encode(scratch_, page, cfg_.max_frame);
  reply(m.addr, Frame::copy_of(scratch_));
}

void Shard::rooms_query(Mail& m) {
  Mail r;
  r.kind = MailKind::kRoomsPart;
  r.addr = m.addr;
  rooms_.for_each([&r](const Room& room) {
    if (room.sessions() == 0) return;
    ++r.n1;
    if (r.rooms.size() < proto::kMaxListEntries) {
      r.rooms.emplace_back(room.name(), static_cast<uint32_t>(room.distinct_users()));
    }
  });
  post(addr_loop(m.addr), std::move(r));
}

void Shard::on_rooms_part(Mail& m) {
  Session* s = session_at(m.addr);
  if (s == nullptr || !s->extras || !s->extras->gather) return;
  RoomsGather& g = *s->extras->gather;
  g.total += m.n1;
  for (auto& entry : m.rooms) {
    if (g.rooms.size() >= proto::kMaxListEntries) break;
    g.rooms.push_back(std::move(entry));
  }
  if (m.from != index_) complete_inflight(*s);
  if (--g.parts_left > 0) return;
  proto::RoomList list;
  list.req = g.req;
  list.total = static_cast<uint32_t>(std::min<uint64_t>(g.total, UINT32_MAX));
  list.rooms.reserve(g.rooms.size());
  for (const auto& [name, members] : g.rooms) list.rooms.push_back(proto::RoomEntry{name, members});
  scratch_.clear();
  proto::encode(scratch_, list, cfg_.max_frame);
  send(*s, Frame::copy_of(scratch_));
  s->extras->gather.reset();
}

void Shard::on_joined(Mail& m) {
  Session* s = session_at(m.addr);
  if (s == nullptr) return;  // ended meanwhile; its leave is already on the way
  if (m.error != 0) {
    // Refused (cluster unavailable): the session is not in the room.
    if (RoomLink* link = find_link(*s, m.b); link != nullptr && link->pos == RoomLink::kJoining) {
      unlink_room(*s, static_cast<size_t>(link - s->rooms.data()));
    }
    if (m.flag) {
      send_error(*s, m.req, static_cast<ErrorCode>(m.error),
                 "cluster unavailable: try again later");
    }
    if (m.from != index_) complete_inflight(*s);
    return;
  }
  if (RoomLink* link = find_link(*s, m.b); link != nullptr && link->pos == RoomLink::kJoining) {
    LocalRoom& lr = *link->local;
    lr.joining--;
    link->pos = static_cast<uint32_t>(lr.members.size());
    lr.members.push_back(s->slot);
  }
  if (m.flag) send(*s, encode_frame(proto::Ack{m.req, m.n1, now_ms_}));
  if (m.from != index_) complete_inflight(*s);
}

}  // namespace chat
