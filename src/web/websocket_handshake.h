// WebSocket opening handshake (RFC 6455 §4.2): the checks a server makes on
// an upgrade request and the 101 reply it sends, plus the small HTTP replies
// of the web listener. Pure functions, no I/O: tested and fuzzed alone.
//
// Thread: stateless; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/http_server.h"

namespace chat::web {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key +
// the RFC's GUID)), computed with OpenSSL.
std::string websocket_accept(std::string_view key);

// The value of header `name` (case-insensitive), or nullptr.
const std::string* find_header(const metrics::HttpRequest& req, std::string_view name);

// True when a browser page from `origin` may open a WebSocket to this
// server. `allowed` empty: the Origin's host:port must equal the Host header
// (same host). Otherwise `origin` must be one of `allowed` exactly (scheme,
// host and port, e.g. "http://127.0.0.1:7080"; case-insensitive).
bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed);

// Why an upgrade request was refused (also the metrics label).
enum class UpgradeRefusal : uint8_t {
  kNone,
  kBadRequest,  // not a valid RFC 6455 upgrade: 400
  kBadOrigin,   // Origin not allowed: 403
};
inline constexpr size_t kUpgradeRefusals = 3;
const char* upgrade_refusal_name(UpgradeRefusal r);

struct UpgradeCheck {
  UpgradeRefusal refusal = UpgradeRefusal::kNone;
  std::string reason;  // for the reply body and logs when refused
  std::string accept;  // Sec-WebSocket-Accept when accepted
};

// Checks a GET /ws request: Upgrade: websocket, Connection: upgrade,
// Sec-WebSocket-Version: 13, a Sec-WebSocket-Key of 16 bytes in base64, and
// the Origin (when present; a request without one is not from a browser and
// is allowed).
UpgradeCheck check_upgrade(const metrics::HttpRequest& req,
                           const std::vector<std::string>& allowed_origins);

// "HTTP/1.1 101 Switching Protocols" with the accept value.
std::string upgrade_response(std::string_view accept);

// A complete HTTP/1.1 reply that closes the connection. With head_only the
// body is left out (Content-Length still tells its size).
std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool head_only = false);

// Splits "a, b,c" into trimmed, non-empty items (the web_origins setting).
std::vector<std::string> split_list(std::string_view text);

}  // namespace chat::web
