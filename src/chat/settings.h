// The server's settings: every key of PROTOCOL.md §8 plus the server's own
// (listen address, threads, auth secret, logging, shutdown grace).
//
// Sources, later overriding earlier: the defaults below, the TOML file named
// by --config (keys in snake_case: `max_frame = 65536`, `lobby = ""`), then
// command-line flags in kebab case (`--max-frame 65536`, `--lobby ""`).
//
// Field names are exactly the config keys (PROTOCOL.md §8 uses them on the
// wire and in docs too); each field's comment gives its unit. Durations are
// whole seconds, sizes bytes.
//
// Thread: a Settings is a plain value; parse it once at startup, then share
// it read-only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace chat {

// std::thread::hardware_concurrency(), clamped to 1..256.
uint32_t default_thread_count();

struct Settings {
  // ---- PROTOCOL.md §8 ----
  uint32_t max_frame = 65536;        // bytes: largest frame either way (WELCOME)
  uint32_t max_body = 4096;          // bytes: largest message body
  uint32_t login_timeout = 10;       // seconds: HELLO must arrive within
  uint32_t max_sessions = 8;         // sessions per user at once
  std::string lobby = "lobby";       // room every new session joins; "" = none
  uint16_t heartbeat = 30;           // seconds: client PINGs after this silence (WELCOME)
  uint16_t timeout = 60;             // seconds: server closes after this silence (WELCOME)
  uint32_t max_watch = 1024;         // users one session may watch
  uint32_t history = 100;            // messages kept per room
  uint32_t room_event_limit = 1000;  // users: rooms above this send no ROOM_EVENTs
  uint32_t max_outbound = 262144;    // bytes: output queue bound per connection
  uint32_t rate = 50;                // SAY/WHISPER tokens per second per session
  uint32_t burst = 100;              // tokens a session may hold
  uint32_t max_rooms = 64;           // rooms per session, lobby included
  uint32_t max_connections = 0;      // 0 = auto: use effective_max_connections()

  // ---- the server's own ----
  std::string listen = "127.0.0.1:7000";  // HOST:PORT as given
  std::string host = "127.0.0.1";         // from listen: IPv4 literal ("localhost" -> 127.0.0.1)
  uint16_t port = 7000;                   // from listen: 1..65535
  uint32_t threads = default_thread_count();  // event-loop threads, 1..256
  // HS256 secret; "" = authentication off. After parse_settings() it holds
  // the effective secret, read from jwt_secret_file when that is set.
  std::string jwt_secret;
  std::string jwt_secret_file;      // file holding the secret ("" = none)
  uint32_t shutdown_grace = 5;      // seconds: flush time on shutdown
  std::string log_level = "info";   // trace|debug|info|warn|error|critical|off
  std::string log_format = "text";  // text|json
  std::string config;               // the TOML file read ("" = none); a flag only
  // Metrics/health HTTP endpoint, HOST:PORT as given; "" = off. http_host
  // and http_port are parsed from it. http_set: it came from the file or a
  // flag (apps/chatd then treats a failure to bind it as fatal; the default
  // address is best effort).
  std::string http = "127.0.0.1:7001";
  std::string http_host = "127.0.0.1";
  uint16_t http_port = 7001;
  bool http_set = false;
  // Web listener (the chat page and WebSocket /ws), HOST:PORT as given; ""
  // = off. Served by the chat loops. web_set: as http_set.
  std::string web = "127.0.0.1:7080";
  std::string web_host = "127.0.0.1";
  uint16_t web_port = 7080;
  bool web_set = false;
  // Origins allowed to open /ws, comma-separated ("http://host:port");
  // "" = the page's own host only (Origin host:port equal to Host).
  std::string web_origins;
  // Cluster mode (docs/cluster.md): "redis://HOST:PORT" of the Redis the
  // nodes share; "" = standalone. cluster_host/cluster_port are parsed
  // from it. node_id names this node (after parse_settings(): never empty
  // in cluster mode, "HOSTNAME-PID" by default).
  std::string cluster;
  std::string cluster_host;
  uint16_t cluster_port = 0;
  std::string node_id;
  uint32_t cluster_ttl = 10;  // seconds: a node silent this long is gone
};

// Parses the command line (argv[0] is the program name) and the config file
// it names, checks every value, and returns the settings.
//
// --help and --version: returns OK (with default settings) and sets
// *help_or_version_out to the text to print; the caller prints it to stdout
// and exits 0. In every other case *help_or_version_out is left empty, so
// the caller's test is `if (!out.empty())`. `version` is what --version
// prints after "chatd " (apps/chatd passes CHATD_VERSION).
//
// Errors: one line naming the setting and where it came from, e.g.
//   "--max-frame: must be at most 16777216, got 99999999"
//   "config /etc/chatd.toml line 3: unknown key 'max_frames'"
//   "max_frame (4096) must be at least max_body + 256 (4352)"
// The caller prints it and exits 2. Never throws.
// REQUIRES: help_or_version_out != nullptr.
Result<Settings> parse_settings(int argc, char** argv, std::string* help_or_version_out,
                                std::string_view version = "unknown");

// Checks the rule that ties settings together (max_frame >= max_body + 256).
// parse_settings() calls it; exposed for code that builds Settings by hand.
Status validate_settings(const Settings& s);

// The connection limit in force: s.max_connections if set, else what the
// process's open-files limit (RLIMIT_NOFILE, soft) allows less a reserve for
// the server's own descriptors (32 + 4 per loop thread). At least 1.
uint32_t effective_max_connections(const Settings& s, uint32_t threads);
// The same computation for a given open-files limit (for tests).
uint32_t max_connections_for_open_files(uint64_t open_files_limit, uint32_t threads);

}  // namespace chat
