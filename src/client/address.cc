#include "client/address.h"

#include <charconv>

namespace chat::client {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<ServerAddress> parse_one(std::string_view entry) {
  ServerAddress addr;
  std::string_view port_text;
  if (!entry.empty() && entry.front() == '[') {
    const size_t close = entry.find(']');
    if (close == std::string_view::npos) {
      return Status::error("server address '" + std::string(entry) + "': missing ']'");
    }
    addr.host = std::string(entry.substr(1, close - 1));
    std::string_view rest = entry.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Status::error("server address '" + std::string(entry) + "': expected ':' after ']'");
      }
      port_text = rest.substr(1);
    }
  } else {
    const size_t colon = entry.rfind(':');
    if (colon == std::string_view::npos) {
      addr.host = std::string(entry);
    } else {
      addr.host = std::string(entry.substr(0, colon));
      port_text = entry.substr(colon + 1);
      if (port_text.empty()) {
        return Status::error("server address '" + std::string(entry) + "': empty port");
      }
    }
  }
  if (addr.host.empty()) {
    return Status::error("server address '" + std::string(entry) + "': empty host");
  }
  if (port_text.empty()) {
    addr.port = kDefaultPort;
    return addr;
  }
  unsigned value = 0;
  const char* end = port_text.data() + port_text.size();
  auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
  if (ec != std::errc() || ptr != end || value == 0 || value > 65535) {
    return Status::error("server address '" + std::string(entry) + "': port must be 1..65535");
  }
  addr.port = static_cast<uint16_t>(value);
  return addr;
}

}  // namespace

std::string ServerAddress::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<std::vector<ServerAddress>> parse_server_list(std::string_view text) {
  std::vector<ServerAddress> out;
  while (true) {
    const size_t comma = text.find(',');
    std::string_view entry = trim(text.substr(0, comma));
    if (entry.empty()) return Status::error("empty server address in '" + std::string(text) + "'");
    auto one = parse_one(entry);
    if (!one) return one.status();
    out.push_back(std::move(*one));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace chat::client
