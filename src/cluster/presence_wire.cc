#include "cluster/presence_wire.h"

namespace chat::cluster {

std::string node_key(std::string_view node) { return "chatd:node:" + std::string(node); }

std::string online_key(std::string_view node) { return "chatd:online:" + std::string(node); }

std::string sessions_key(std::string_view user) {
  return "chatd:sessions:{" + std::string(user) + "}";
}

const std::string_view kLoginScript = R"LUA(
local total = 0
local counts = redis.call('HVALS', KEYS[1])
for i = 1, #counts do total = total + tonumber(counts[i]) end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
)LUA";

const std::string_view kLogoutScript = R"LUA(
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return left
)LUA";

std::string encode_status(bool online, std::string_view node, std::string_view user) {
  std::string out(online ? "on " : "off ");
  out.append(node).append(" ").append(user);
  return out;
}

std::optional<StatusChange> decode_status(std::string_view payload) {
  StatusChange c;
  size_t sp = payload.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  std::string_view kind = payload.substr(0, sp);
  if (kind == "on") {
    c.online = true;
  } else if (kind != "off") {
    return std::nullopt;
  }
  payload.remove_prefix(sp + 1);
  sp = payload.find(' ');
  if (sp == 0 || sp == std::string_view::npos || sp + 1 == payload.size()) return std::nullopt;
  c.node = payload.substr(0, sp);
  c.user = payload.substr(sp + 1);
  return c;
}

}  // namespace chat::cluster
