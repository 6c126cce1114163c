// Shard, part 4: a session's life at its edges. HELLO and the hand-over of
// a new connection to its user's loop, WELCOME, and what a session's end
// tells the rest of the server.
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "chat/shard.h"

namespace chat {

using proto::ErrorCode;

// ---------------------------------------------------------------- login

Shard::FrameAction Shard::handle_hello(Session& s, proto::Payload payload) {
  auto d = proto::decode_hello(payload);
  if (!d.ok()) {
    if (d.error.code == ErrorCode::kInvalidName) {
      send_error_and_close(s, d.error.req, d.error.code, "invalid user name",
                           CloseReason::kProtocol);
    } else {
      send_error(s, d.error.req, d.error.code, d.error.reason);
    }
    return FrameAction::kContinue;
  }
  const proto::Hello& h = d.msg;
  Status auth = ctx_.verifier->verify(h.user, h.token, now_ms_ / 1000);
  if (!auth) {
    conn_log_.logf(mono_ms_, "auth", spdlog::level::info, "loop {}: login of '{}' refused: {}",
                   index_, h.user, auth.message());
    send_error_and_close(s, h.req, ErrorCode::kAuthFailed, "authentication failed",
                         CloseReason::kAuth);
    return FrameAction::kContinue;
  }
  uint32_t home = owner_of(h.user);
  if (home == index_) {
    log_in(s, h.user, h.req, h.client_id);
    return FrameAction::kContinue;
  }
  migrating_ = Mail{};
  migrating_.kind = MailKind::kAdopt;
  migrating_.a.assign(h.user);
  migrating_.req = h.req;
  migrating_.client_id = h.client_id;
  migrating_.n1 = home;
  return FrameAction::kMigrate;
}

void Shard::finish_migration(Session& s, const uint8_t* rest, size_t rest_len) {
  Mail m = std::move(migrating_);
  migrating_ = Mail{};
  auto home = static_cast<uint32_t>(m.n1);
  // Replies queued before the HELLO (PONG, NOT_LOGGED_IN) go first: write
  // them now, and hand over whatever the socket would not take yet.
  flush(s);
  if (s.web != nullptr) {
    // WebSocket state goes along: unsent output as framed wire bytes, the
    // reader (with any half-read frame) and the input it has not read yet.
    m.c = take_web_output(s);
    s.web->reader.take_input(s.web->pending_input);
    m.web = std::move(s.web);
  } else if (!s.out.empty()) {
    struct iovec iov[64];
    int n = s.out.fill_iovec(iov, 64);
    for (int i = 0; i < n; ++i)
      m.c.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    s.out.clear(chunks_);
  }
  m.b.assign(reinterpret_cast<const char*>(rest), rest_len);
  m.fd = s.fd;
  loop_.remove(s.fd);
  s.migrated = true;
  s.ended = true;
  s.state = SessionState::kClosing;
  s.close_now = true;
  closed_.push_back(s.slot);
  post(home, std::move(m));
}

void Shard::adopt(Mail& m) {
  Session* s = shutting_down_ ? nullptr : new_session(m.fd);
  if (s == nullptr) {
    ::close(m.fd);
    ctx_.connections.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  s->web = std::move(m.web);
  if (s->web != nullptr) {
    queue_raw(*s, m.c);
  } else if (!m.c.empty()) {
    send(*s, Frame::copy_of(m.c));
  }
  log_in(*s, m.a, m.req, m.client_id);
  s->in_buf.set(std::move(m.b));
  // The old loop may have taken the readiness edge: look for ourselves.
  s->read_ready = true;
  process_input(*s);
  if (s->web != nullptr && s->state == SessionState::kLive) {
    // WebSocket bytes the old loop read but had not parsed, and whatever
    // the reader still holds: after the chat bytes above, in stream order.
    std::string pending = std::move(s->web->pending_input);
    s->web->pending_input.clear();
    read_websocket(*s, reinterpret_cast<const uint8_t*>(pending.data()), pending.size());
  }
  if (s->state == SessionState::kLive && !s->paused && !s->in_pending_reads) {
    s->in_pending_reads = true;
    pending_reads_.push_back(s->slot);
  }
}

void Shard::log_in(Session& s, std::string_view name, uint32_t req, uint64_t client_id) {
  User& u = user_record(name);
  if (u.sessions.size() >= cfg_.max_sessions) {
    send_error_and_close(s, req, ErrorCode::kLimit, "too many sessions for this user",
                         CloseReason::kLimit);
    maybe_forget_user(u);
    return;
  }
  // Cluster mode: max_sessions counts every node's sessions (in Redis).
  if (clustered_ && cluster_count_login(s, name, req, client_id)) return;
  admit_login(s, u, req, client_id);
}

void Shard::admit_login(Session& s, User& u, uint32_t req, uint64_t client_id) {
  s.state = SessionState::kLive;
  s.user = &u;
  s.client_id = client_id;
  u.sessions.push_back(s.slot);
  ++live_count_;
  Frame welcome = encode_frame(proto::Welcome{req, addr_of(s), now_ms_, cfg_.heartbeat,
                                              cfg_.timeout, cfg_.max_frame, u.name, ctx_.epoch});
  s.last_active_ms = mono_ms_;
  schedule_timer(s, mono_ms_ + uint64_t{cfg_.timeout} * 1000);
  if (u.sessions.size() == 1) {
    ++users_online_;
    if (!clustered_ || !online_elsewhere(u.name)) presence_changed(u, true);
    if (clustered_) cluster_user_online(u.name, true);
  }
  if (clustered_) {
    cluster_welcome(s, std::move(welcome));  // once this node hears the user's channel
  } else {
    send(s, std::move(welcome));
  }
  if (!cfg_.lobby.empty()) join_room(s, cfg_.lobby, 0, /*reply=*/false);
}

void Shard::end_session(Session& s) {
  s.ended = true;
  if (s.user == nullptr) return;  // never logged in
  SessionAddr addr = addr_of(s);
  while (!s.rooms.empty()) {
    std::string room = s.rooms.back().local->name;
    unlink_room(s, s.rooms.size() - 1);
    Mail m;
    m.kind = MailKind::kLeave;
    m.addr = addr;
    m.a = s.user->name;
    m.b = std::move(room);
    m.flag = false;
    uint32_t target = owner_of(m.b);
    post(target, std::move(m));
  }
  if (s.extras) {
    for (std::string& name : s.extras->watched) {
      Mail m;
      m.kind = MailKind::kUnwatch;
      m.addr = addr;
      m.b = std::move(name);
      uint32_t target = owner_of(m.b);
      post(target, std::move(m));
    }
    s.extras->watched.clear();
  }
  User& u = *s.user;
  if (s.cluster_counted) cluster_count_logout(u.name);
  s.cluster_counted = false;
  std::erase(u.sessions, s.slot);
  --live_count_;
  if (u.sessions.empty()) {
    --users_online_;
    u.offline_since_ms = mono_ms_;
    if (!clustered_ || !online_elsewhere(u.name)) presence_changed(u, false);
    if (clustered_) cluster_user_online(u.name, false);
    maybe_forget_user(u);
  }
  s.user = nullptr;
}

}  // namespace chat
