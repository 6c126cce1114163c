// MetricsView: chatd's figures as the HTTP endpoint serves them.
//
// take_snapshot() reads every loop's ShardStats (relaxed loads; the loops go
// on writing) and sums them into one ServerSnapshot; render_prometheus() and
// render_stats_json() write that one snapshot, so /metrics and /stats always
// agree; check_health() and check_ready() judge it for /healthz and
// /readyz. Every metric is documented in docs/operations.md ("Metrics").
//
// install_metrics_routes() wires the four paths of a metrics::HttpServer to
// a running Server.
//
// Thread: the functions are pure apart from reading the atomics; they run on
// the HTTP server's thread. The Server must outlive the routes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "chat/shard_stats.h"
#include "metrics/exposition.h"
#include "metrics/process_stats.h"

namespace chat {

namespace metrics {
class HttpServer;
}
class Server;

// A loop whose last iteration began longer ago than this is stuck: /healthz
// fails and chatd_loop_last_iteration_age_seconds shows it.
inline constexpr uint64_t kLoopStallMs = 2000;

// How many rooms the per-room metrics show (the label count stays bounded
// however many rooms exist).
inline constexpr size_t kTopRooms = 20;

// What the snapshot needs besides the loops' stats (Server's accessors).
struct MetricsSource {
  std::vector<const ShardStats*> shards;  // index = loop
  uint32_t open_connections = 0;          // live count the connection limit checks
  uint32_t max_connections = 0;
  bool ready = false;
  bool shutting_down = false;
  std::string version;
};

struct LoopSnapshot {
  int64_t connections = 0;
  double last_iteration_age_seconds = 0;
  chat::metrics::LatencySnapshot iteration;
};

struct ServerSnapshot {
  uint64_t accepted = 0;
  uint64_t refused_full = 0;
  std::array<uint64_t, kCloseReasons> closed{};  // by CloseReason
  int64_t connections = 0;
  int64_t sessions = 0;
  int64_t users_online = 0;
  int64_t rooms = 0;
  std::array<uint64_t, 256> frames_in{};
  std::array<uint64_t, 256> frames_out{};
  uint64_t says = 0;
  uint64_t whispers = 0;
  uint64_t deliveries = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::array<uint64_t, kErrorCodes> errors_sent{};
  uint64_t rate_limited = 0;
  // The web listener.
  uint64_t web_accepted = 0;
  uint64_t web_upgrades = 0;
  std::array<uint64_t, kUpgradeRefusalReasons> web_refused{};  // by web::UpgradeRefusal
  uint64_t web_files = 0;
  uint64_t web_http_errors = 0;
  uint64_t ws_protocol_closes = 0;
  int64_t outbound_bytes = 0;
  int64_t outbound_largest = 0;  // the largest over the loops
  chat::metrics::LatencySnapshot delivery_latency;
  std::vector<RoomTrafficEntry> top_rooms;  // the busiest, at most kTopRooms
  std::vector<LoopSnapshot> loops;
  uint32_t max_connections = 0;
  bool ready = false;
  bool shutting_down = false;
  std::string version;
  std::optional<chat::metrics::ProcessStats> process;  // none when /proc was unreadable
};

// now_mono_ms: the clock the loops stamp last_iteration_mono_ms with.
// with_process: also read /proc/self (the health probes skip it: with many
// connections, counting descriptors is the costly part of a snapshot).
ServerSnapshot take_snapshot(const MetricsSource& source, uint64_t now_mono_ms,
                             bool with_process = true);

std::string render_prometheus(const ServerSnapshot& s);
std::string render_stats_json(const ServerSnapshot& s);

struct Verdict {
  bool ok = false;
  std::string text;  // one line per finding, for the reply body
};
// Healthy when every loop began an iteration within kLoopStallMs.
Verdict check_health(const ServerSnapshot& s);
// Ready when listening and not shutting down.
Verdict check_ready(const ServerSnapshot& s);

// The label chatd_connections_closed_total uses for a close reason
// ("idle_timeout", "slow_consumer", ...).
std::string_view close_reason_label(size_t reason);

// Routes GET /metrics, /stats, /healthz and /readyz of `http` to `server`.
// REQUIRES: http not started; server outlives http's thread.
void install_metrics_routes(metrics::HttpServer& http, const Server& server, std::string version,
                            Clock* clock = &SystemClock::instance());

}  // namespace chat
