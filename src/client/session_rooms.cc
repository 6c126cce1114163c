// Session: room membership across reconnects, and recovery of what was missed.
//
// Recovery, per room, after a reconnect: JOIN (its ACK says the room's last
// seq L at the moment we are a member again; live MESSAGEs after it are held),
// then HISTORY after the last seq seen, page by page, each entry shown unless
// already seen; then the held live messages, each shown unless already seen.
// Own messages are marked seen at their ACK, so a SAY resent after the cut is
// not shown again from HISTORY. A JOIN ACK with L below what we saw, or a new
// epoch in WELCOME, means the history was reset: say so and start over.
#include <algorithm>

#include "client/session.h"

namespace chat::client {

Session::RoomState& Session::add_room(const std::string& room) {
  RoomState& state = rooms_[room];
  state = RoomState{};
  state.order = ++room_order_;
  return state;
}

std::vector<std::string> Session::room_names() const {
  std::vector<std::pair<uint64_t, std::string>> ordered;
  ordered.reserve(rooms_.size());
  for (const auto& [name, room] : rooms_) ordered.emplace_back(room.order, name);
  std::sort(ordered.begin(), ordered.end());
  std::vector<std::string> names;
  names.reserve(ordered.size());
  for (auto& [order, name] : ordered) names.push_back(std::move(name));
  return names;
}

void Session::send_join(const std::string& room, RoomState& state) {
  Request r;
  r.kind = RequestKind::kJoin;
  r.user_visible = false;  // the room's own state says when it is joined
  r.room = room;
  const uint32_t req = add_request(std::move(r));
  state.join_req = req;
  state.joined_now = false;
  send_request(req, requests_[req]);
}

void Session::on_join_ack(const std::string& room, RoomState& state, uint64_t last_seq) {
  state.join_req = 0;
  state.joined_now = true;
  state.join_seq = last_seq;
  if (!state.confirmed) {
    state.confirmed = true;
    emit(JoinedEvent{room, last_seq});
  }
  if (!state.seqs.known()) {
    // A room new to us: what came before we joined is not "missed".
    state.seqs.start(last_seq);
    finish_recovery(room, state);
    return;
  }
  if (last_seq < state.seqs.highest()) {
    // The room has fewer messages than we saw: its history was reset.
    emit(HistoryResetEvent{room});
    state.seqs.start(0);
  }
  if (last_seq > state.seqs.floor()) {
    start_recovery(room, state, state.seqs.floor());
  } else {
    finish_recovery(room, state);
  }
}

void Session::start_recovery(const std::string& room, RoomState& state, uint64_t after_seq) {
  Request r;
  r.kind = RequestKind::kRecovery;
  r.user_visible = false;
  r.room = room;
  r.after_seq = after_seq;
  const uint32_t req = add_request(std::move(r));
  state.recovering = true;
  state.history_req = req;
  ++state.recovery_pages;
  send_request(req, requests_[req]);
}

void Session::on_recovery_page(const std::string& room, RoomState& state,
                               const proto::HistoryPage& page) {
  state.history_req = 0;
  for (const auto& e : page.entries) {
    if (e.seq > state.seqs.floor() + 1) {
      // History no longer reaches back to what we last saw.
      emit(HistoryGapEvent{room, state.seqs.floor() + 1, e.seq - 1});
      state.seqs.skip_to(e.seq - 1);
    }
    if (state.seqs.mark(e.seq)) {
      emit(MessageEvent{room, e.seq, e.time, std::string(e.from), std::string(e.body), true});
    }
  }
  if (page.more && !page.entries.empty() && state.recovery_pages < config_.max_recovery_pages) {
    start_recovery(room, state, page.entries.back().seq);
    return;
  }
  finish_recovery(room, state);
}

void Session::finish_recovery(const std::string& room, RoomState& state) {
  state.recovering = false;
  state.recovery_pages = 0;
  if (state.joined_now && state.seqs.known() && state.seqs.floor() < state.join_seq) {
    // Messages up to the JOIN ACK's seq never come live: what history did not
    // give is lost to us.
    emit(HistoryGapEvent{room, state.seqs.floor() + 1, state.join_seq});
    state.seqs.skip_to(state.join_seq);
  }
  std::vector<MessageEvent> held = std::move(state.held);
  state.held.clear();
  std::stable_sort(held.begin(), held.end(),
                   [](const MessageEvent& a, const MessageEvent& b) { return a.seq < b.seq; });
  for (MessageEvent& m : held) {
    if (state.seqs.mark(m.seq)) emit(std::move(m));
  }
}

void Session::on_live_message(MessageEvent message) {
  auto it = rooms_.find(message.room);
  if (it == rooms_.end()) {
    if (leaving_.count(message.room) != 0) return;  // late traffic of a room we leave
    if (declined_.count(message.room) != 0) {
      leave_quietly(message.room);
      return;
    }
    // The server put us in this room (the lobby): adopt it, then JOIN to learn
    // its last seq (joining a room we are in is not an error).
    const std::string room = message.room;
    RoomState& state = add_room(room);
    state.discovered = true;
    state.seqs.start(message.seq - 1);
    state.seqs.mark(message.seq);
    emit(std::move(message));
    send_join(room, state);
    return;
  }
  RoomState& state = it->second;
  if (!state.joined_now || state.recovering || !state.seqs.known()) {
    if (state.held.size() >= kMaxHeldMessages) {
      report_local_error("OVERFLOW", "too many messages in room '" + message.room +
                                         "' while recovering: some are not shown");
      return;
    }
    state.held.push_back(std::move(message));
    return;
  }
  if (state.seqs.mark(message.seq)) emit(std::move(message));
}

void Session::on_room_event(RoomChangeEvent event) {
  if (rooms_.count(event.room) == 0) {
    if (leaving_.count(event.room) != 0) return;
    if (declined_.count(event.room) != 0) {
      leave_quietly(event.room);
      return;
    }
    const std::string room = event.room;
    RoomState& state = add_room(room);
    state.discovered = true;
    send_join(room, state);
  }
  emit(std::move(event));
}

void Session::leave_quietly(const std::string& room) {
  if (state_ != SessionState::kLive || leaving_.count(room) != 0) return;
  Request r;
  r.kind = RequestKind::kLeave;
  r.user_visible = false;
  r.room = room;
  const uint32_t req = add_request(std::move(r));
  leaving_.insert(room);
  send_request(req, requests_[req]);
}

void Session::reset_histories() {
  for (auto& [name, room] : rooms_) {
    if (!room.seqs.known()) continue;
    emit(HistoryResetEvent{name});
    room.seqs.start(0);
  }
}

}  // namespace chat::client
