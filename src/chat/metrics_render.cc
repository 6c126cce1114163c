// render_prometheus() and render_stats_json(): one ServerSnapshot, two
// formats, the same figures under the same names (the JSON drops the
// chatd_ prefix and groups by topic).
#include <cmath>
#include <string>

#include "chat/metrics_view.h"
#include "chat/records.h"
#include "proto/types.h"
#include "web/websocket_handshake.h"

namespace chat {
namespace {

using metrics::MetricType;
using metrics::TextExposition;

constexpr auto kMigrated = static_cast<size_t>(CloseReason::kMigrated);

// Frame types by direction: the protocol's, then "UNKNOWN" for the rest.
template <class Fn>
void for_each_type(const std::array<uint64_t, 256>& counts, bool (*known)(uint8_t), Fn&& fn) {
  uint64_t unknown = 0;
  for (size_t t = 0; t < 256; ++t) {
    const auto type = static_cast<uint8_t>(t);
    if (known(type)) {
      fn(proto::type_name(type), counts[t]);
    } else {
      unknown += counts[t];
    }
  }
  fn("UNKNOWN", unknown);
}

template <class Fn>
void for_each_error(const std::array<uint64_t, kErrorCodes>& counts, Fn&& fn) {
  for (size_t c = 1; c < counts.size(); ++c) {
    fn(proto::error_name(static_cast<proto::ErrorCode>(c)), counts[c]);
  }
}

template <class Fn>
void for_each_close(const ServerSnapshot& s, Fn&& fn) {
  for (size_t r = 0; r < s.closed.size(); ++r) {
    if (r != kMigrated) fn(close_reason_label(r), s.closed[r]);
  }
  fn("server_full", s.refused_full);
}

uint64_t slow_consumers(const ServerSnapshot& s) {
  return s.closed[static_cast<size_t>(CloseReason::kSlowConsumer)];
}

// ---- JSON: a tiny writer (our names and numbers only; strings escaped) ----

class Json {
 public:
  void open(std::string_view key, char bracket) {
    this->key(key);
    out_ += bracket;
    first_ = true;
  }
  void close(char bracket) {
    out_ += bracket;
    first_ = false;
  }
  void num(std::string_view k, double v) {
    key(k);
    out_ += std::isfinite(v) ? metrics::format_value(v) : "null";
  }
  void num(std::string_view k, uint64_t v) {
    key(k);
    out_ += std::to_string(v);
  }
  void num(std::string_view k, int64_t v) {
    key(k);
    out_ += std::to_string(v);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    quote(v);
  }
  std::string take() { return std::move(out_); }

 private:
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    if (!k.empty()) {
      quote(k);
      out_ += ':';
    }
  }
  void quote(std::string_view v) {
    out_ += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        out_ += ' ';
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }
  std::string out_;
  bool first_ = true;
};

void json_latency(Json& j, std::string_view key, const metrics::LatencySnapshot& h) {
  j.open(key, '{');
  j.num("count", h.count());
  j.num("sum", static_cast<double>(h.sum_us) / 1e6);
  j.num("p50", h.quantile_seconds(0.5));
  j.num("p90", h.quantile_seconds(0.9));
  j.num("p99", h.quantile_seconds(0.99));
  j.close('}');
}

}  // namespace

std::string render_prometheus(const ServerSnapshot& s) {
  TextExposition out;
  out.family("chatd_build_info", MetricType::kGauge, "Always 1; the version is in its label.");
  out.sample("chatd_build_info", {{"version", s.version}}, uint64_t{1});
  out.family("chatd_ready", MetricType::kGauge,
             "1 while chatd listens and is not shutting down (as /readyz).");
  out.sample("chatd_ready", {}, uint64_t{s.ready && !s.shutting_down ? 1u : 0u});
  out.family("chatd_max_connections", MetricType::kGauge, "The connection limit in force.");
  out.sample("chatd_max_connections", {}, uint64_t{s.max_connections});
  out.family("chatd_loop_threads", MetricType::kGauge, "Event-loop threads.");
  out.sample("chatd_loop_threads", {}, uint64_t{s.loops.size()});

  out.family("chatd_connections", MetricType::kGauge, "Open client connections (any state).");
  out.sample("chatd_connections", {}, s.connections);
  out.family("chatd_connections_accepted_total", MetricType::kCounter,
             "Connections accepted, including those then refused as server_full.");
  out.sample("chatd_connections_accepted_total", {}, s.accepted);
  out.family("chatd_connections_closed_total", MetricType::kCounter,
             "Connections ended, by reason.");
  for_each_close(s, [&](std::string_view reason, uint64_t n) {
    out.sample("chatd_connections_closed_total", {{"reason", reason}}, n);
  });
  out.family("chatd_connections_migrated_total", MetricType::kCounter,
             "Connections handed to their user's loop at login (not a disconnect).");
  out.sample("chatd_connections_migrated_total", {}, s.closed[kMigrated]);
  out.family("chatd_sessions", MetricType::kGauge, "Sessions past WELCOME.");
  out.sample("chatd_sessions", {}, s.sessions);
  out.family("chatd_users_online", MetricType::kGauge, "Users with at least one live session.");
  out.sample("chatd_users_online", {}, s.users_online);
  out.family("chatd_rooms", MetricType::kGauge, "Rooms with members.");
  out.sample("chatd_rooms", {}, s.rooms);

  out.family("chatd_frames_received_total", MetricType::kCounter,
             "Frames received from clients, by message type.");
  for_each_type(s.frames_in, proto::is_client_type, [&](std::string_view type, uint64_t n) {
    out.sample("chatd_frames_received_total", {{"type", type}}, n);
  });
  out.family("chatd_frames_sent_total", MetricType::kCounter,
             "Frames queued to clients, by message type.");
  for_each_type(s.frames_out, proto::is_server_type, [&](std::string_view type, uint64_t n) {
    out.sample("chatd_frames_sent_total", {{"type", type}}, n);
  });
  out.family("chatd_messages_accepted_total", MetricType::kCounter,
             "Messages accepted: SAY sequenced by its room, WHISPER delivered to its user.");
  out.sample("chatd_messages_accepted_total", {{"kind", "say"}}, s.says);
  out.sample("chatd_messages_accepted_total", {{"kind", "whisper"}}, s.whispers);
  out.family("chatd_deliveries_total", MetricType::kCounter,
             "MESSAGE and PRIVATE copies queued to sessions.");
  out.sample("chatd_deliveries_total", {}, s.deliveries);
  out.family("chatd_bytes_received_total", MetricType::kCounter, "Bytes read from clients.");
  out.sample("chatd_bytes_received_total", {}, s.bytes_in);
  out.family("chatd_bytes_sent_total", MetricType::kCounter, "Bytes written to clients.");
  out.sample("chatd_bytes_sent_total", {}, s.bytes_out);
  out.family("chatd_errors_sent_total", MetricType::kCounter, "ERROR replies sent, by code.");
  for_each_error(s.errors_sent, [&](std::string_view code, uint64_t n) {
    out.sample("chatd_errors_sent_total", {{"code", code}}, n);
  });
  out.family("chatd_slow_consumer_disconnects_total", MetricType::kCounter,
             "Connections cut because their output queue passed max_outbound.");
  out.sample("chatd_slow_consumer_disconnects_total", {}, slow_consumers(s));
  out.family("chatd_rate_limited_total", MetricType::kCounter,
             "SAY and WHISPER refused with RATE_LIMITED.");
  out.sample("chatd_rate_limited_total", {}, s.rate_limited);
  out.family("chatd_web_connections_accepted_total", MetricType::kCounter,
             "Connections accepted on the web listener (page files and WebSocket).");
  out.sample("chatd_web_connections_accepted_total", {}, s.web_accepted);
  out.family("chatd_websocket_upgrades_total", MetricType::kCounter,
             "WebSocket upgrades accepted (101 sent).");
  out.sample("chatd_websocket_upgrades_total", {}, s.web_upgrades);
  out.family("chatd_websocket_upgrades_refused_total", MetricType::kCounter,
             "WebSocket upgrades refused, by reason (bad_request: 400, origin: 403).");
  for (size_t r = 1; r < s.web_refused.size(); ++r) {
    out.sample("chatd_websocket_upgrades_refused_total",
               {{"reason", web::upgrade_refusal_name(static_cast<web::UpgradeRefusal>(r))}},
               s.web_refused[r]);
  }
  out.family("chatd_web_files_served_total", MetricType::kCounter, "Page files served (200).");
  out.sample("chatd_web_files_served_total", {}, s.web_files);
  out.family("chatd_web_http_errors_total", MetricType::kCounter,
             "Other HTTP error replies on the web listener (400, 404, 405, 408, 413, 431).");
  out.sample("chatd_web_http_errors_total", {}, s.web_http_errors);
  out.family("chatd_websocket_protocol_closes_total", MetricType::kCounter,
             "WebSocket sessions closed for a framing error (1002, 1003, 1009).");
  out.sample("chatd_websocket_protocol_closes_total", {}, s.ws_protocol_closes);
  out.family("chatd_outbound_queue_bytes", MetricType::kGauge,
             "Bytes queued for clients on all connections.");
  out.sample("chatd_outbound_queue_bytes", {}, s.outbound_bytes);
  out.family("chatd_outbound_queue_largest_bytes", MetricType::kGauge,
             "The largest one connection's queue reached in the last second.");
  out.sample("chatd_outbound_queue_largest_bytes", {}, s.outbound_largest);
  out.family("chatd_delivery_latency_seconds", MetricType::kHistogram,
             "From a SAY's arrival to the write of its last copy on a loop.");
  out.histogram("chatd_delivery_latency_seconds", {}, s.delivery_latency);

  // The busiest rooms only (at most kTopRooms label values; a room leaves
  // these series when others overtake it).
  out.family("chatd_room_messages_per_second", MetricType::kGauge,
             "Messages sequenced per second in each of the busiest rooms (last second).");
  for (const RoomTrafficEntry& r : s.top_rooms) {
    out.sample("chatd_room_messages_per_second", {{"room", r.room}}, r.messages_per_second);
  }
  out.family("chatd_room_messages_total", MetricType::kCounter,
             "Messages sequenced in each of the busiest rooms since it joined that list.");
  for (const RoomTrafficEntry& r : s.top_rooms) {
    out.sample("chatd_room_messages_total", {{"room", r.room}}, r.messages);
  }
  out.family("chatd_room_delivery_latency_seconds", MetricType::kHistogram,
             "Delivery latency (as chatd_delivery_latency_seconds) in each of the busiest rooms.");
  for (const RoomTrafficEntry& r : s.top_rooms) {
    out.histogram("chatd_room_delivery_latency_seconds", {{"room", r.room}}, r.latency);
  }

  out.family("chatd_loop_iteration_seconds", MetricType::kHistogram,
             "Busy time of one event-loop iteration, per loop.");
  for (size_t i = 0; i < s.loops.size(); ++i) {
    const std::string loop = std::to_string(i);
    out.histogram("chatd_loop_iteration_seconds", {{"loop", loop}}, s.loops[i].iteration);
  }
  out.family("chatd_loop_last_iteration_age_seconds", MetricType::kGauge,
             "Seconds since the loop last began an iteration (a stuck loop grows it).");
  for (size_t i = 0; i < s.loops.size(); ++i) {
    out.sample("chatd_loop_last_iteration_age_seconds", {{"loop", std::to_string(i)}},
               s.loops[i].last_iteration_age_seconds);
  }
  out.family("chatd_loop_connections", MetricType::kGauge,
             "Connections each loop serves (refreshed once a second).");
  for (size_t i = 0; i < s.loops.size(); ++i) {
    out.sample("chatd_loop_connections", {{"loop", std::to_string(i)}}, s.loops[i].connections);
  }

  if (s.process) {
    const metrics::ProcessStats& p = *s.process;
    out.family("process_cpu_seconds_total", MetricType::kCounter,
               "User and system CPU time spent in seconds.");
    out.sample("process_cpu_seconds_total", {}, p.cpu_seconds);
    out.family("process_resident_memory_bytes", MetricType::kGauge,
               "Resident memory size in bytes.");
    out.sample("process_resident_memory_bytes", {}, p.resident_bytes);
    out.family("process_virtual_memory_bytes", MetricType::kGauge, "Virtual memory size in bytes.");
    out.sample("process_virtual_memory_bytes", {}, p.virtual_bytes);
    out.family("process_open_fds", MetricType::kGauge, "Number of open file descriptors.");
    out.sample("process_open_fds", {}, p.open_fds);
    out.family("process_max_fds", MetricType::kGauge, "Maximum number of open file descriptors.");
    out.sample("process_max_fds", {}, p.max_fds);
    out.family("process_start_time_seconds", MetricType::kGauge,
               "Start time of the process since unix epoch in seconds.");
    out.sample("process_start_time_seconds", {}, p.start_time_seconds);
  }
  return out.take();
}

std::string render_stats_json(const ServerSnapshot& s) {
  Json j;
  j.open("", '{');
  j.str("version", s.version);
  j.boolean("ready", s.ready && !s.shutting_down);
  j.boolean("healthy", check_health(s).ok);
  j.boolean("shutting_down", s.shutting_down);
  j.open("connections", '{');
  j.num("open", s.connections);
  j.num("max", uint64_t{s.max_connections});
  j.num("accepted_total", s.accepted);
  j.num("migrated_total", s.closed[kMigrated]);
  j.open("closed_total", '{');
  for_each_close(s, [&](std::string_view reason, uint64_t n) { j.num(reason, n); });
  j.close('}');
  j.close('}');
  j.num("sessions", s.sessions);
  j.num("users_online", s.users_online);
  j.num("rooms", s.rooms);
  j.open("frames_received_total", '{');
  for_each_type(s.frames_in, proto::is_client_type,
                [&](std::string_view type, uint64_t n) { j.num(type, n); });
  j.close('}');
  j.open("frames_sent_total", '{');
  for_each_type(s.frames_out, proto::is_server_type,
                [&](std::string_view type, uint64_t n) { j.num(type, n); });
  j.close('}');
  j.open("messages_accepted_total", '{');
  j.num("say", s.says);
  j.num("whisper", s.whispers);
  j.close('}');
  j.num("deliveries_total", s.deliveries);
  j.num("bytes_received_total", s.bytes_in);
  j.num("bytes_sent_total", s.bytes_out);
  j.open("errors_sent_total", '{');
  for_each_error(s.errors_sent, [&](std::string_view code, uint64_t n) { j.num(code, n); });
  j.close('}');
  j.num("slow_consumer_disconnects_total", slow_consumers(s));
  j.num("rate_limited_total", s.rate_limited);
  j.open("web", '{');
  j.num("connections_accepted_total", s.web_accepted);
  j.num("websocket_upgrades_total", s.web_upgrades);
  j.open("websocket_upgrades_refused_total", '{');
  for (size_t r = 1; r < s.web_refused.size(); ++r) {
    j.num(web::upgrade_refusal_name(static_cast<web::UpgradeRefusal>(r)), s.web_refused[r]);
  }
  j.close('}');
  j.num("files_served_total", s.web_files);
  j.num("http_errors_total", s.web_http_errors);
  j.num("websocket_protocol_closes_total", s.ws_protocol_closes);
  j.close('}');
  j.num("outbound_queue_bytes", s.outbound_bytes);
  j.num("outbound_queue_largest_bytes", s.outbound_largest);
  json_latency(j, "delivery_latency_seconds", s.delivery_latency);
  j.open("top_rooms", '[');
  for (const RoomTrafficEntry& r : s.top_rooms) {
    j.open("", '{');
    j.str("room", r.room);
    j.num("messages_per_second", r.messages_per_second);
    j.num("messages_total", r.messages);
    json_latency(j, "delivery_latency_seconds", r.latency);
    j.close('}');
  }
  j.close(']');
  j.open("loops", '[');
  for (size_t i = 0; i < s.loops.size(); ++i) {
    j.open("", '{');
    j.num("loop", uint64_t{i});
    j.num("connections", s.loops[i].connections);
    j.num("last_iteration_age_seconds", s.loops[i].last_iteration_age_seconds);
    json_latency(j, "iteration_seconds", s.loops[i].iteration);
    j.close('}');
  }
  j.close(']');
  if (s.process) {
    const metrics::ProcessStats& p = *s.process;
    j.open("process", '{');
    j.num("cpu_seconds_total", p.cpu_seconds);
    j.num("resident_memory_bytes", p.resident_bytes);
    j.num("virtual_memory_bytes", p.virtual_bytes);
    j.num("open_fds", p.open_fds);
    j.num("max_fds", p.max_fds);
    j.num("start_time_seconds", p.start_time_seconds);
    j.close('}');
  }
  j.close('}');
  return j.take() + "\n";
}

}  // namespace chat
