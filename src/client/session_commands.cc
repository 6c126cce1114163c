// Session: the requests a user makes. Each checks its arguments before
// anything goes out; while not live, requests wait for the next login.
#include "client/session.h"
#include "proto/frame.h"
#include "proto/messages.h"

namespace chat::client {
namespace {

std::string bad_name_text(std::string_view what, std::string_view name) {
  return std::string(what) + " '" + std::string(name) +
         "' is not a valid name: 1 to 64 bytes of UTF-8, no spaces or control characters";
}

}  // namespace

// ---------------------------------------------------------------------------
// Requests from the user.

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

}  // namespace chat::client
