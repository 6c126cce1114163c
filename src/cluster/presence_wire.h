// What presence looks like in Redis (docs/cluster.md): a heartbeat key per
// node, a set of each node's online users, the set of nodes, and the
// user-status channel that carries every transition.
//
// Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chat::cluster {

inline constexpr std::string_view kNodesKey = "chatd:nodes";             // set of node ids
inline constexpr std::string_view kStatusChannel = "chatd:user-status";  // transitions

std::string node_key(std::string_view node);    // heartbeat, PX cluster_ttl
std::string online_key(std::string_view node);  // set of the node's online users

// "on NODE USER" / "off NODE USER".
std::string encode_status(bool online, std::string_view node, std::string_view user);
struct StatusChange {
  bool online = false;
  std::string_view node;
  std::string_view user;
};
std::optional<StatusChange> decode_status(std::string_view payload);

}  // namespace chat::cluster
