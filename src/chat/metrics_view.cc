// take_snapshot(), the health verdicts and the HTTP routes. The two
// renderers are in metrics_render.cc.
#include "chat/metrics_view.h"

#include <algorithm>
#include <utility>

#include "chat/records.h"
#include "chat/server.h"
#include "metrics/http_server.h"

namespace chat {

std::string_view close_reason_label(size_t reason) {
  switch (static_cast<CloseReason>(reason)) {
    case CloseReason::kPeer:
      return "peer_closed";
    case CloseReason::kBye:
      return "bye";
    case CloseReason::kProtocol:
      return "protocol_error";
    case CloseReason::kIdle:
      return "idle_timeout";
    case CloseReason::kSlowConsumer:
      return "slow_consumer";
    case CloseReason::kShutdown:
      return "shutdown";
    case CloseReason::kLimit:
      return "session_limit";
    case CloseReason::kAuth:
      return "auth_failed";
    case CloseReason::kMigrated:
      return "migrated";
    case CloseReason::kHttpDone:
      return "http_reply";
  }
  return "unknown";
}

ServerSnapshot take_snapshot(const MetricsSource& source, uint64_t now_mono_ms, bool with_process) {
  ServerSnapshot s;
  s.connections = source.open_connections;
  s.max_connections = source.max_connections;
  s.ready = source.ready;
  s.shutting_down = source.shutting_down;
  s.version = source.version;
  std::vector<std::vector<RoomTrafficEntry>> owned;
  std::vector<std::vector<RoomTrafficEntry>> fanned;
  for (const ShardStats* st : source.shards) {
    {
      std::lock_guard<std::mutex> lock(st->room_traffic.mu);
      owned.push_back(st->room_traffic.owned);
      fanned.push_back(st->room_traffic.fanned);
    }
    s.accepted += st->accepted.value();
    s.refused_full += st->refused_full.value();
    for (size_t i = 0; i < s.closed.size(); ++i) s.closed[i] += st->closed[i].value();
    s.sessions += st->sessions_live.value();
    s.users_online += st->users_online.value();
    s.rooms += st->rooms.value();
    for (size_t i = 0; i < 256; ++i) {
      s.frames_in[i] += st->frames_in[i].value();
      s.frames_out[i] += st->frames_out[i].value();
    }
    s.says += st->says.value();
    s.whispers += st->whispers.value();
    s.deliveries += st->deliveries.value();
    s.bytes_in += st->bytes_in.value();
    s.bytes_out += st->bytes_out.value();
    for (size_t i = 0; i < s.errors_sent.size(); ++i)
      s.errors_sent[i] += st->errors_sent[i].value();
    s.rate_limited += st->rate_limited.value();
    s.web_accepted += st->web_accepted.value();
    s.web_upgrades += st->web_upgrades.value();
    for (size_t i = 0; i < s.web_refused.size(); ++i)
      s.web_refused[i] += st->web_refused[i].value();
    s.web_files += st->web_files.value();
    s.web_http_errors += st->web_http_errors.value();
    s.ws_protocol_closes += st->ws_protocol_closes.value();
    s.outbound_bytes += st->outbound_bytes.value();
    s.outbound_largest = std::max(s.outbound_largest, st->outbound_largest.value());
    s.delivery_latency.add(st->delivery_latency);

    LoopSnapshot loop;
    loop.connections = st->connections.value();
    const auto last =
        static_cast<uint64_t>(std::max<int64_t>(st->last_iteration_mono_ms.value(), 0));
    // A loop that has not run yet (0) is as old as the clock.
    loop.last_iteration_age_seconds =
        static_cast<double>(now_mono_ms > last ? now_mono_ms - last : 0) / 1000.0;
    loop.iteration.add(st->loop_iteration);
    s.loops.push_back(std::move(loop));
  }
  s.top_rooms = merge_room_traffic(owned, fanned, kTopRooms);
  if (with_process) {
    if (auto p = metrics::read_process_stats()) s.process = *p;
  }
  return s;
}

Verdict check_health(const ServerSnapshot& s) {
  Verdict v{true, ""};
  const double stall_s = static_cast<double>(kLoopStallMs) / 1000.0;
  for (size_t i = 0; i < s.loops.size(); ++i) {
    const double age = s.loops[i].last_iteration_age_seconds;
    if (age > stall_s) {
      v.ok = false;
      v.text += "loop " + std::to_string(i) + " stalled: last iteration " +
                metrics::format_value(age) + " s ago\n";
    }
  }
  if (s.loops.empty()) {
    v.ok = false;
    v.text = "no event loops\n";
  }
  if (v.ok) v.text = "ok: " + std::to_string(s.loops.size()) + " loops ticking\n";
  return v;
}

Verdict check_ready(const ServerSnapshot& s) {
  if (s.shutting_down) return Verdict{false, "not ready: shutting down\n"};
  if (!s.ready) return Verdict{false, "not ready: not listening\n"};
  return Verdict{true, "ready\n"};
}

void install_metrics_routes(metrics::HttpServer& http, const Server& server, std::string version,
                            Clock* clock) {
  // One snapshot per request, taken on the HTTP thread.
  auto snapshot = [&server, version = std::move(version), clock](bool with_process = true) {
    MetricsSource src;
    src.shards = server.shard_stats();
    src.open_connections = server.open_connections();
    src.max_connections = server.max_connections();
    src.ready = server.ready();
    src.shutting_down = server.shutting_down();
    src.version = version;
    return take_snapshot(src, clock->mono_ms(), with_process);
  };
  http.handle("/metrics", [snapshot](const metrics::HttpRequest&) {
    return metrics::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                                 render_prometheus(snapshot())};
  });
  http.handle("/stats", [snapshot](const metrics::HttpRequest&) {
    return metrics::HttpResponse{200, "application/json", render_stats_json(snapshot())};
  });
  http.handle("/healthz", [snapshot](const metrics::HttpRequest&) {
    Verdict v = check_health(snapshot(false));
    return metrics::HttpResponse{v.ok ? 200 : 503, "text/plain; charset=utf-8", std::move(v.text)};
  });
  http.handle("/readyz", [snapshot](const metrics::HttpRequest&) {
    Verdict v = check_ready(snapshot(false));
    return metrics::HttpResponse{v.ok ? 200 : 503, "text/plain; charset=utf-8", std::move(v.text)};
  });
}

}  // namespace chat
