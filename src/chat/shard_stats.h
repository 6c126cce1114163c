// What one Shard counts about itself, for /metrics and /stats. Written only
// by the shard's loop thread, read by the metrics thread (see
// metrics/counters.h); a scrape sums the shards.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "chat/room_traffic.h"
#include "metrics/counters.h"

namespace chat {

inline constexpr size_t kCloseReasons = 10;  // CloseReason values
inline constexpr size_t kErrorCodes = 20;    // ErrorCode values 0..19
// Upgrade refusals: bad_request (400), origin (403); index as
// web::UpgradeRefusal, 0 unused.
inline constexpr size_t kUpgradeRefusalReasons = 3;

// The loop's RoomTraffic tables as of its last once-a-second publish: the
// loop writes them under `mu` once a second, a scrape copies them under it.
struct RoomTrafficBoard {
  mutable std::mutex mu;
  std::vector<RoomTrafficEntry> owned;   // rooms this loop owns: messages, rate
  std::vector<RoomTrafficEntry> fanned;  // rooms this loop fans out: latency
};

struct ShardStats {
  metrics::Counter accepted;                           // connections accepted by this loop
  metrics::Counter refused_full;                       // refused with SERVER_FULL
  std::array<metrics::Counter, kCloseReasons> closed;  // by CloseReason
  metrics::Gauge connections;                          // sockets this loop serves (any state)
  metrics::Gauge sessions_live;                        // past WELCOME
  metrics::Gauge users_online;                         // users owned here with a live session
  metrics::Gauge rooms;                                // rooms owned here with members
  std::array<metrics::Counter, 256> frames_in;         // by message type
  std::array<metrics::Counter, 256> frames_out;        // by message type
  metrics::Counter says;        // SAY accepted (sequenced) by rooms owned here
  metrics::Counter whispers;    // WHISPER delivered by users owned here
  metrics::Counter deliveries;  // MESSAGE/PRIVATE copies queued to sessions here
  metrics::Counter bytes_in;
  metrics::Counter bytes_out;
  std::array<metrics::Counter, kErrorCodes> errors_sent;  // by ErrorCode
  metrics::Counter rate_limited;
  metrics::Gauge outbound_bytes;               // queued on this loop's connections, in all
  metrics::Gauge outbound_largest;             // the largest one queue reached in the last second
  metrics::LatencyHistogram delivery_latency;  // SAY read -> copies flushed, per loop
  metrics::LatencyHistogram loop_iteration;    // busy time of one iteration
  metrics::Gauge last_iteration_mono_ms;       // for /healthz: a stuck loop stops this
  RoomTrafficBoard room_traffic;               // the busiest rooms, once a second

  // The web listener (see docs/operations.md, "Metrics").
  metrics::Counter web_accepted;  // connections accepted on the web listener
  metrics::Counter web_upgrades;  // WebSocket upgrades accepted (101)
  std::array<metrics::Counter, kUpgradeRefusalReasons> web_refused;  // by reason
  metrics::Counter web_files;                                        // page files served (200)
  metrics::Counter web_http_errors;     // other HTTP error replies (404, 405, 400, 408, 413, 431)
  metrics::Counter ws_protocol_closes;  // WebSocket sessions closed for a framing error
};

}  // namespace chat
