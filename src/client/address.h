// Server addresses as the user writes them: "host:port", several separated by
// commas ("a:7000,b:7000"). Pure parsing; no resolution, no sockets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace chat::client {

struct ServerAddress {
  std::string host;  // a name or a numeric IPv4/IPv6 address (brackets removed)
  uint16_t port = 0;

  // "host:port" again, with brackets around an IPv6 host.
  std::string to_string() const;
  bool operator==(const ServerAddress&) const = default;
};

inline constexpr uint16_t kDefaultPort = 7000;

// Parses "host:port[,host:port...]". A missing port means kDefaultPort;
// "[::1]:7000" is an IPv6 host. Spaces around entries are ignored. Fails on an
// empty list, an empty host, or a port that is not 1..65535.
Result<std::vector<ServerAddress>> parse_server_list(std::string_view text);

}  // namespace chat::client
