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

// Sessions of a user per node (hash NODE -> count): max_sessions across nodes.
std::string sessions_key(std::string_view user);

// LOGIN: counts one more session of the user on NODE if the total stays
// within the limit.  KEYS: sessions key; ARGV: node, max_sessions.
// Returns 1 (counted) or 0 (at the limit).
extern const std::string_view kLoginScript;
// LOGOUT: one session fewer on NODE (the field goes at 0).
// KEYS: sessions key; ARGV: node. Returns what is left on the node.
extern const std::string_view kLogoutScript;

// "on NODE USER" / "off NODE USER".
std::string encode_status(bool online, std::string_view node, std::string_view user);
struct StatusChange {
  bool online = false;
  std::string_view node;
  std::string_view user;
};
std::optional<StatusChange> decode_status(std::string_view payload);

}  // namespace chat::cluster
