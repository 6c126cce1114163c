// The client side of one chat login, kept alive across connections: logs in,
// keeps the heartbeat, notices a lost or silent server, reconnects with
// backoff, and after each reconnect re-joins its rooms, recovers what it
// missed (HISTORY from the last seq seen, no gap, no duplicate) and resends
// every SAY/WHISPER not yet acknowledged with the same client_id and req.
//
// Sans-IO: bytes go out through a Transport, come in through on_connected /
// on_frame / on_closed, and time is read from an injected Clock, so the whole
// state machine runs in unit tests without sockets or real time. Everything
// the user should see is reported as a ClientEvent to the EventSink.
//
// Thread: single-threaded. Every method, and the callbacks into Transport and
// EventSink, run on the owner's thread. Transport::connect is called only from
// start() and tick(), never from inside on_frame/on_closed, so a transport
// may deliver frames from its own buffers without them being replaced under it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "client/address.h"
#include "client/backoff.h"
#include "client/events.h"
#include "client/seq_tracker.h"
#include "client/transport.h"
#include "proto/messages.h"

namespace chat::client {

struct SessionConfig {
  std::vector<ServerAddress> servers;  // REQUIRES: not empty; tried in turn
  std::string user;
  std::string token;
  uint32_t retries = 3;    // reconnect attempts after a loss before giving up; 0 = forever
  uint64_t client_id = 0;  // REQUIRES: non-zero (random per process; see random_client_id)
  uint64_t seed = 0;       // for the backoff jitter
  BackoffPolicy backoff;
  uint64_t connect_timeout_ms = 10'000;  // connect until WELCOME
  uint64_t close_timeout_ms = 2'000;     // BYE until OK
  uint32_t max_recovery_pages = 10;      // HISTORY pages per room per recovery
  uint32_t rate_limit_retries = 5;       // a RATE_LIMITED/UNAVAILABLE send is retried this often
  uint64_t rate_limit_retry_ms = 1'000;
};

// A random non-zero client_id (std::random_device).
uint64_t random_client_id();

enum class SessionState {
  kIdle,                // before start()
  kConnecting,          // TCP connect in progress
  kLoggingIn,           // HELLO sent, waiting for WELCOME
  kLive,                // logged in
  kWaitingToReconnect,  // backoff delay before the next attempt
  kClosing,             // BYE sent
  kClosed,              // ended by quit()
  kGaveUp,              // could not connect, ran out of attempts, or login refused
};
std::string_view state_name(SessionState state);

class Session {
 public:
  using EventSink = std::function<void(const ClientEvent&)>;

  // Holds references to `clock` and `transport`: both must outlive the Session.
  Session(SessionConfig config, Clock& clock, Transport& transport, EventSink sink);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // ---- lifecycle ----
  // Connects to the first server. The first connection tries each server
  // once, in order, without backoff; if none answers, the session gives up.
  void start();
  // Says BYE (when live) and ends; ClosedEvent follows.
  void quit();
  bool finished() const {
    return state_ == SessionState::kClosed || state_ == SessionState::kGaveUp;
  }
  SessionState state() const { return state_; }

  // ---- from the transport ----
  void on_connected();
  void on_frame(uint8_t type, std::span<const uint8_t> payload);
  void on_closed(const std::string& reason);

  // ---- time ----
  // Runs what is due: heartbeat PING, silent-server and connect timeouts,
  // the next reconnect attempt, delayed resends.
  void tick();
  // Monotonic ms at which tick() has something to do (UINT64_MAX: nothing).
  uint64_t next_deadline_ms() const;

  // ---- requests ----
  // Each validates its arguments first; a refusal is reported as an
  // ErrorEvent with req 0 (code INVALID_NAME, INVALID_BODY, ...) and returns 0.
  // While not live, requests wait and go out after the next login.
  // Returns the req used on the wire (for SAY/WHISPER, the req an AckEvent
  // or ErrorEvent will carry), or 0.
  uint32_t join(std::string_view room);  // no-op (0) when already joined or joining
  uint32_t leave(std::string_view room);
  uint32_t say(std::string_view room, std::string_view body);
  uint32_t whisper(std::string_view to, std::string_view body);
  uint32_t who(std::string_view room);
  uint32_t list_rooms();
  uint32_t watch(const std::vector<std::string>& users);
  uint32_t unwatch(const std::vector<std::string>& users);
  // The last `count` messages of `room` as HistoryEvents, then HistoryEndEvent.
  uint32_t history(std::string_view room, uint64_t count);
  // Reports a refusal decided outside the session (the command parser).
  void report_local_error(std::string code, std::string text);

  // ---- queries ----
  // Live, every request the user made answered, every room joined and
  // recovered. Scripts wait for this (/wait-acks, end of input).
  bool all_answered() const;
  // Rooms joined or being joined, in the order they were first joined.
  std::vector<std::string> room_names() const;
  bool in_room(std::string_view room) const { return rooms_.count(std::string(room)) != 0; }
  const std::set<std::string>& watched() const { return watched_; }
  uint64_t client_id() const { return config_.client_id; }
  // The name the server accepted ("" before the first WELCOME).
  const std::string& user() const { return user_; }
  const ServerAddress& server() const { return config_.servers[server_index_]; }
  std::optional<uint64_t> rtt_ms() const { return rtt_ms_; }
  // Reconnect attempt in progress or pending (0 when live).
  uint32_t reconnect_attempt() const { return attempt_; }
  uint32_t max_attempts() const { return config_.retries; }
  // When the pending reconnect starts (monotonic ms); valid in kWaitingToReconnect.
  uint64_t reconnect_at_ms() const { return retry_at_ms_; }
  // SAY/WHISPER requests not yet acknowledged or refused.
  size_t unacked_sends() const;

 private:
  enum class RequestKind : uint8_t {
    kHello,
    kJoin,
    kLeave,
    kSay,
    kWhisper,
    kWho,
    kRooms,
    kWatch,
    kUnwatch,
    kHistory,
    kRecovery,  // HISTORY asked by recovery
    kBye,
  };
  struct Request {
    RequestKind kind = RequestKind::kSay;
    bool user_visible = true;        // counts for all_answered(); rejoins and recovery do not
    bool sent = false;               // on the current connection
    std::string room;                // join, leave, say, who, history, recovery
    std::string to;                  // whisper
    std::string body;                // say, whisper
    std::vector<std::string> users;  // watch, unwatch
    uint64_t after_seq = 0;          // history, recovery
    uint64_t wanted = 0;             // history: entries still wanted
    uint64_t shown = 0;              // history: entries shown so far
    uint32_t retries_left = 0;       // say, whisper: RATE_LIMITED retries
    uint64_t retry_at_ms = 0;        // say, whisper: waiting to retry until then (0: not waiting)
  };
  struct RoomState {
    uint64_t order = 0;        // first-join order, for room_names()
    bool confirmed = false;    // a JOIN was acknowledged once (JoinedEvent sent)
    bool discovered = false;   // the server put us in it (the lobby), not a user JOIN
    bool joined_now = false;   // JOIN acknowledged on the current connection
    uint32_t join_req = 0;     // JOIN in flight on the current connection
    uint64_t join_seq = 0;     // the room's last seq per that JOIN ACK
    bool recovering = false;   // HISTORY in flight: hold live messages
    uint32_t history_req = 0;  // the recovery HISTORY in flight
    uint32_t recovery_pages = 0;
    SeqTracker seqs;
    std::vector<MessageEvent> held;  // live messages held while joining or recovering
  };
  static constexpr size_t kMaxHeldMessages = 10'000;

  // session.cc: connection lifecycle and time
  void connect_now();
  void connection_failed(const std::string& reason);
  void lose(const std::string& reason);
  void schedule_reconnect(const std::string& reason);
  void give_up(const std::string& reason);
  void finish_closing();
  void go_live(uint64_t epoch);
  void send_ping();
  void send_bytes(const std::string& bytes);
  uint64_t now() const { return clock_.mono_ms(); }

  // session_requests.cc, session_commands.cc, session_replies.cc: requests
  // out (bookkeeping, user API), replies in
  static proto::MsgType wire_type(RequestKind kind);
  uint32_t next_req();
  uint32_t add_request(Request request);
  void send_request(uint32_t req, Request& request);
  bool fits_frame(size_t fixed_bytes, std::string_view body);
  void handle_frame(uint8_t type, std::span<const uint8_t> payload);
  void handle_welcome(std::span<const uint8_t> payload);
  void handle_ok(uint32_t req);
  void handle_ack(uint32_t req, uint64_t id, uint64_t time);
  void handle_error(uint32_t req, uint16_t code, std::string_view text);
  void handle_history_page(uint32_t req, const proto::HistoryPage& page);
  void resend_after_login();
  void forget_connection_requests();
  void emit(ClientEvent event) { sink_(event); }

  // session_rooms.cc: membership and recovery
  RoomState& add_room(const std::string& room);
  void send_join(const std::string& room, RoomState& state);
  void on_join_ack(const std::string& room, RoomState& state, uint64_t last_seq);
  void start_recovery(const std::string& room, RoomState& state, uint64_t after_seq);
  void on_recovery_page(const std::string& room, RoomState& state, const proto::HistoryPage& page);
  void finish_recovery(const std::string& room, RoomState& state);
  void on_live_message(MessageEvent message);
  void on_room_event(RoomChangeEvent event);
  // The server put us back in a room the user had left (the lobby, after a
  // reconnect): leave it again without telling the user.
  void leave_quietly(const std::string& room);
  void reset_histories();

  SessionConfig config_;
  Clock& clock_;
  Transport& transport_;
  EventSink sink_;
  std::mt19937_64 rng_;

  SessionState state_ = SessionState::kIdle;
  size_t server_index_ = 0;
  bool ever_live_ = false;
  size_t initial_failures_ = 0;
  std::string initial_errors_;  // "a:1 (refused); b:2 (...)"
  uint32_t attempt_ = 0;        // reconnect attempts since the last loss
  uint64_t deadline_ms_ = 0;    // connect, login or close deadline
  uint64_t retry_at_ms_ = 0;
  std::string last_loss_reason_;

  // Per login.
  std::string user_;
  uint64_t epoch_ = 0;
  uint64_t heartbeat_ms_ = 30'000;
  uint64_t timeout_ms_ = 60'000;
  uint32_t max_frame_ = 65'536;
  uint64_t last_sent_ms_ = 0;
  uint64_t last_recv_ms_ = 0;
  uint64_t ping_nonce_ = 0;
  std::optional<uint64_t> ping_sent_ms_;  // our PING in flight
  std::optional<uint64_t> rtt_ms_;

  uint32_t req_counter_ = 0;
  std::map<uint32_t, Request> requests_;  // by req: resend order is req order
  std::map<std::string, RoomState> rooms_;
  uint64_t room_order_ = 0;
  std::set<std::string> leaving_;   // LEAVE in flight: ignore the room's late traffic
  std::set<std::string> declined_;  // rooms the server put us in and the user left
  std::set<std::string> watched_;
  bool rewatch_visible_ = false;  // a user WATCH was cut: report the re-WATCH
};

}  // namespace chat::client
