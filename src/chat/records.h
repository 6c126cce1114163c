// The records a Shard keeps: sessions (one per connection), the users and
// rooms it owns, and its local replica of room membership.
//
// Everything here is owned by exactly one Shard and touched only from that
// Shard's loop thread. Other loops refer to a session by its SessionAddr
// (loop, slot, generation) and never by pointer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/token_bucket.h"
#include "chat/resend_cache.h"
#include "chat/web_conn.h"
#include "net/frame_ref.h"
#include "net/outbound_queue.h"

namespace chat {

// (loop << 56) | (generation << 24) | slot. Also the session id on the
// wire, and the epoll token of the connection: a stale event or mail for a
// reused slot carries an old generation and is ignored.
using SessionAddr = uint64_t;
inline constexpr uint32_t kMaxSlotsPerLoop = 1u << 24;
inline SessionAddr make_addr(uint32_t loop, uint32_t generation, uint32_t slot) {
  return (uint64_t{loop} << 56) | (uint64_t{generation & 0xFFFFFFFFu} << 24) | slot;
}
inline uint32_t addr_loop(SessionAddr a) { return static_cast<uint32_t>(a >> 56); }
inline uint32_t addr_generation(SessionAddr a) {
  return static_cast<uint32_t>((a >> 24) & 0xFFFFFFFFu);
}
inline uint32_t addr_slot(SessionAddr a) {
  return static_cast<uint32_t>(a & (kMaxSlotsPerLoop - 1));
}

struct LocalRoom;
struct User;

// A room a session is in, or is joining (its JOIN not yet answered).
struct RoomLink {
  LocalRoom* local = nullptr;
  uint32_t pos = kJoining;  // index in local->members once joined
  static constexpr uint32_t kJoining = ~0u;
};

enum class SessionState : uint8_t {
  kFree,       // slot unused
  kHandshake,  // connected, no HELLO accepted yet
  kLive,       // WELCOME sent
  kClosing,    // ended: flushing what is queued, then the socket closes
};

// Why a connection ended (for logs and metrics).
enum class CloseReason : uint8_t {
  kPeer,
  kBye,
  kProtocol,
  kIdle,
  kSlowConsumer,
  kShutdown,
  kLimit,
  kAuth,
  kMigrated,
  kHttpDone,  // a web connection answered with a plain HTTP reply
};
inline const char* close_reason_name(CloseReason r) {
  switch (r) {
    case CloseReason::kPeer:
      return "peer closed";
    case CloseReason::kBye:
      return "bye";
    case CloseReason::kProtocol:
      return "protocol error";
    case CloseReason::kIdle:
      return "idle timeout";
    case CloseReason::kSlowConsumer:
      return "slow consumer";
    case CloseReason::kShutdown:
      return "shutdown";
    case CloseReason::kLimit:
      return "session limit";
    case CloseReason::kAuth:
      return "authentication failed";
    case CloseReason::kMigrated:
      return "moved to its user's loop";
    case CloseReason::kHttpDone:
      return "http reply sent";
  }
  return "unknown";
}

// Gathers the parts of a reply that several loops contribute (ROOMS).
struct RoomsGather {
  uint32_t req = 0;
  uint32_t parts_left = 0;
  uint64_t total = 0;
  std::vector<std::pair<std::string, uint32_t>> rooms;
};

// Input a session keeps between reads: a partial frame, or frames held while
// the session is paused. Nearly every connection holds none, so this is one
// pointer until it is used, and it gives its memory back when emptied.
class HeldInput {
 public:
  bool empty() const { return !buf_ || buf_->empty(); }
  size_t size() const { return buf_ ? buf_->size() : 0; }
  void append(const char* data, size_t n) {
    if (!buf_) buf_ = std::make_unique<std::string>();
    buf_->append(data, n);
  }
  void assign(const char* data, size_t n) {
    clear();
    append(data, n);
  }
  // Replaces the contents with `bytes` (nothing held when it is empty).
  void set(std::string bytes) {
    if (bytes.empty()) {
      clear();
    } else {
      buf_ = std::make_unique<std::string>(std::move(bytes));
    }
  }
  // Hands the bytes over and holds nothing.
  std::string take() {
    std::string out = buf_ ? std::move(*buf_) : std::string();
    buf_.reset();
    return out;
  }
  void clear() { buf_.reset(); }

 private:
  std::unique_ptr<std::string> buf_;
};

// What few sessions need, kept out of Session so that an idle connection
// does not pay for it.
struct SessionExtras {
  std::vector<std::string> watched;     // users this session WATCHes
  std::unique_ptr<RoomsGather> gather;  // a ROOMS request being answered
};

// One connection. Small on purpose (see docs/architecture.md, "Memory per
// connection"): flags are bits, rarely used state lives in SessionExtras.
struct Session {
  // Slot bookkeeping.
  uint32_t slot = 0;        // own index in the shard's table, fixed for life
  uint32_t generation = 1;  // never 0, so no session address (or id) is 0
  SessionState state = SessionState::kFree;
  bool paused : 1 = false;      // input held until in-flight requests are answered
  bool read_ready : 1 = false;  // the socket may have unread bytes (edge seen)
  bool peer_eof : 1 = false;    // the client half-closed its side
  bool close_after_flush : 1 = false;
  bool dirty : 1 = false;          // in the shard's flush list
  bool in_bulk : 1 = false;        // in the shard's budgeted fan-out flush list
  bool write_blocked : 1 = false;  // last write hit EAGAIN; wait for EPOLLOUT
  bool in_pending_reads : 1 = false;
  bool in_resume_list : 1 = false;
  bool close_now : 1 = false;        // closing without waiting for the queue to drain
  bool migrated : 1 = false;         // the socket now belongs to another loop
  bool ended : 1 = false;            // end_session() has run
  bool cluster_counted : 1 = false;  // counted in Redis against max_sessions (cluster mode)
  int fd = -1;

  // Cross-loop requests whose replies have not come back. While any are in
  // flight, only requests for the same loop may follow (one FIFO each way
  // keeps their replies in order); anything else pauses input.
  uint32_t inflight = 0;
  uint32_t inflight_loop = 0;  // kAnyLoop: replies due from several loops
  static constexpr uint32_t kAnyLoop = ~0u;

  uint64_t client_id = 0;
  uint64_t last_active_ms = 0;
  uint32_t timer_tag = 0;
  TokenBucket bucket{0, 0};
  User* user = nullptr;  // set when live

  std::vector<RoomLink> rooms;
  std::unique_ptr<SessionExtras> extras;  // null until the session WATCHes or asks ROOMS
  HeldInput in_buf;  // unparsed input: a partial frame, or input held while paused
  net::OutboundQueue out;
  std::unique_ptr<WebConn> web;  // a web-listener connection; null for TCP

  // The extras, made on first use.
  SessionExtras& more() {
    if (!extras) extras = std::make_unique<SessionExtras>();
    return *extras;
  }
  bool is_watching(std::string_view name) const {
    return extras &&
           std::find(extras->watched.begin(), extras->watched.end(), name) != extras->watched.end();
  }
  size_t watch_count() const { return extras ? extras->watched.size() : 0; }
};

// This loop's view of one room: the sessions here that receive its frames.
struct LocalRoom {
  std::string name;
  std::vector<uint32_t> members;  // session slots
  uint32_t joining = 0;           // links still waiting for the owner's answer
};

// What a user keeps for resend safety: one cache per client_id, and the
// repeats waiting for an original still in flight. Allocated on the first
// SAY/WHISPER with a client_id, so users that never send pay nothing.
struct ResendBook {
  std::unordered_map<uint64_t, ResendCache> caches;  // by client_id
  struct Waiter {
    uint64_t client_id;
    uint32_t req;
    SessionAddr addr;
  };
  std::vector<Waiter> waiters;
};

// A user owned by this loop (all of a user's sessions live on its owner
// loop: a connection moves there when it logs in).
struct User {
  std::string name;
  std::vector<uint32_t> sessions;      // slots, in login order
  std::vector<SessionAddr> watchers;   // sessions (any loop) watching this user
  std::unique_ptr<ResendBook> resend;  // null until it sends with a client_id
  uint32_t pending_sends = 0;          // requests whose answer has not come back
  uint64_t offline_since_ms = 0;
};

}  // namespace chat
