#include "client/event_json.h"

#include <cstdio>
#include <type_traits>

namespace chat::client {
namespace {

// Builds {"event":NAME,...} field by field.
class JsonObject {
 public:
  JsonObject() = default;  // no "event" field: an entry inside a list
  explicit JsonObject(std::string_view event) { str("event", event); }

  JsonObject& str(std::string_view key, std::string_view value) {
    return field(key, json_quote(value));
  }
  JsonObject& num(std::string_view key, uint64_t value) {
    return field(key, std::to_string(value));
  }
  JsonObject& boolean(std::string_view key, bool value) {
    return field(key, value ? "true" : "false");
  }
  JsonObject& str_list(std::string_view key, const std::vector<std::string>& values) {
    std::string list = "[";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i != 0) list += ',';
      list += json_quote(values[i]);
    }
    list += ']';
    return field(key, list);
  }
  JsonObject& field(std::string_view key, std::string_view raw_value) {
    out_ += out_.empty() ? '{' : ',';
    out_ += json_quote(key);
    out_ += ':';
    out_ += raw_value;
    return *this;
  }
  std::string done() { return out_ + '}'; }

 private:
  std::string out_;
};

std::string to_json(const WelcomeEvent& e) {
  return JsonObject("welcome")
      .str("user", e.user)
      .num("session", e.session)
      .num("epoch", e.epoch)
      .num("heartbeat", e.heartbeat_s)
      .num("timeout", e.timeout_s)
      .str("server", e.server)
      .done();
}
std::string to_json(const DisconnectedEvent& e) {
  return JsonObject("disconnected").str("reason", e.reason).done();
}
std::string to_json(const ReconnectingEvent& e) {
  return JsonObject("reconnecting")
      .num("attempt", e.attempt)
      .num("max", e.max_attempts)
      .num("delay_ms", e.delay_ms)
      .str("server", e.server)
      .str("reason", e.reason)
      .done();
}
std::string to_json(const ReconnectedEvent& e) {
  return JsonObject("reconnected").num("attempt", e.attempt).done();
}
std::string to_json(const GaveUpEvent& e) {
  return JsonObject("gave_up").str("reason", e.reason).done();
}
std::string to_json(const ClosedEvent&) { return JsonObject("closed").done(); }
std::string to_json(const AckEvent& e) {
  JsonObject o("ack");
  o.num("req", e.req).num("id", e.id).num("time", e.time);
  if (!e.room.empty()) o.str("room", e.room);
  if (!e.to.empty()) o.str("to", e.to);
  return o.done();
}
std::string to_json(const JoinedEvent& e) {
  return JsonObject("joined").str("room", e.room).num("last_seq", e.last_seq).done();
}
std::string to_json(const LeftEvent& e) { return JsonObject("left").str("room", e.room).done(); }
std::string to_json(const MessageEvent& e) {
  JsonObject o("message");
  o.str("room", e.room)
      .num("seq", e.seq)
      .num("time", e.time)
      .str("from", e.from)
      .str("body", e.body);
  if (e.recovered) o.boolean("recovered", true);
  return o.done();
}
std::string to_json(const PrivateEvent& e) {
  return JsonObject("private")
      .num("id", e.id)
      .num("time", e.time)
      .str("from", e.from)
      .str("to", e.to)
      .str("body", e.body)
      .done();
}
std::string to_json(const RoomChangeEvent& e) {
  return JsonObject("room_event")
      .str("room", e.room)
      .str("kind", e.joined ? "joined" : "left")
      .str("user", e.user)
      .num("time", e.time)
      .done();
}
std::string to_json(const PresenceEvent& e) {
  return JsonObject("presence")
      .str("user", e.user)
      .boolean("online", e.online)
      .num("time", e.time)
      .done();
}
std::string to_json(const MembersEvent& e) {
  return JsonObject("members")
      .num("req", e.req)
      .str("room", e.room)
      .num("total", e.total)
      .str_list("users", e.users)
      .done();
}
std::string to_json(const RoomsEvent& e) {
  std::string list = "[";
  for (size_t i = 0; i < e.rooms.size(); ++i) {
    if (i != 0) list += ',';
    list += JsonObject().str("room", e.rooms[i].first).num("members", e.rooms[i].second).done();
  }
  list += ']';
  return JsonObject("rooms").num("req", e.req).num("total", e.total).field("rooms", list).done();
}
std::string to_json(const WatchingEvent& e) {
  return JsonObject("watching").str_list("users", e.users).done();
}
std::string to_json(const UnwatchedEvent& e) {
  return JsonObject("unwatched").str_list("users", e.users).done();
}
std::string to_json(const HistoryEvent& e) {
  return JsonObject("history")
      .str("room", e.room)
      .num("seq", e.seq)
      .num("time", e.time)
      .str("from", e.from)
      .str("body", e.body)
      .done();
}
std::string to_json(const HistoryEndEvent& e) {
  return JsonObject("history_end").str("room", e.room).num("count", e.count).done();
}
std::string to_json(const HistoryResetEvent& e) {
  return JsonObject("history_reset").str("room", e.room).done();
}
std::string to_json(const HistoryGapEvent& e) {
  return JsonObject("history_gap")
      .str("room", e.room)
      .num("first_seq", e.first_seq)
      .num("last_seq", e.last_seq)
      .done();
}
std::string to_json(const ErrorEvent& e) {
  JsonObject o("error");
  o.num("req", e.req).str("code", e.code).str("text", e.text);
  if (!e.request.empty()) o.str("request", e.request);
  return o.done();
}
std::string to_json(const RttEvent&) { return ""; }

}  // namespace

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string event_to_json(const ClientEvent& event) {
  return std::visit([](const auto& e) { return to_json(e); }, event);
}

}  // namespace chat::client
