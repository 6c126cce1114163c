// Session: the requests a user makes, and the server's replies and events.
#include <algorithm>

#include "client/session.h"
#include "proto/frame.h"
#include "proto/messages.h"
#include "proto/types.h"

namespace chat::client {
namespace {

constexpr uint64_t kDefaultHeartbeatMs = 30'000;
constexpr uint64_t kDefaultTimeoutMs = 60'000;

std::string_view request_name(uint8_t type) { return proto::type_name(type); }

std::string bad_name_text(std::string_view what, std::string_view name) {
  return std::string(what) + " '" + std::string(name) +
         "' is not a valid name: 1 to 64 bytes of UTF-8, no spaces or control characters";
}

std::vector<std::string_view> views(const std::vector<std::string>& names) {
  return {names.begin(), names.end()};
}

}  // namespace

// ---------------------------------------------------------------------------
// Requests out.

proto::MsgType Session::wire_type(RequestKind kind) {
  switch (kind) {
    case RequestKind::kHello:
      return proto::MsgType::kHello;
    case RequestKind::kJoin:
      return proto::MsgType::kJoin;
    case RequestKind::kLeave:
      return proto::MsgType::kLeave;
    case RequestKind::kSay:
      return proto::MsgType::kSay;
    case RequestKind::kWhisper:
      return proto::MsgType::kWhisper;
    case RequestKind::kWho:
      return proto::MsgType::kWho;
    case RequestKind::kRooms:
      return proto::MsgType::kRooms;
    case RequestKind::kWatch:
      return proto::MsgType::kWatch;
    case RequestKind::kUnwatch:
      return proto::MsgType::kUnwatch;
    case RequestKind::kHistory:
    case RequestKind::kRecovery:
      return proto::MsgType::kHistory;
    case RequestKind::kBye:
      return proto::MsgType::kBye;
  }
  return proto::MsgType::kHello;
}

uint32_t Session::next_req() {
  if (++req_counter_ == 0) ++req_counter_;  // 0 means "no request" in ERROR
  return req_counter_;
}

uint32_t Session::add_request(Request request) {
  const uint32_t req = next_req();
  requests_[req] = std::move(request);
  return req;
}

void Session::send_request(uint32_t req, Request& r) {
  std::string out;
  switch (r.kind) {
    case RequestKind::kHello:
      proto::encode(out, proto::Hello{req, config_.client_id, config_.user, config_.token});
      break;
    case RequestKind::kJoin:
      proto::encode(out, proto::Join{req, r.room});
      break;
    case RequestKind::kLeave:
      proto::encode(out, proto::Leave{req, r.room});
      break;
    case RequestKind::kSay:
      proto::encode(out, proto::Say{req, r.room, r.body});
      break;
    case RequestKind::kWhisper:
      proto::encode(out, proto::Whisper{req, r.to, r.body});
      break;
    case RequestKind::kWho:
      proto::encode(out, proto::Who{req, r.room});
      break;
    case RequestKind::kRooms:
      proto::encode(out, proto::Rooms{req});
      break;
    case RequestKind::kWatch:
      proto::encode_watch(out, proto::UserList{req, views(r.users)});
      break;
    case RequestKind::kUnwatch:
      proto::encode_unwatch(out, proto::UserList{req, views(r.users)});
      break;
    case RequestKind::kHistory:
    case RequestKind::kRecovery: {
      uint64_t limit = proto::kMaxHistoryEntries;
      if (r.kind == RequestKind::kHistory) limit = std::min<uint64_t>(limit, r.wanted);
      proto::encode(out, proto::History{req, r.room, r.after_seq, static_cast<uint16_t>(limit)});
      break;
    }
    case RequestKind::kBye:
      proto::encode(out, proto::Bye{req});
      break;
  }
  r.sent = true;
  send_bytes(out);
}

bool Session::fits_frame(size_t fixed_bytes, std::string_view body) {
  if (body.empty() || !proto::valid_utf8(body)) {
    report_local_error("INVALID_BODY", "a message is 1 or more bytes of valid UTF-8");
    return false;
  }
  const size_t frame_bytes = proto::kHeaderBytes + fixed_bytes + 2 + body.size();
  if (body.size() > 65'535 || frame_bytes > max_frame_) {
    report_local_error("INVALID_BODY", "message too long: " + std::to_string(body.size()) +
                                           " bytes, the server takes frames of at most " +
                                           std::to_string(max_frame_));
    return false;
  }
  return true;
}

void Session::report_local_error(std::string code, std::string text) {
  emit(ErrorEvent{0, std::move(code), std::move(text), ""});
}

uint32_t Session::join(std::string_view room) {
  if (!proto::valid_name(room)) {
    report_local_error("INVALID_NAME", bad_name_text("room", room));
    return 0;
  }
  const std::string name(room);
  if (rooms_.count(name) != 0) return 0;
  declined_.erase(name);
  RoomState& state = add_room(name);
  if (state_ != SessionState::kLive) return 0;  // joined after the next login
  send_join(name, state);
  return state.join_req;
}

uint32_t Session::leave(std::string_view room) {
  if (!proto::valid_name(room)) {
    report_local_error("INVALID_NAME", bad_name_text("room", room));
    return 0;
  }
  const std::string name(room);
  auto it = rooms_.find(name);
  const bool was_member = it != rooms_.end();
  if (was_member) {
    if (it->second.discovered) declined_.insert(name);
    rooms_.erase(it);
  }
  if (state_ != SessionState::kLive) {
    // No session on the server: leaving is only forgetting the room.
    if (was_member) {
      emit(LeftEvent{name});
    } else {
      report_local_error("NOT_IN_ROOM", "not in room '" + name + "'");
    }
    return 0;
  }
  Request r;
  r.kind = RequestKind::kLeave;
  r.room = name;
  const uint32_t req = add_request(std::move(r));
  leaving_.insert(name);
  send_request(req, requests_[req]);
  return req;
}

uint32_t Session::say(std::string_view room, std::string_view body) {
  if (!proto::valid_name(room)) {
    report_local_error("INVALID_NAME", bad_name_text("room", room));
    return 0;
  }
  if (!fits_frame(4 + 1 + room.size(), body)) return 0;
  Request r;
  r.kind = RequestKind::kSay;
  r.room = std::string(room);
  r.body = std::string(body);
  r.retries_left = config_.rate_limit_retries;
  const uint32_t req = add_request(std::move(r));
  if (state_ == SessionState::kLive) send_request(req, requests_[req]);
  return req;
}

uint32_t Session::whisper(std::string_view to, std::string_view body) {
  if (!proto::valid_name(to)) {
    report_local_error("INVALID_NAME", bad_name_text("user", to));
    return 0;
  }
  if (!fits_frame(4 + 1 + to.size(), body)) return 0;
  Request r;
  r.kind = RequestKind::kWhisper;
  r.to = std::string(to);
  r.body = std::string(body);
  r.retries_left = config_.rate_limit_retries;
  const uint32_t req = add_request(std::move(r));
  if (state_ == SessionState::kLive) send_request(req, requests_[req]);
  return req;
}

uint32_t Session::who(std::string_view room) {
  if (!proto::valid_name(room)) {
    report_local_error("INVALID_NAME", bad_name_text("room", room));
    return 0;
  }
  Request r;
  r.kind = RequestKind::kWho;
  r.room = std::string(room);
  const uint32_t req = add_request(std::move(r));
  if (state_ == SessionState::kLive) send_request(req, requests_[req]);
  return req;
}

uint32_t Session::list_rooms() {
  Request r;
  r.kind = RequestKind::kRooms;
  const uint32_t req = add_request(std::move(r));
  if (state_ == SessionState::kLive) send_request(req, requests_[req]);
  return req;
}

uint32_t Session::watch(const std::vector<std::string>& users) {
  for (const auto& u : users) {
    if (!proto::valid_name(u)) {
      report_local_error("INVALID_NAME", bad_name_text("user", u));
      return 0;
    }
  }
  if (users.empty()) return 0;
  watched_.insert(users.begin(), users.end());
  if (state_ != SessionState::kLive) {
    rewatch_visible_ = true;  // the WATCH after the next login answers it
    return 0;
  }
  Request r;
  r.kind = RequestKind::kWatch;
  r.users = users;
  const uint32_t req = add_request(std::move(r));
  send_request(req, requests_[req]);
  return req;
}

uint32_t Session::unwatch(const std::vector<std::string>& users) {
  for (const auto& u : users) {
    if (!proto::valid_name(u)) {
      report_local_error("INVALID_NAME", bad_name_text("user", u));
      return 0;
    }
  }
  if (users.empty()) return 0;
  for (const auto& u : users) watched_.erase(u);
  if (state_ != SessionState::kLive) {
    emit(UnwatchedEvent{users});
    return 0;
  }
  Request r;
  r.kind = RequestKind::kUnwatch;
  r.users = users;
  const uint32_t req = add_request(std::move(r));
  send_request(req, requests_[req]);
  return req;
}

uint32_t Session::history(std::string_view room, uint64_t count) {
  if (!proto::valid_name(room)) {
    report_local_error("INVALID_NAME", bad_name_text("room", room));
    return 0;
  }
  if (count == 0) return 0;
  Request r;
  r.kind = RequestKind::kHistory;
  r.room = std::string(room);
  r.wanted = count;
  if (auto it = rooms_.find(r.room); it != rooms_.end() && it->second.seqs.known()) {
    const uint64_t last = it->second.seqs.highest();
    r.after_seq = last > count ? last - count : 0;
  }
  const uint32_t req = add_request(std::move(r));
  if (state_ == SessionState::kLive) send_request(req, requests_[req]);
  return req;
}

// ---------------------------------------------------------------------------
// Requests across connections.

void Session::resend_after_login() {
  for (const std::string& room : room_names()) send_join(room, rooms_[room]);
  if (!watched_.empty()) {
    Request r;
    r.kind = RequestKind::kWatch;
    r.user_visible = rewatch_visible_;
    r.users.assign(watched_.begin(), watched_.end());
    const uint32_t req = add_request(std::move(r));
    send_request(req, requests_[req]);
  }
  rewatch_visible_ = false;
  // In req order, after the JOINs (the server answers in order, so a resent
  // SAY finds its room joined), with the same req: the server recognises a
  // repeat by client_id and req and answers it with the original ACK.
  for (auto& [req, r] : requests_) {
    const bool resendable = r.kind == RequestKind::kSay || r.kind == RequestKind::kWhisper ||
                            r.kind == RequestKind::kWho || r.kind == RequestKind::kRooms ||
                            r.kind == RequestKind::kHistory;
    if (resendable && !r.sent && r.retry_at_ms == 0) send_request(req, r);
  }
}

void Session::forget_connection_requests() {
  for (auto it = requests_.begin(); it != requests_.end();) {
    Request& r = it->second;
    switch (r.kind) {
      case RequestKind::kLeave:
        // The server session is gone, and with it the membership.
        leaving_.erase(r.room);
        if (r.user_visible) emit(LeftEvent{r.room});
        it = requests_.erase(it);
        continue;
      case RequestKind::kUnwatch:
        emit(UnwatchedEvent{r.users});
        it = requests_.erase(it);
        continue;
      case RequestKind::kWatch:
        if (r.user_visible) rewatch_visible_ = true;
        it = requests_.erase(it);
        continue;
      case RequestKind::kHello:
      case RequestKind::kJoin:
      case RequestKind::kRecovery:
      case RequestKind::kBye:
        it = requests_.erase(it);
        continue;
      default:
        r.sent = false;
        ++it;
    }
  }
  for (auto& [name, room] : rooms_) {
    room.joined_now = false;
    room.join_req = 0;
    room.recovering = false;
    room.history_req = 0;
    room.recovery_pages = 0;
    room.held.clear();
  }
  leaving_.clear();
  ping_sent_ms_.reset();
}

size_t Session::unacked_sends() const {
  return static_cast<size_t>(std::count_if(requests_.begin(), requests_.end(), [](const auto& e) {
    return e.second.kind == RequestKind::kSay || e.second.kind == RequestKind::kWhisper;
  }));
}

bool Session::all_answered() const {
  if (state_ != SessionState::kLive) return false;
  for (const auto& [req, r] : requests_) {
    if (r.user_visible) return false;
  }
  for (const auto& [name, room] : rooms_) {
    if (!room.joined_now || room.recovering) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Replies and events in.

void Session::on_frame(uint8_t type, std::span<const uint8_t> payload) {
  if (state_ != SessionState::kLoggingIn && state_ != SessionState::kLive &&
      state_ != SessionState::kClosing) {
    return;
  }
  last_recv_ms_ = now();
  handle_frame(type, payload);
}

void Session::handle_frame(uint8_t type, std::span<const uint8_t> payload) {
  using proto::MsgType;
  // A frame the codec refuses means the stream can no longer be trusted.
  auto broken = [&](const proto::DecodeError& e) {
    on_closed("the server sent a malformed " + std::string(request_name(type)) + " (" +
              std::string(e.reason) + ")");
  };
  switch (static_cast<MsgType>(type)) {
    case MsgType::kWelcome:
      handle_welcome(payload);
      return;
    case MsgType::kOk: {
      auto d = proto::decode_ok(payload);
      if (!d.ok()) return broken(d.error);
      handle_ok(d.msg.req);
      return;
    }
    case MsgType::kError: {
      auto d = proto::decode_error(payload);
      if (!d.ok()) return broken(d.error);
      handle_error(d.msg.req, static_cast<uint16_t>(d.msg.code), d.msg.text);
      return;
    }
    case MsgType::kAck: {
      auto d = proto::decode_ack(payload);
      if (!d.ok()) return broken(d.error);
      handle_ack(d.msg.req, d.msg.id, d.msg.time);
      return;
    }
    case MsgType::kMessage: {
      auto d = proto::decode_message(payload);
      if (!d.ok()) return broken(d.error);
      const auto& m = d.msg;
      on_live_message(MessageEvent{std::string(m.room), m.seq, m.time, std::string(m.from),
                                   std::string(m.body), false});
      return;
    }
    case MsgType::kPrivate: {
      auto d = proto::decode_private(payload);
      if (!d.ok()) return broken(d.error);
      const auto& m = d.msg;
      emit(PrivateEvent{m.id, m.time, std::string(m.from), std::string(m.to), std::string(m.body)});
      return;
    }
    case MsgType::kRoomEvent: {
      auto d = proto::decode_room_event(payload);
      if (!d.ok()) return broken(d.error);
      const auto& m = d.msg;
      on_room_event(RoomChangeEvent{std::string(m.room), m.kind == proto::RoomEventKind::kJoined,
                                    std::string(m.user), m.time});
      return;
    }
    case MsgType::kPresence: {
      auto d = proto::decode_presence(payload);
      if (!d.ok()) return broken(d.error);
      emit(PresenceEvent{std::string(d.msg.user), d.msg.online, d.msg.time});
      return;
    }
    case MsgType::kMembers: {
      auto d = proto::decode_members(payload);
      if (!d.ok()) return broken(d.error);
      requests_.erase(d.msg.req);
      emit(MembersEvent{d.msg.req, std::string(d.msg.room), d.msg.total,
                        std::vector<std::string>(d.msg.users.begin(), d.msg.users.end())});
      return;
    }
    case MsgType::kRoomList: {
      auto d = proto::decode_room_list(payload);
      if (!d.ok()) return broken(d.error);
      requests_.erase(d.msg.req);
      RoomsEvent e{d.msg.req, d.msg.total, {}};
      for (const auto& r : d.msg.rooms) e.rooms.emplace_back(std::string(r.room), r.members);
      emit(std::move(e));
      return;
    }
    case MsgType::kHistoryPage: {
      auto d = proto::decode_history_page(payload);
      if (!d.ok()) return broken(d.error);
      handle_history_page(d.msg.req, d.msg);
      return;
    }
    case MsgType::kPing: {
      auto d = proto::decode_ping(payload);
      if (!d.ok()) return broken(d.error);
      std::string out;
      proto::encode(out, proto::Pong{d.msg.nonce});
      send_bytes(out);
      return;
    }
    case MsgType::kPong: {
      auto d = proto::decode_pong(payload);
      if (!d.ok()) return broken(d.error);
      if (ping_sent_ms_ && d.msg.nonce == ping_nonce_) {
        rtt_ms_ = now() - *ping_sent_ms_;
        ping_sent_ms_.reset();
        emit(RttEvent{*rtt_ms_});
      }
      return;
    }
    default:
      return;  // a type from a newer server: the length delimited it, skip it
  }
}

void Session::handle_welcome(std::span<const uint8_t> payload) {
  auto d = proto::decode_welcome(payload);
  if (!d.ok()) {
    on_closed("the server sent a malformed WELCOME (" + std::string(d.error.reason) + ")");
    return;
  }
  if (state_ != SessionState::kLoggingIn) return;
  const proto::Welcome& w = d.msg;
  requests_.erase(w.req);
  user_ = std::string(w.user);
  heartbeat_ms_ = w.heartbeat != 0 ? uint64_t{w.heartbeat} * 1000 : kDefaultHeartbeatMs;
  timeout_ms_ = w.timeout != 0 ? uint64_t{w.timeout} * 1000 : kDefaultTimeoutMs;
  if (w.max_frame != 0) {
    max_frame_ = w.max_frame;
    transport_.set_max_frame(w.max_frame);
  }
  emit(WelcomeEvent{user_, w.session, w.epoch, w.heartbeat, w.timeout, server().to_string()});
  go_live(w.epoch);
}

void Session::handle_ok(uint32_t req) {
  auto it = requests_.find(req);
  if (it == requests_.end()) return;
  Request r = std::move(it->second);
  requests_.erase(it);
  switch (r.kind) {
    case RequestKind::kLeave:
      leaving_.erase(r.room);
      if (r.user_visible) emit(LeftEvent{r.room});
      break;
    case RequestKind::kWatch:
      if (r.user_visible) emit(WatchingEvent{r.users});
      break;
    case RequestKind::kUnwatch:
      emit(UnwatchedEvent{r.users});
      break;
    case RequestKind::kBye:
      finish_closing();
      break;
    default:
      break;
  }
}

void Session::handle_ack(uint32_t req, uint64_t id, uint64_t time) {
  auto it = requests_.find(req);
  if (it == requests_.end()) return;
  Request r = std::move(it->second);
  requests_.erase(it);
  switch (r.kind) {
    case RequestKind::kJoin:
      if (auto room = rooms_.find(r.room); room != rooms_.end() && room->second.join_req == req) {
        on_join_ack(r.room, room->second, id);
      }
      break;
    case RequestKind::kSay:
      // Our own message: never delivered back to us live, so mark it seen
      // here; recovery then skips it in HISTORY.
      if (auto room = rooms_.find(r.room); room != rooms_.end() && room->second.seqs.known()) {
        room->second.seqs.mark(id);
      }
      emit(AckEvent{req, id, time, r.room, ""});
      break;
    case RequestKind::kWhisper:
      emit(AckEvent{req, id, time, "", r.to});
      break;
    default:
      break;
  }
}

void Session::handle_error(uint32_t req, uint16_t code_value, std::string_view text) {
  const auto code = static_cast<proto::ErrorCode>(code_value);
  std::string code_name(proto::error_name(code));
  if (code_name == "UNKNOWN") code_name += "(" + std::to_string(code_value) + ")";
  auto it = req == 0 ? requests_.end() : requests_.find(req);
  if (it == requests_.end()) {
    emit(ErrorEvent{req, code_name, std::string(text), ""});
    return;
  }
  Request& r = it->second;
  const std::string request(request_name(static_cast<uint8_t>(wire_type(r.kind))));
  switch (r.kind) {
    case RequestKind::kHello:
      requests_.erase(it);
      if (code == proto::ErrorCode::kAuthFailed || code == proto::ErrorCode::kInvalidName) {
        give_up("the server refused the login: " + code_name + ": " + std::string(text));
        return;
      }
      break;  // the server closes; the next attempt may do better
    case RequestKind::kJoin:
      if (auto room = rooms_.find(r.room); room != rooms_.end() && room->second.join_req == req) {
        rooms_.erase(room);
      }
      requests_.erase(it);
      break;
    case RequestKind::kSay:
    case RequestKind::kWhisper:
      if ((code == proto::ErrorCode::kRateLimited || code == proto::ErrorCode::kUnavailable) &&
          r.retries_left > 0) {
        // Not lost: sent again later with the same req.
        --r.retries_left;
        r.sent = false;
        r.retry_at_ms = now() + config_.rate_limit_retry_ms;
        return;
      }
      requests_.erase(it);
      break;
    case RequestKind::kRecovery: {
      const std::string room = r.room;
      requests_.erase(it);
      if (auto st = rooms_.find(room); st != rooms_.end() && st->second.history_req == req) {
        st->second.history_req = 0;
        finish_recovery(room, st->second);
      }
      break;
    }
    case RequestKind::kWatch:
      if (code == proto::ErrorCode::kLimit) {
        for (const auto& u : r.users) watched_.erase(u);  // the request watched nobody
      }
      requests_.erase(it);
      break;
    case RequestKind::kLeave: {
      const bool visible = r.user_visible;
      leaving_.erase(r.room);
      requests_.erase(it);
      if (!visible) return;  // a quiet leave of a room the user had left already
      break;
    }
    default:
      requests_.erase(it);
      break;
  }
  emit(ErrorEvent{req, code_name, std::string(text), request});
}

void Session::handle_history_page(uint32_t req, const proto::HistoryPage& page) {
  auto it = requests_.find(req);
  if (it == requests_.end()) return;
  if (it->second.kind == RequestKind::kRecovery) {
    const std::string room = it->second.room;
    requests_.erase(it);
    if (auto st = rooms_.find(room); st != rooms_.end() && st->second.history_req == req) {
      on_recovery_page(room, st->second, page);
    }
    return;
  }
  Request r = std::move(it->second);
  requests_.erase(it);
  for (const auto& e : page.entries) {
    if (r.wanted == 0) break;
    emit(HistoryEvent{r.room, e.seq, e.time, std::string(e.from), std::string(e.body)});
    ++r.shown;
    --r.wanted;
  }
  if (page.more && r.wanted > 0 && !page.entries.empty() && state_ == SessionState::kLive) {
    r.after_seq = page.entries.back().seq;
    const uint32_t next = add_request(std::move(r));
    send_request(next, requests_[next]);
    return;
  }
  emit(HistoryEndEvent{r.room, r.shown});
}

}  // namespace chat::client
