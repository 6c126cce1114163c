// Session: what the server sends, replies and events, turned into state
// changes and ClientEvents.
#include "client/session.h"
#include "proto/messages.h"
#include "proto/types.h"

namespace chat::client {
namespace {

constexpr uint64_t kDefaultHeartbeatMs = 30'000;
constexpr uint64_t kDefaultTimeoutMs = 60'000;

std::string_view request_name(uint8_t type) { return proto::type_name(type); }

}  // namespace

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
