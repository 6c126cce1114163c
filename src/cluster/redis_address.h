// The `cluster` setting: where the cluster's Redis is.
//
// Pure parsing, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace chat::cluster {

struct RedisAddress {
  std::string host;  // IPv4 literal or "localhost" as given
  uint16_t port = 6379;
};

// "redis://HOST[:PORT]" (PORT defaults to 6379). Errors name what is wrong.
Result<RedisAddress> parse_redis_url(std::string_view url);

// A node name: 1..64 of [A-Za-z0-9._-] (it travels in space-separated
// pub/sub payloads and in key names).
bool valid_node_id(std::string_view id);

// "<hostname>-<pid>", the default node name (characters outside the node
// alphabet become '-').
std::string default_node_id();

}  // namespace chat::cluster
