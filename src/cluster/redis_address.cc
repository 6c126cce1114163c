#include "cluster/redis_address.h"

#include <unistd.h>

#include <charconv>

namespace chat::cluster {

namespace {

bool node_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

Result<RedisAddress> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::error("must look like redis://HOST:PORT, got '" + std::string(url) + "'");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  RedisAddress out;
  size_t colon = rest.rfind(':');
  std::string_view host = colon == std::string_view::npos ? rest : rest.substr(0, colon);
  if (host.empty()) return Status::error("no host in '" + std::string(url) + "'");
  if (host.find_first_of("/@?") != std::string_view::npos) {
    return Status::error("unsupported URL form '" + std::string(url) + "' (use redis://HOST:PORT)");
  }
  out.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  if (colon != std::string_view::npos) {
    std::string_view port = rest.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return Status::error("port must be 1..65535 in '" + std::string(url) + "'");
    }
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

bool valid_node_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!node_char(c)) return false;
  }
  return true;
}

std::string default_node_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string id(host);
  if (id.empty()) id = "node";
  if (id.size() > 40) id.resize(40);
  for (char& c : id) {
    if (!node_char(c)) c = '-';
  }
  return id + "-" + std::to_string(::getpid());
}

}  // namespace chat::cluster
