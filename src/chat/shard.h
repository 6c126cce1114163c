// Shard: one event loop's share of the chat — the connections it serves,
// the users and rooms it owns, and its inboxes from the other loops.
//
// Ownership: a room belongs to loop fnv1a(room) % threads, a user to loop
// fnv1a(user) % threads. A connection is accepted by any loop and moves to
// its user's loop when it logs in, so every session of a user shares that
// user's loop. Only the owner mutates a room or a user; other loops send it
// Mail. Every method REQUIRES the shard's own loop thread unless it says
// otherwise.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/logging.h"
#include "base/timing_wheel.h"
#include "chat/auth.h"
#include "chat/cluster_room.h"
#include "chat/mail.h"
#include "chat/records.h"
#include "chat/room_directory.h"
#include "chat/settings.h"
#include "chat/shard_stats.h"
#include "cluster/presence_wire.h"
#include "cluster/room_wire.h"
#include "net/event_loop.h"
#include "net/outbound_queue.h"
#include "net/spsc_queue.h"
#include "proto/messages.h"

struct redisReply;

namespace chat {

namespace cluster {
class RedisConnection;
}  // namespace cluster

class Shard;

// Lines a second each kind of connection error may write to the log.
inline constexpr uint32_t kConnLogLinesPerSecond = 10;

// What every shard shares. Immutable after start, except the atomics.
struct ServerContext {
  Settings settings;
  uint32_t max_connections = 0;
  uint64_t epoch = 0;
  int listen_fd = -1;
  int web_fd = -1;                       // the web listener (page and /ws); -1 when off
  std::vector<std::string> web_origins;  // parsed web_origins ("" = same host)
  Clock* clock = nullptr;
  std::unique_ptr<TokenVerifier> verifier;
  std::vector<Shard*> shards;
  std::atomic<uint32_t> connections{0};
  std::atomic<bool> shutting_down{false};
};

class Shard final : public net::LoopHandler {
 public:
  Shard(uint32_t index, ServerContext& ctx);
  ~Shard() override;
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  uint32_t index() const { return index_; }
  net::EventLoop& loop() { return loop_; }
  // Runs the loop on the calling thread until shutdown completes.
  void run();
  // Thread-safe: begins a clean shutdown (SHUTTING_DOWN to every session,
  // flush within the grace period, then run() returns).
  void request_shutdown() { loop_.wake(); }
  // Live sessions right now (approximate from other threads).
  uint32_t live_sessions() const { return live_sessions_.load(std::memory_order_relaxed); }

  // Thread-safe to read (see shard_stats.h).
  const ShardStats& stats() const { return stats_; }

  // LoopHandler.
  void on_event(uint64_t token, uint32_t events) override;
  void on_wake() override;
  int after_events() override;
  void on_iteration(uint64_t busy_us) override { stats_.loop_iteration.observe(busy_us); }

 private:
  friend class ShardTestPeer;
  using Frame = net::FrameRef;
  using Inbox = net::SpscQueue<Mail>;

  // What handling one frame means for the rest of the input.
  enum class FrameAction : uint8_t {
    kContinue,  // handled; go on with the next frame
    kPaused,    // not handled: must wait for in-flight replies; stays buffered
    kMigrate,   // logged in; the connection moves to its user's loop
  };

  // ---- connections (shard.cc) ----
  // Accepts from `listen_fd`; `web`: the web listener (HTTP, then WebSocket).
  void accept_connections(int listen_fd, bool web);
  Session* session_at(SessionAddr addr);
  SessionAddr addr_of(const Session& s) const;
  uint32_t slot_of(const Session& s) const;
  Session* new_session(int fd);
  void handle_readable(Session& s);
  void consume_input(Session& s, const uint8_t* data, size_t n);
  void process_input(Session& s);
  size_t parse_frames(Session& s, const uint8_t* data, size_t n);
  void resume(Session& s);
  void finish_if_eof(Session& s);
  // Queues a reply or an event for this session; it is written at the end
  // of this iteration.
  void send(Session& s, Frame frame);
  // Queues a fan-out copy (a room's MESSAGE or event). Fan-out copies are
  // written by a flush with a time budget per iteration (see
  // flush_bulk()), so a big room's copies pile up into fewer, larger
  // writes while replies keep going out at once.
  void send_bulk(Session& s, Frame frame);
  // Queues `frame` unless the session is past max_outbound (then it is cut
  // as a slow consumer). False when nothing was queued.
  bool enqueue(Session& s, Frame& frame);
  void flush_bulk();
  void send_error(Session& s, uint32_t req, proto::ErrorCode code, std::string_view text);
  void send_error_and_close(Session& s, uint32_t req, proto::ErrorCode code, std::string_view text,
                            CloseReason reason);
  void flush(Session& s);
  // Writes queued output until the socket is full, the queue is empty or
  // `budget` bytes went out. A write error closes the session.
  void write_queued(Session& s, size_t budget);
  void close_session(Session& s, CloseReason reason);
  void end_session(Session& s);
  void release_slot(Session& s);
  void on_timer(uint32_t slot, uint32_t tag);
  void schedule_timer(Session& s, uint64_t deadline_ms);
  void begin_shutdown();
  uint64_t now_ms() const { return now_ms_; }
  void publish_stats(uint64_t elapsed_ms);

  // True while anything is left to write (the queue, or web framing bytes).
  bool has_output(const Session& s) const {
    return !s.out.empty() || (s.web != nullptr && s.web->output_pending());
  }

  // ---- web listener connections (shard_web.cc) ----
  // Bytes read from a web connection: its HTTP request, then WebSocket frames.
  void consume_web_input(Session& s, const uint8_t* data, size_t n);
  void answer_http(Session& s, const uint8_t* rest, size_t rest_len);
  // A plain HTTP reply, then the connection closes.
  void respond_http(Session& s, int status, std::string_view content_type, std::string_view body,
                    bool head_only = false);
  // WebSocket frames: binary payloads go to the chat frame reader.
  void read_websocket(Session& s, const uint8_t* data, size_t n);
  // Queues bytes that go out as they are (no WebSocket framing).
  void queue_raw(Session& s, std::string_view bytes);
  void queue_pong(Session& s, const uint8_t* payload, size_t n);
  // Writes a web session's output: raw bytes, then chat frames as binary
  // messages (one header per writev), control frames between messages.
  void write_web(Session& s, size_t budget);
  // Everything a web session still owes its peer, as wire bytes (for the
  // move to another loop); empties its queue.
  std::string take_web_output(Session& s);
  // The close code a WebSocket session gets for `reason`.
  static uint16_t ws_close_code(CloseReason reason);

  // ---- requests on the session's loop (shard_requests.cc) ----
  // Returns false when input must stop after this frame (paused or closing).
  FrameAction handle_frame(Session& s, uint8_t type, proto::Payload payload);
  FrameAction handle_hello(Session& s, proto::Payload payload);
  void finish_migration(Session& s, const uint8_t* rest, size_t rest_len);
  void adopt(Mail& m);
  void log_in(Session& s, std::string_view user, uint32_t req, uint64_t client_id);
  // The session becomes live: WELCOME, presence, lobby.
  void admit_login(Session& s, User& u, uint32_t req, uint64_t client_id);
  FrameAction handle_join(Session& s, proto::Payload payload);
  FrameAction handle_leave(Session& s, proto::Payload payload);
  FrameAction handle_say(Session& s, proto::Payload payload);
  FrameAction handle_whisper(Session& s, proto::Payload payload);
  FrameAction handle_who(Session& s, proto::Payload payload);
  FrameAction handle_rooms(Session& s, proto::Payload payload);
  FrameAction handle_watch(Session& s, proto::Payload payload);
  FrameAction handle_unwatch(Session& s, proto::Payload payload);
  FrameAction handle_history(Session& s, proto::Payload payload);
  // True when a request for loop `target` (index_ = answered here) may go
  // now without overtaking an earlier request's reply; else pauses `s`.
  bool may_send_to(Session& s, uint32_t target);
  // Counts a request sent to `target` whose reply is still due.
  void note_inflight(Session& s, uint32_t target);
  // One in-flight reply came back from another loop.
  void complete_inflight(Session& s);
  // Encodes one frame into a new shared buffer (through the loop's scratch
  // string, so the only allocation is the frame's own).
  Frame encode_frame(const auto& msg) {
    scratch_.clear();
    proto::encode(scratch_, msg);
    return Frame::copy_of(scratch_);
  }
  RoomLink* find_link(Session& s, std::string_view room);
  void join_room(Session& s, std::string_view room, uint32_t req, bool reply);
  void unlink_room(Session& s, size_t link_index);
  // An error reply, in its turn (pauses while earlier replies are due).
  FrameAction answer_error(Session& s, uint32_t req, proto::ErrorCode code, std::string_view text);
  // The checks a SAY or WHISPER passes before it goes to `target`: reply
  // order, resend memory, membership of *room (SAY only), rate. Returns the
  // action when the request ends here; nullopt when it goes on, its token
  // taken and its resend entry started.
  std::optional<FrameAction> admit_send(Session& s, uint32_t req, uint32_t target,
                                        const std::string_view* room);
  enum class ResendAnswer : uint8_t { kNew, kAnswered, kPaused };
  // A repeat of a SAY/WHISPER this (user, client_id) already sent gets the
  // original ACK, or waits for it while the original is in flight.
  ResendAnswer answer_from_resend_cache(Session& s, uint32_t req);
  ResendCache& resend_cache_for(User& u, uint64_t client_id);

  // ---- owner side and mail (shard_owner.cc) ----
  uint32_t owner_of(std::string_view name) const;
  void post(uint32_t to, Mail&& m);
  void handle_mail(Mail& m);
  void room_join(Mail& m);
  void room_leave(Mail& m);
  void room_say(Mail& m);
  void room_who(Mail& m);
  void room_history(Mail& m);
  void rooms_query(Mail& m);
  void user_whisper(Mail& m);
  void user_watch(Mail& m, bool watch);
  void on_joined(Mail& m);
  void on_reply(Mail& m);
  void on_fanout(Mail& m);
  void on_say_done(Mail& m);
  void on_whisper_done(Mail& m);
  // Answers a SAY/WHISPER (ACK or error) to its session and to repeats
  // waiting for it, and records the outcome for resend safety.
  // Answers a SAY or WHISPER (and any resends waiting on it). With
  // `after_fanout`, the answer leaves with this loop's fan-out copies of the
  // message (send_bulk): a publisher is acknowledged no faster than its
  // room's copies are written here, so a fast publisher cannot bury a big
  // room's members under a backlog they will never catch up with.
  void finish_send(Mail& m, Frame answer, bool accepted, bool after_fanout = false);
  void on_rooms_part(Mail& m);
  // arrival_us: when the SAY was read (0 for room events).
  void fanout_room(Room& room, const Frame& frame, SessionAddr except, uint64_t arrival_us = 0);
  void room_event(Room& room, proto::RoomEventKind kind, std::string_view user, SessionAddr except);
  void presence_changed(User& u, bool online);
  void deliver_presence(SessionAddr addr, std::string_view user, Frame frame);
  void reply(SessionAddr addr, Frame frame);
  User& user_record(std::string_view name);
  void maybe_forget_user(User& u);
  void sweep_offline_users();

  // ---- cluster mode (shard_cluster.cc, docs/cluster.md) ----
  // The rooms this loop owns do their Redis work here: one command
  // connection (pipelined) and one subscriber connection per loop.
  bool clustered() const { return clustered_; }
  bool redis_cmd_up() const;
  bool redis_sub_up() const;
  void cluster_start();
  void cluster_stop();
  // True when `token` is one of this loop's Redis connections.
  bool cluster_event(uint64_t token, uint32_t events);
  void cluster_after_events();
  void on_redis_cmd_state(bool up);
  void on_redis_sub_state(bool up);
  void on_redis_push(const redisReply& push);
  // JOIN on the owner: answered once the room's channel is subscribed and
  // its seq read (ClusterRoom). `counted`: the session was added to the room.
  void cluster_join(Mail& m, bool counted);
  // The room has no local sessions left: its channel is given up.
  void cluster_room_emptied(const std::string& name);
  using ScriptDone = std::function<void(const redisReply* reply)>;
  // Runs a script by EVALSHA (EVAL once when Redis lost it); `args` are
  // numkeys, keys and arguments. False when not sent (Redis down).
  bool run_script(std::string_view script, const std::string& sha, std::vector<std::string> args,
                  ScriptDone done);
  void cluster_say(Mail& m);
  void cluster_history(Mail& m);
  void cluster_whisper(Mail& m);
  // The user's first session here came (or its last went): this node
  // listens on the user's channel while it has sessions of the user.
  void cluster_user_online(const std::string& user, bool online);
  void on_user_push(const std::string& user, const cluster::PubSubPush& push);
  // ---- presence across nodes (shard_cluster_presence.cc) ----
  // Some other node has the user (owned here) online.
  bool online_elsewhere(const std::string& user) const;
  void set_remote_online(const std::string& user, const std::string& node, bool online);
  // This node's user came online or went offline: the online set, the channel.
  void announce_user(const std::string& user, bool online);
  void on_status_push(const cluster::PubSubPush& push);
  void presence_snapshot();
  void forget_node(const std::string& node);
  // Counts the login against max_sessions across nodes: returns true when
  // the answer comes later (the session waits, its input paused); false
  // when Redis is down (the node's own count is all there is).
  bool cluster_count_login(Session& s, std::string_view user, uint32_t req, uint64_t client_id);
  void cluster_count_logout(const std::string& user);
  // Heartbeat (loop 0) and the liveness of nodes whose users are online.
  void presence_tick();
  // Sends WELCOME once the user's channel is subscribed here, so no
  // WHISPER published after it is missed; until then it counts as a
  // request in flight (later requests wait).
  void cluster_welcome(Session& s, Frame welcome);
  void release_welcomes(UserChannel& uc);
  void answer_join(SessionAddr addr, std::string room, uint32_t req, bool reply, uint64_t seq,
                   proto::ErrorCode error);
  // Every JOIN waiting on `name` is refused with UNAVAILABLE (undone).
  void fail_joiners(const std::string& name);
  void request_room_seq(const std::string& name);
  void room_synced(const std::string& name, uint64_t seq);
  // After a lost subscription: delivers seqs (last, seq] from the room's
  // stream, then goes live at `seq`.
  void refill_room(const std::string& name, uint64_t last, uint64_t seq);
  void room_live(const std::string& name, ClusterRoom& cr, uint64_t seq);
  // Posts the parked SAY answers with seq <= delivered_seq (all: every one).
  void release_acks(ClusterRoom& cr, bool all = false);
  void deliver_room_push(const std::string& name, ClusterRoom& cr, std::string_view payload);

  const uint32_t index_;
  const uint32_t loops_;
  ServerContext& ctx_;
  const Settings& cfg_;
  net::EventLoop loop_;
  net::ChunkPool chunks_;
  web::WsParserPool ws_parsers_;  // wslay contexts lent to web sessions mid-frame
  TimingWheel wheel_;
  uint64_t now_ms_ = 0;   // wall clock (message times), refreshed each iteration
  uint64_t mono_ms_ = 0;  // monotonic clock (timeouts)
  uint64_t last_sweep_ms_ = 0;

  std::deque<Session> sessions_;  // slots (stable addresses); tokens and mail name them
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> dirty_;     // sessions with output to flush
  std::vector<uint32_t> flushing_;  // dirty_ as taken by this iteration's flush
  // Sessions with fan-out copies to write, oldest first from bulk_head_;
  // bulk_pushed_/bulk_done_ count entries ever added/handled (for latency).
  std::vector<uint32_t> bulk_;
  size_t bulk_head_ = 0;
  uint64_t bulk_pushed_ = 0;
  uint64_t bulk_done_ = 0;
  std::vector<uint32_t> pending_reads_;  // sessions that stopped reading on budget
  std::vector<uint32_t> closed_;         // slots to release after this iteration
  std::vector<uint32_t> ending_;         // closed sessions still to leave rooms etc.
  std::vector<uint32_t> resume_;         // paused sessions whose replies all came back
  uint32_t open_sessions_ = 0;           // slots in use
  uint32_t live_count_ = 0;              // sessions past WELCOME
  std::atomic<uint32_t> live_sessions_{0};

  std::unordered_map<std::string, std::unique_ptr<User>> users_;
  RoomDirectory rooms_;  // the rooms this loop owns
  std::unordered_map<std::string, LocalRoom> local_rooms_;

  std::vector<std::unique_ptr<Inbox>> inbox_;  // by producer loop
  std::vector<bool> wake_pending_;             // by consumer loop: mail pushed this iteration
  int spare_fd_ = -1;                          // given up to survive EMFILE in accept
  // Connection errors and accept failures: a flood of bad clients writes a
  // few lines a second per kind and a count of the rest, never a full disk.
  RateLimitedLog conn_log_{kConnLogLinesPerSecond};
  bool listening_ = false;
  bool shutting_down_ = false;
  uint64_t shutdown_deadline_ms_ = 0;
  uint64_t next_private_id_ = 1;
  ShardStats stats_;
  uint32_t users_online_ = 0;
  uint64_t last_stats_ms_ = 0;
  // SAYs fanned out this iteration, timed when their copies are flushed.
  struct FanoutArrival {
    uint64_t arrival_us = 0;
    RoomTraffic::Handle room;
    uint64_t written_at = 0;  // its copies are written when bulk_done_ reaches this
  };
  std::deque<FanoutArrival> fanout_arrivals_;
  RoomTraffic owner_traffic_;   // rooms owned here, by messages sequenced
  RoomTraffic fanout_traffic_;  // rooms fanned out here, by fan-outs
  std::string read_buf_;        // per-loop read buffer
  std::string scratch_;         // per-loop encoding buffer
  Mail migrating_;              // the login being handed to another loop

  bool clustered_ = false;         // settings.cluster is set
  bool cluster_stopping_ = false;  // connections are being torn down: ignore callbacks
  std::unique_ptr<cluster::RedisConnection> redis_cmd_;
  std::unique_ptr<cluster::RedisConnection> redis_sub_;
  std::unordered_map<std::string, ClusterRoom> cluster_rooms_;  // owned rooms in Redis
  std::unordered_map<std::string, UserChannel> user_channels_;  // owned users' channels
  // Owned users online on other nodes: user -> those nodes.
  std::unordered_map<std::string, std::vector<std::string>> remote_online_;
  uint32_t snapshot_gen_ = 0;
  const std::string login_script_sha_ = cluster::script_sha(cluster::kLoginScript);
  const std::string logout_script_sha_ = cluster::script_sha(cluster::kLogoutScript);
  uint64_t next_heartbeat_ms_ = 0;
  uint64_t next_liveness_ms_ = 0;
};

}  // namespace chat
