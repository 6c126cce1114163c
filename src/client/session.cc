// Session: connection lifecycle, heartbeat and reconnects. Requests are in
// session_requests.cc (bookkeeping) and session_commands.cc (the user's),
// replies in session_replies.cc, rooms and recovery in session_rooms.cc.
#include "client/session.h"

#include <cassert>
#include <limits>

#include "proto/messages.h"

namespace chat::client {

uint64_t random_client_id() {
  std::random_device device;
  uint64_t id = 0;
  while (id == 0) id = (uint64_t{device()} << 32) ^ device();
  return id;
}

std::string_view state_name(SessionState state) {
  switch (state) {
    case SessionState::kIdle:
      return "idle";
    case SessionState::kConnecting:
      return "connecting";
    case SessionState::kLoggingIn:
      return "logging in";
    case SessionState::kLive:
      return "online";
    case SessionState::kWaitingToReconnect:
      return "reconnecting";
    case SessionState::kClosing:
      return "closing";
    case SessionState::kClosed:
      return "closed";
    case SessionState::kGaveUp:
      return "offline";
  }
  return "?";
}

Session::Session(SessionConfig config, Clock& clock, Transport& transport, EventSink sink)
    : config_(std::move(config)),
      clock_(clock),
      transport_(transport),
      sink_(std::move(sink)),
      rng_(config_.seed) {
  assert(!config_.servers.empty());
  assert(config_.client_id != 0);
}

void Session::start() {
  if (state_ != SessionState::kIdle) return;
  server_index_ = 0;
  connect_now();
}

void Session::connect_now() {
  state_ = SessionState::kConnecting;
  deadline_ms_ = now() + config_.connect_timeout_ms;
  if (Status st = transport_.connect(server()); !st) connection_failed(st.message());
}

void Session::on_connected() {
  if (state_ != SessionState::kConnecting) return;
  state_ = SessionState::kLoggingIn;
  last_recv_ms_ = now();
  Request hello;
  hello.kind = RequestKind::kHello;
  hello.user_visible = false;
  const uint32_t req = add_request(std::move(hello));
  send_request(req, requests_[req]);
}

void Session::on_closed(const std::string& reason) {
  switch (state_) {
    case SessionState::kConnecting:
    case SessionState::kLoggingIn:
      connection_failed(reason);
      break;
    case SessionState::kLive:
      lose(reason);
      break;
    case SessionState::kClosing:
      finish_closing();
      break;
    default:
      break;
  }
}

// A connection attempt that never reached WELCOME.
void Session::connection_failed(const std::string& reason) {
  transport_.close();
  forget_connection_requests();
  const std::string where = server().to_string();
  if (!ever_live_) {
    // First connection: each server once, in order, then give up.
    if (!initial_errors_.empty()) initial_errors_ += "; ";
    initial_errors_ += where + ": " + reason;
    if (++initial_failures_ >= config_.servers.size()) {
      give_up("cannot connect to " + initial_errors_);
      return;
    }
    server_index_ = (server_index_ + 1) % config_.servers.size();
    state_ = SessionState::kWaitingToReconnect;
    retry_at_ms_ = now();
    return;
  }
  schedule_reconnect(where + ": " + reason);
}

// A live session lost its connection.
void Session::lose(const std::string& reason) {
  transport_.close();
  emit(DisconnectedEvent{reason});
  forget_connection_requests();
  schedule_reconnect(reason);
}

void Session::schedule_reconnect(const std::string& reason) {
  last_loss_reason_ = reason;
  ++attempt_;
  if (config_.retries != 0 && attempt_ > config_.retries) {
    give_up("gave up after " + std::to_string(config_.retries) + " reconnect attempt" +
            (config_.retries == 1 ? "" : "s") + ": " + reason);
    return;
  }
  server_index_ = (server_index_ + 1) % config_.servers.size();
  const uint64_t delay_ms = backoff_delay_ms(attempt_, config_.backoff, rng_);
  state_ = SessionState::kWaitingToReconnect;
  retry_at_ms_ = now() + delay_ms;
  emit(ReconnectingEvent{attempt_, config_.retries, delay_ms, server().to_string(), reason});
}

void Session::give_up(const std::string& reason) {
  transport_.close();
  state_ = SessionState::kGaveUp;
  emit(GaveUpEvent{reason});
}

void Session::quit() {
  if (finished() || state_ == SessionState::kClosing) return;
  if (state_ == SessionState::kLive) {
    Request bye;
    bye.kind = RequestKind::kBye;
    bye.user_visible = false;
    const uint32_t req = add_request(std::move(bye));
    send_request(req, requests_[req]);
    state_ = SessionState::kClosing;
    deadline_ms_ = now() + config_.close_timeout_ms;
    return;
  }
  finish_closing();
}

void Session::finish_closing() {
  transport_.close();
  state_ = SessionState::kClosed;
  emit(ClosedEvent{});
}

void Session::go_live(uint64_t epoch) {
  const bool reconnected = ever_live_;
  ever_live_ = true;
  state_ = SessionState::kLive;
  last_recv_ms_ = now();
  if (reconnected) emit(ReconnectedEvent{attempt_});
  // Seqs of another epoch mean nothing here (PROTOCOL.md section 4).
  if (reconnected && epoch != epoch_) reset_histories();
  epoch_ = epoch;
  attempt_ = 0;
  send_ping();  // an early round-trip time for the status bar
  resend_after_login();
}

void Session::send_ping() {
  std::string out;
  proto::encode(out, proto::Ping{++ping_nonce_});
  send_bytes(out);
  ping_sent_ms_ = now();
}

void Session::send_bytes(const std::string& bytes) {
  transport_.send(bytes);
  last_sent_ms_ = now();
}

void Session::tick() {
  const uint64_t t = now();
  switch (state_) {
    case SessionState::kConnecting:
      if (t >= deadline_ms_)
        connection_failed("no connection within " + std::to_string(config_.connect_timeout_ms) +
                          " ms");
      break;
    case SessionState::kLoggingIn:
      if (t >= deadline_ms_)
        connection_failed("no WELCOME within " + std::to_string(config_.connect_timeout_ms) +
                          " ms");
      break;
    case SessionState::kWaitingToReconnect:
      if (t >= retry_at_ms_) connect_now();
      break;
    case SessionState::kClosing:
      if (t >= deadline_ms_) finish_closing();
      break;
    case SessionState::kLive: {
      if (t - last_recv_ms_ >= timeout_ms_) {
        lose("no word from the server for " + std::to_string(timeout_ms_ / 1000) + " s");
        return;
      }
      // Silence either way for `heartbeat` seconds: PING. Our silence keeps the
      // server from timing us out; its silence is checked by the PONG.
      const bool we_idle = t - last_sent_ms_ >= heartbeat_ms_;
      const bool it_idle = t - last_recv_ms_ >= heartbeat_ms_ && !ping_sent_ms_;
      if (we_idle || it_idle) send_ping();
      for (auto& [req, request] : requests_) {
        if (request.retry_at_ms != 0 && t >= request.retry_at_ms) {
          request.retry_at_ms = 0;
          send_request(req, request);
        }
      }
      break;
    }
    default:
      break;
  }
}

uint64_t Session::next_deadline_ms() const {
  uint64_t next = std::numeric_limits<uint64_t>::max();
  switch (state_) {
    case SessionState::kConnecting:
    case SessionState::kLoggingIn:
    case SessionState::kClosing:
      return deadline_ms_;
    case SessionState::kWaitingToReconnect:
      return retry_at_ms_;
    case SessionState::kLive:
      next = last_recv_ms_ + timeout_ms_;
      next = std::min(next, last_sent_ms_ + heartbeat_ms_);
      if (!ping_sent_ms_) next = std::min(next, last_recv_ms_ + heartbeat_ms_);
      for (const auto& [req, request] : requests_) {
        if (request.retry_at_ms != 0) next = std::min(next, request.retry_at_ms);
      }
      return next;
    default:
      return next;
  }
}

}  // namespace chat::client
