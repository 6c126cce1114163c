#include "web/websocket_handshake.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

namespace chat::web {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kKeyBytes = 16;  // a Sec-WebSocket-Key decodes to 16 bytes

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when the comma-separated header value lists `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool valid_key(std::string_view key) {
  // 16 bytes in base64: 22 characters and "==".
  if (key.size() != 24 || key.substr(22) != "==") return false;
  unsigned char out[kKeyBytes + 2];
  int n = EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(key.data()), 24);
  return n == static_cast<int>(kKeyBytes) + 2;  // EVP_DecodeBlock counts the padding as bytes
}

// "http://host:port" -> "host:port" (default ports added); "" when not a URL.
std::string origin_authority(std::string_view origin) {
  size_t scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return "";
  std::string_view scheme = origin.substr(0, scheme_end);
  std::string_view rest = origin.substr(scheme_end + 3);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return "";
  std::string out(rest);
  if (out.find(':') == std::string::npos) {
    if (iequals(scheme, "http"))
      out += ":80";
    else if (iequals(scheme, "https"))
      out += ":443";
  }
  return out;
}

std::string host_authority(std::string_view host) {
  std::string out(trim(host));
  if (!out.empty() && out.find(':') == std::string::npos) out += ":80";
  return out;
}

const char* status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

}  // namespace

std::string websocket_accept(std::string_view key) {
  std::string input(key);
  input += kGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

const std::string* find_header(const metrics::HttpRequest& req, std::string_view name) {
  for (const auto& [key, value] : req.headers) {
    if (iequals(key, name)) return &value;
  }
  return nullptr;
}

bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed) {
  if (allowed.empty()) {
    std::string a = origin_authority(origin);
    return !a.empty() && iequals(a, host_authority(host));
  }
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& o) { return iequals(o, origin); });
}

const char* upgrade_refusal_name(UpgradeRefusal r) {
  switch (r) {
    case UpgradeRefusal::kNone:
      return "none";
    case UpgradeRefusal::kBadRequest:
      return "bad_request";
    case UpgradeRefusal::kBadOrigin:
      return "origin";
  }
  return "unknown";
}

UpgradeCheck check_upgrade(const metrics::HttpRequest& req,
                           const std::vector<std::string>& allowed_origins) {
  UpgradeCheck c;
  auto refuse = [&](UpgradeRefusal r, std::string why) {
    c.refusal = r;
    c.reason = std::move(why);
    return c;
  };
  if (req.method != "GET") return refuse(UpgradeRefusal::kBadRequest, "upgrade must be a GET");
  const std::string* upgrade = find_header(req, "Upgrade");
  if (upgrade == nullptr || !has_token(*upgrade, "websocket")) {
    return refuse(UpgradeRefusal::kBadRequest, "missing Upgrade: websocket");
  }
  const std::string* connection = find_header(req, "Connection");
  if (connection == nullptr || !has_token(*connection, "upgrade")) {
    return refuse(UpgradeRefusal::kBadRequest, "missing Connection: Upgrade");
  }
  const std::string* version = find_header(req, "Sec-WebSocket-Version");
  if (version == nullptr || trim(*version) != "13") {
    return refuse(UpgradeRefusal::kBadRequest, "Sec-WebSocket-Version must be 13");
  }
  const std::string* key = find_header(req, "Sec-WebSocket-Key");
  if (key == nullptr || !valid_key(trim(*key))) {
    return refuse(UpgradeRefusal::kBadRequest, "bad Sec-WebSocket-Key");
  }
  const std::string* host = find_header(req, "Host");
  if (host == nullptr) return refuse(UpgradeRefusal::kBadRequest, "missing Host");
  if (const std::string* origin = find_header(req, "Origin"); origin != nullptr) {
    if (!origin_allowed(trim(*origin), *host, allowed_origins)) {
      return refuse(UpgradeRefusal::kBadOrigin, "origin not allowed");
    }
  }
  c.accept = websocket_accept(trim(*key));
  return c;
}

std::string upgrade_response(std::string_view accept) {
  std::string out =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  out += accept;
  out += "\r\n\r\n";
  return out;
}

std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n";
  out += "Content-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (status == 405) out += "Allow: GET, HEAD\r\n";
  out += "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n";
  if (!head_only) out += body;
  return out;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace chat::web
