#include "cluster/presence_wire.h"

namespace chat::cluster {

std::string node_key(std::string_view node) { return "chatd:node:" + std::string(node); }

std::string online_key(std::string_view node) { return "chatd:online:" + std::string(node); }

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
