// Shard, part 2: the requests of the sessions this loop serves. Each
// handler decodes, checks what can be checked here (membership, limits,
// rate), then either answers at once or sends Mail to the loop that owns
// the room or user. Replies come back in order (see may_send_to).
#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include <spdlog/spdlog.h>

#include "chat/shard.h"
#include "chat/shard_internal.h"
#include "proto/frame.h"

namespace chat {

using shard_internal::steady_us;

namespace {

constexpr uint32_t kMaxInflight = 256;  // per session: bounds what one client queues on others
constexpr size_t kMaxResendClientsPerUser = 32;  // resend caches (client_ids) kept per user

using proto::ErrorCode;

uint32_t leading_req(proto::Payload p) {
  if (p.size() < 4) return 0;
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

bool Shard::may_send_to(Session& s, uint32_t target) {
  if (s.inflight == 0) return true;
  // Cluster mode: an owner answers some requests after a Redis round trip
  // and others at once, so its answers could overtake each other: one
  // request in flight per session.
  if (!clustered_ && target != index_ && target == s.inflight_loop && s.inflight < kMaxInflight) {
    return true;
  }
  s.paused = true;
  return false;
}

void Shard::note_inflight(Session& s, uint32_t target) {
  // Answered synchronously (standalone); in cluster mode maybe later.
  if (target == index_ && !clustered_) return;
  if (s.inflight > 0 && s.inflight_loop != target) {
    s.inflight_loop = Session::kAnyLoop;
  } else if (s.inflight == 0) {
    s.inflight_loop = target;
  }
  ++s.inflight;
}

void Shard::complete_inflight(Session& s) {
  if (s.inflight > 0) --s.inflight;
  // Held input can go on now; and a half-closed client whose last replies
  // these were can be closed.
  if (s.inflight == 0 && (s.paused || s.peer_eof) && !s.in_resume_list) {
    s.in_resume_list = true;
    resume_.push_back(s.slot);
  }
}

Shard::FrameAction Shard::handle_frame(Session& s, uint8_t type, proto::Payload payload) {
  using proto::MsgType;
  auto t = static_cast<MsgType>(type);
  // Everything but the forwardable room/user requests is answered here, so
  // it waits until the replies of earlier requests are out.
  bool forwardable = t == MsgType::kJoin || t == MsgType::kLeave || t == MsgType::kSay ||
                     t == MsgType::kWhisper || t == MsgType::kWho || t == MsgType::kHistory;
  if (!forwardable && !may_send_to(s, index_)) return FrameAction::kPaused;
  if (s.state == SessionState::kHandshake && s.inflight > 0) {
    s.paused = true;  // a login being counted (cluster mode): its answer first
    return FrameAction::kPaused;
  }

  if (t == MsgType::kPing) {
    auto d = proto::decode_ping(payload);
    if (!d.ok()) {
      send_error(s, 0, d.error.code, d.error.reason);
    } else {
      send(s, encode_frame(proto::Pong{d.msg.nonce}));
    }
    return FrameAction::kContinue;
  }
  if (t == MsgType::kPong) {
    auto d = proto::decode_pong(payload);
    if (!d.ok()) send_error(s, 0, d.error.code, d.error.reason);
    return FrameAction::kContinue;
  }
  if (!proto::is_client_type(type)) {
    send_error(s, 0, ErrorCode::kUnknownType, "unknown message type");
    return FrameAction::kContinue;
  }
  if (s.state == SessionState::kHandshake) {
    if (t == MsgType::kHello) return handle_hello(s, payload);
    send_error(s, leading_req(payload), ErrorCode::kNotLoggedIn, "send HELLO first");
    return FrameAction::kContinue;
  }
  switch (t) {
    case MsgType::kHello: {
      auto d = proto::decode_hello(payload);
      if (!d.ok()) {
        send_error(s, d.error.req, d.error.code, d.error.reason);
      } else {
        send_error(s, d.msg.req, ErrorCode::kAlreadyLoggedIn, "already logged in");
      }
      return FrameAction::kContinue;
    }
    case MsgType::kJoin:
      return handle_join(s, payload);
    case MsgType::kLeave:
      return handle_leave(s, payload);
    case MsgType::kSay:
      return handle_say(s, payload);
    case MsgType::kWhisper:
      return handle_whisper(s, payload);
    case MsgType::kWho:
      return handle_who(s, payload);
    case MsgType::kRooms:
      return handle_rooms(s, payload);
    case MsgType::kWatch:
      return handle_watch(s, payload);
    case MsgType::kUnwatch:
      return handle_unwatch(s, payload);
    case MsgType::kHistory:
      return handle_history(s, payload);
    case MsgType::kBye: {
      auto d = proto::decode_bye(payload);
      if (!d.ok()) {
        send_error(s, d.error.req, d.error.code, d.error.reason);
        return FrameAction::kContinue;
      }
      send(s, encode_frame(proto::Ok{d.msg.req}));
      close_session(s, CloseReason::kBye);
      return FrameAction::kContinue;
    }
    default:
      send_error(s, 0, ErrorCode::kUnknownType, "unknown message type");
      return FrameAction::kContinue;
  }
}

// ---------------------------------------------------------------- rooms

RoomLink* Shard::find_link(Session& s, std::string_view room) {
  for (RoomLink& link : s.rooms) {
    if (link.local->name == room) return &link;
  }
  return nullptr;
}

void Shard::join_room(Session& s, std::string_view room, uint32_t req, bool reply) {
  uint32_t target = owner_of(room);
  RoomLink* link = find_link(s, room);
  Mail m;
  m.kind = MailKind::kJoin;
  m.addr = addr_of(s);
  m.a = s.user->name;
  m.b.assign(room);
  m.req = req;
  m.flag = reply;
  m.n2 = link != nullptr ? 1 : 0;  // already a member: only the reply is wanted
  if (link == nullptr) {
    auto [it, inserted] = local_rooms_.try_emplace(std::string(room));
    if (inserted) it->second.name = it->first;
    it->second.joining++;
    s.rooms.push_back(RoomLink{&it->second, RoomLink::kJoining});
  }
  note_inflight(s, target);
  post(target, std::move(m));
}

void Shard::unlink_room(Session& s, size_t i) {
  RoomLink link = s.rooms[i];
  LocalRoom* lr = link.local;
  if (link.pos == RoomLink::kJoining) {
    lr->joining--;
  } else {
    uint32_t moved = lr->members.back();
    lr->members[link.pos] = moved;
    lr->members.pop_back();
    if (moved != s.slot) {
      for (RoomLink& other : sessions_[moved].rooms) {
        if (other.local == lr) other.pos = link.pos;
      }
    }
  }
  s.rooms[i] = s.rooms.back();
  s.rooms.pop_back();
  if (lr->members.empty() && lr->joining == 0) local_rooms_.erase(lr->name);
}

Shard::FrameAction Shard::handle_join(Session& s, proto::Payload payload) {
  auto d = proto::decode_join(payload);
  if (!d.ok()) {
    return answer_error(s, d.error.req, d.error.code, d.error.reason);
  }
  bool member = find_link(s, d.msg.room) != nullptr;
  if (!member && s.rooms.size() >= cfg_.max_rooms) {
    return answer_error(s, d.msg.req, ErrorCode::kTooManyRooms, "in too many rooms");
  }
  if (!may_send_to(s, owner_of(d.msg.room))) return FrameAction::kPaused;
  join_room(s, d.msg.room, d.msg.req, /*reply=*/true);
  return FrameAction::kContinue;
}

Shard::FrameAction Shard::handle_leave(Session& s, proto::Payload payload) {
  auto d = proto::decode_leave(payload);
  RoomLink* link = d.ok() ? find_link(s, d.msg.room) : nullptr;
  if (!d.ok() || link == nullptr) {
    if (!may_send_to(s, index_)) return FrameAction::kPaused;
    if (!d.ok()) {
      send_error(s, d.error.req, d.error.code, d.error.reason);
    } else {
      send_error(s, d.msg.req, ErrorCode::kNotInRoom, "not in that room");
    }
    return FrameAction::kContinue;
  }
  uint32_t target = owner_of(d.msg.room);
  if (!may_send_to(s, target)) return FrameAction::kPaused;
  unlink_room(s, static_cast<size_t>(link - s.rooms.data()));
  Mail m;
  m.kind = MailKind::kLeave;
  m.addr = addr_of(s);
  m.a = s.user->name;
  m.b.assign(d.msg.room);
  m.req = d.msg.req;
  m.flag = true;
  note_inflight(s, target);
  post(target, std::move(m));
  return FrameAction::kContinue;
}

Shard::ResendAnswer Shard::answer_from_resend_cache(Session& s, uint32_t req) {
  if (s.client_id == 0) return ResendAnswer::kNew;
  User& u = *s.user;
  if (!u.resend) return ResendAnswer::kNew;
  auto it = u.resend->caches.find(s.client_id);
  if (it == u.resend->caches.end()) return ResendAnswer::kNew;
  ResendCache::Entry* e = it->second.find(req);
  if (e == nullptr) return ResendAnswer::kNew;
  if (e->pending) {
    // The original is still on its way: this repeat gets the same answer
    // when it comes back, from the loop that gives it.
    if (!may_send_to(s, e->owner_loop)) return ResendAnswer::kPaused;
    u.resend->waiters.push_back(ResendBook::Waiter{s.client_id, req, addr_of(s)});
    note_inflight(s, e->owner_loop);
    return ResendAnswer::kAnswered;
  }
  if (!may_send_to(s, index_)) return ResendAnswer::kPaused;
  send(s, encode_frame(proto::Ack{req, e->id, e->time}));
  return ResendAnswer::kAnswered;
}

Shard::FrameAction Shard::answer_error(Session& s, uint32_t req, ErrorCode code,
                                       std::string_view text) {
  if (!may_send_to(s, index_)) return FrameAction::kPaused;
  send_error(s, req, code, text);
  return FrameAction::kContinue;
}

std::optional<Shard::FrameAction> Shard::admit_send(Session& s, uint32_t req, uint32_t target,
                                                    const std::string_view* room) {
  if (!may_send_to(s, target)) return FrameAction::kPaused;
  switch (answer_from_resend_cache(s, req)) {
    case ResendAnswer::kAnswered:
      return FrameAction::kContinue;
    case ResendAnswer::kPaused:
      return FrameAction::kPaused;
    case ResendAnswer::kNew:
      break;
  }
  if (room != nullptr && find_link(s, *room) == nullptr) {
    return answer_error(s, req, ErrorCode::kNotInRoom, "not in that room");
  }
  if (!s.bucket.try_take(mono_ms_, cfg_.rate, cfg_.burst)) {
    if (!may_send_to(s, index_)) return FrameAction::kPaused;
    stats_.rate_limited.add();
    send_error(s, req, ErrorCode::kRateLimited, "sending too fast");
    return FrameAction::kContinue;
  }
  User& u = *s.user;
  if (s.client_id != 0) resend_cache_for(u, s.client_id).start(req)->owner_loop = target;
  ++u.pending_sends;
  return std::nullopt;
}

Shard::FrameAction Shard::handle_say(Session& s, proto::Payload payload) {
  auto d = proto::decode_say(payload, proto::DecodeLimits{cfg_.max_body});
  if (!d.ok()) {
    return answer_error(s, d.error.req, d.error.code, d.error.reason);
  }
  const proto::Say& say = d.msg;
  uint32_t target = owner_of(say.room);
  if (auto done = admit_send(s, say.req, target, &say.room)) return *done;
  User& u = *s.user;
  Mail m;
  m.kind = MailKind::kSay;
  m.addr = addr_of(s);
  m.b.assign(say.room);
  m.req = say.req;
  m.client_id = s.client_id;
  m.user_ref = &u;
  // Encoded once, here; the owner fills in seq and time.
  m.frame = encode_frame(proto::Message{say.room, 0, 0, u.name, say.body});
  m.n2 = steady_us();  // for the delivery latency histogram
  note_inflight(s, target);
  post(target, std::move(m));
  return FrameAction::kContinue;
}

Shard::FrameAction Shard::handle_whisper(Session& s, proto::Payload payload) {
  auto d = proto::decode_whisper(payload, proto::DecodeLimits{cfg_.max_body});
  if (!d.ok()) {
    return answer_error(s, d.error.req, d.error.code, d.error.reason);
  }
  const proto::Whisper& w = d.msg;
  uint32_t target = owner_of(w.to);
  if (auto done = admit_send(s, w.req, target, nullptr)) return *done;
  User& u = *s.user;
  Mail m;
  m.kind = MailKind::kWhisper;
  m.addr = addr_of(s);
  m.a = u.name;
  m.b.assign(w.to);
  m.req = w.req;
  m.client_id = s.client_id;
  m.user_ref = &u;
  m.frame = encode_frame(proto::Private{0, 0, u.name, w.to, w.body});
  note_inflight(s, target);
  post(target, std::move(m));
  return FrameAction::kContinue;
}

Shard::FrameAction Shard::handle_who(Session& s, proto::Payload payload) {
  auto d = proto::decode_who(payload);
  if (!d.ok()) {
    return answer_error(s, d.error.req, d.error.code, d.error.reason);
  }
  uint32_t target = owner_of(d.msg.room);
  if (!may_send_to(s, target)) return FrameAction::kPaused;
  Mail m;
  m.kind = MailKind::kWho;
  m.addr = addr_of(s);
  m.b.assign(d.msg.room);
  m.req = d.msg.req;
  note_inflight(s, target);
  post(target, std::move(m));
  return FrameAction::kContinue;
}

Shard::FrameAction Shard::handle_history(Session& s, proto::Payload payload) {
  auto d = proto::decode_history(payload);
  if (!d.ok() || find_link(s, d.msg.room) == nullptr) {
    if (!may_send_to(s, index_)) return FrameAction::kPaused;
    if (!d.ok()) {
      send_error(s, d.error.req, d.error.code, d.error.reason);
    } else {
      send_error(s, d.msg.req, ErrorCode::kNotInRoom, "not in that room");
    }
    return FrameAction::kContinue;
  }
  uint32_t target = owner_of(d.msg.room);
  if (!may_send_to(s, target)) return FrameAction::kPaused;
  Mail m;
  m.kind = MailKind::kHistory;
  m.addr = addr_of(s);
  m.b.assign(d.msg.room);
  m.req = d.msg.req;
  m.n1 = d.msg.after_seq;
  m.n2 = d.msg.limit;
  note_inflight(s, target);
  post(target, std::move(m));
  return FrameAction::kContinue;
}

Shard::FrameAction Shard::handle_rooms(Session& s, proto::Payload payload) {
  auto d = proto::decode_rooms(payload);
  if (!d.ok()) {
    send_error(s, d.error.req, d.error.code, d.error.reason);
    return FrameAction::kContinue;
  }
  // Every loop owns some rooms: ask them all and answer when all replied.
  RoomsGather& g = *(s.more().gather = std::make_unique<RoomsGather>());
  g.req = d.msg.req;
  g.parts_left = loops_;
  SessionAddr addr = addr_of(s);
  for (uint32_t l = 0; l < loops_; ++l) {
    Mail m;
    m.kind = MailKind::kRoomsQuery;
    m.addr = addr;
    m.req = d.msg.req;
    note_inflight(s, l);
    post(l, std::move(m));
  }
  return FrameAction::kContinue;
}

Shard::FrameAction Shard::handle_watch(Session& s, proto::Payload payload) {
  auto d = proto::decode_user_list(payload);
  if (!d.ok()) {
    send_error(s, d.error.req, d.error.code, d.error.reason);
    return FrameAction::kContinue;
  }
  std::vector<std::string_view> named;  // distinct, in request order
  for (std::string_view u : d.msg.users) {
    if (std::find(named.begin(), named.end(), u) == named.end()) named.push_back(u);
  }
  size_t fresh = 0;
  for (std::string_view u : named) {
    if (!s.is_watching(u)) ++fresh;
  }
  if (s.watch_count() + fresh > cfg_.max_watch) {
    send_error(s, d.msg.req, ErrorCode::kLimit, "watching too many users");
    return FrameAction::kContinue;
  }
  send(s, encode_frame(proto::Ok{d.msg.req}));
  SessionAddr addr = addr_of(s);
  for (std::string_view u : named) {
    bool is_new = !s.is_watching(u);
    if (is_new) s.more().watched.emplace_back(u);
    Mail m;
    m.kind = MailKind::kWatch;
    m.addr = addr;
    m.b.assign(u);
    m.flag = is_new;
    uint32_t target = owner_of(u);
    note_inflight(s, target);
    post(target, std::move(m));
  }
  return FrameAction::kContinue;
}

Shard::FrameAction Shard::handle_unwatch(Session& s, proto::Payload payload) {
  auto d = proto::decode_user_list(payload);
  if (!d.ok()) {
    send_error(s, d.error.req, d.error.code, d.error.reason);
    return FrameAction::kContinue;
  }
  SessionAddr addr = addr_of(s);
  for (std::string_view u : d.msg.users) {
    if (!s.is_watching(u)) continue;
    std::vector<std::string>& watched = s.extras->watched;
    watched.erase(std::find(watched.begin(), watched.end(), u));
    Mail m;
    m.kind = MailKind::kUnwatch;
    m.addr = addr;
    m.b.assign(u);
    post(owner_of(u), std::move(m));
  }
  send(s, encode_frame(proto::Ok{d.msg.req}));
  return FrameAction::kContinue;
}

ResendCache& Shard::resend_cache_for(User& u, uint64_t client_id) {
  if (!u.resend) u.resend = std::make_unique<ResendBook>();
  auto& caches = u.resend->caches;
  auto it = caches.find(client_id);
  if (it == caches.end()) {
    // Bounded per user: a client that keeps coming back with new client_ids
    // pushes out the caches used longest ago that nothing waits on.
    while (caches.size() >= kMaxResendClientsPerUser) {
      auto victim = caches.end();
      for (auto c = caches.begin(); c != caches.end(); ++c) {
        if (c->second.has_pending()) continue;
        if (victim == caches.end() || c->second.last_used_ms() < victim->second.last_used_ms()) {
          victim = c;
        }
      }
      if (victim == caches.end()) break;
      caches.erase(victim);
    }
    it = caches.try_emplace(client_id).first;
  }
  it->second.touch(mono_ms_);
  return it->second;
}

}  // namespace chat
