// One benchmark connection: socket state for the Engine, protocol state for
// its Driver and accounting state for the Worker. Clients live in one vector
// that never grows after setup, so references to them stay valid.
// Owned by one Worker; single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/options.h"
#include "bench/tracking.h"

namespace chat::bench {

enum class ClientState : uint8_t {
  kIdle,         // not started
  kConnecting,   // TCP connect in progress
  kHandshake,    // connected, logging in
  kSubscribing,  // logged in, subscription requested
  kReady,        // logged in (and subscribed): measuring
  kClosing,      // goodbye sent, waiting for the server to close
  kClosed,       // done (closed by us, the server or a failure)
};

// Send-confirmation markers for targets without a reply per send (MQTT QoS 0,
// NATS): a PING after every few sends; its reply confirms the sends before it.
struct MarkerRing {
  static constexpr uint32_t kSize = 32;
  uint32_t counts[kSize] = {};
  uint32_t head = 0;
  uint32_t size = 0;

  bool full() const { return size == kSize; }
  void push(uint32_t n) {
    counts[(head + size) % kSize] = n;
    ++size;
  }
  // REQUIRES: size > 0.
  uint32_t pop() {
    uint32_t n = counts[head];
    head = (head + 1) % kSize;
    --size;
    return n;
  }
};

struct Client {
  uint32_t user = 0;  // global user index
  Role role;

  // Engine
  int fd = -1;
  uint32_t generation = 0;  // bumped on close: stale epoll events are ignored
  ClientState state = ClientState::kIdle;
  bool dirty = false;        // in the engine's flush list
  bool polling_out = false;  // EPOLLOUT registered
  std::string in;            // bytes of an incomplete frame
  std::string out;           // bytes not yet written
  size_t out_sent = 0;       // prefix of `out` already written

  // Driver
  uint8_t proto_state = 0;
  uint32_t next_req = 0;
  std::string_view last_error;  // static text: the server's last error code

  // Worker
  int64_t started_us = 0;  // connect() time
  int64_t last_tx_us = 0;  // last frame sent (heartbeats)
  uint32_t heartbeat_s = 30;
  bool member = false;       // counted as a room member for the current round
  uint32_t outstanding = 0;  // sends not yet confirmed
  uint32_t unsynced = 0;     // sends since the last marker
  MarkerRing markers;
  uint64_t sent_seq = 0;   // this round's sends
  SeqWindow room_seq;      // chat: the room's seq as this member saw it
  uint32_t slot_base = 0;  // peers: first slot in the per-sender table
};

}  // namespace chat::bench
