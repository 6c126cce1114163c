// Session: request bookkeeping (reqs, encoding, what survives a lost
// connection and what is sent again after the next login).
#include <algorithm>

#include "client/session.h"
#include "proto/messages.h"

namespace chat::client {
namespace {

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

}  // namespace chat::client
