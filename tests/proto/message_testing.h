// Helpers shared by the proto tests and the fuzz targets: hex, field-wise
// equality of every message struct, and dispatch of a payload to the decoder
// its type calls for. Header-only; depends on src/proto alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "proto/frame.h"
#include "proto/messages.h"
#include "proto/types.h"

namespace chat::test {

inline std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// nullopt if `hex` has an odd length or a non-hex character.
inline std::optional<std::string> from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

inline std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    auto b = static_cast<uint8_t>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

// ---- field-wise equality (the structs have no operator==) ----

namespace detail {
template <class T, class Eq>
bool same_list(const std::vector<T>& a, const std::vector<T>& b, Eq eq) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (!eq(a[i], b[i])) {
      return false;
    }
  }
  return true;
}
}  // namespace detail

using namespace chat::proto;  // NOLINT(google-build-using-namespace): test helper

inline bool same(const Hello& a, const Hello& b) {
  return std::tie(a.req, a.client_id, a.user, a.token) ==
         std::tie(b.req, b.client_id, b.user, b.token);
}
inline bool same(const Ping& a, const Ping& b) { return a.nonce == b.nonce; }
inline bool same(const Pong& a, const Pong& b) { return a.nonce == b.nonce; }
inline bool same(const Join& a, const Join& b) {
  return std::tie(a.req, a.room) == std::tie(b.req, b.room);
}
inline bool same(const Leave& a, const Leave& b) {
  return std::tie(a.req, a.room) == std::tie(b.req, b.room);
}
inline bool same(const Say& a, const Say& b) {
  return std::tie(a.req, a.room, a.body) == std::tie(b.req, b.room, b.body);
}
inline bool same(const Whisper& a, const Whisper& b) {
  return std::tie(a.req, a.to, a.body) == std::tie(b.req, b.to, b.body);
}
inline bool same(const Who& a, const Who& b) {
  return std::tie(a.req, a.room) == std::tie(b.req, b.room);
}
inline bool same(const Rooms& a, const Rooms& b) { return a.req == b.req; }
inline bool same(const UserList& a, const UserList& b) {
  return std::tie(a.req, a.users) == std::tie(b.req, b.users);
}
inline bool same(const History& a, const History& b) {
  return std::tie(a.req, a.room, a.after_seq, a.limit) ==
         std::tie(b.req, b.room, b.after_seq, b.limit);
}
inline bool same(const Bye& a, const Bye& b) { return a.req == b.req; }

inline bool same(const Welcome& a, const Welcome& b) {
  return std::tie(a.req, a.session, a.time, a.heartbeat, a.timeout, a.max_frame, a.user, a.epoch) ==
         std::tie(b.req, b.session, b.time, b.heartbeat, b.timeout, b.max_frame, b.user, b.epoch);
}
inline bool same(const Ok& a, const Ok& b) { return a.req == b.req; }
inline bool same(const ErrorMsg& a, const ErrorMsg& b) {
  return std::tie(a.req, a.code, a.text) == std::tie(b.req, b.code, b.text);
}
inline bool same(const Ack& a, const Ack& b) {
  return std::tie(a.req, a.id, a.time) == std::tie(b.req, b.id, b.time);
}
inline bool same(const Message& a, const Message& b) {
  return std::tie(a.room, a.seq, a.time, a.from, a.body) ==
         std::tie(b.room, b.seq, b.time, b.from, b.body);
}
inline bool same(const Private& a, const Private& b) {
  return std::tie(a.id, a.time, a.from, a.to, a.body) ==
         std::tie(b.id, b.time, b.from, b.to, b.body);
}
inline bool same(const RoomEvent& a, const RoomEvent& b) {
  return std::tie(a.room, a.kind, a.user, a.time) == std::tie(b.room, b.kind, b.user, b.time);
}
inline bool same(const Presence& a, const Presence& b) {
  return std::tie(a.user, a.online, a.time) == std::tie(b.user, b.online, b.time);
}
inline bool same(const Members& a, const Members& b) {
  return std::tie(a.req, a.room, a.total, a.users) == std::tie(b.req, b.room, b.total, b.users);
}
inline bool same(const RoomEntry& a, const RoomEntry& b) {
  return std::tie(a.room, a.members) == std::tie(b.room, b.members);
}
inline bool same(const RoomList& a, const RoomList& b) {
  return std::tie(a.req, a.total) == std::tie(b.req, b.total) &&
         detail::same_list(a.rooms, b.rooms,
                           [](const RoomEntry& x, const RoomEntry& y) { return same(x, y); });
}
inline bool same(const HistoryEntry& a, const HistoryEntry& b) {
  return std::tie(a.seq, a.time, a.from, a.body) == std::tie(b.seq, b.time, b.from, b.body);
}
inline bool same(const HistoryPage& a, const HistoryPage& b) {
  return std::tie(a.req, a.room, a.more) == std::tie(b.req, b.room, b.more) &&
         detail::same_list(a.entries, b.entries,
                           [](const HistoryEntry& x, const HistoryEntry& y) { return same(x, y); });
}

// ---- dispatch ----

// The verdict of the decoder for client message `type` on `payload`; a
// kUnknownType error for a type no client may send.
inline DecodeError decode_client_error(uint8_t type, Payload payload,
                                       const DecodeLimits& limits = {}) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kHello:
      return decode_hello(payload).error;
    case MsgType::kPing:
      return decode_ping(payload).error;
    case MsgType::kPong:
      return decode_pong(payload).error;
    case MsgType::kJoin:
      return decode_join(payload).error;
    case MsgType::kLeave:
      return decode_leave(payload).error;
    case MsgType::kSay:
      return decode_say(payload, limits).error;
    case MsgType::kWhisper:
      return decode_whisper(payload, limits).error;
    case MsgType::kWho:
      return decode_who(payload).error;
    case MsgType::kRooms:
      return decode_rooms(payload).error;
    case MsgType::kWatch:
    case MsgType::kUnwatch:
      return decode_user_list(payload).error;
    case MsgType::kHistory:
      return decode_history(payload).error;
    case MsgType::kBye:
      return decode_bye(payload).error;
    default:
      return {ErrorCode::kUnknownType, 0, "not a client message type"};
  }
}

// The verdict of the decoder for server message `type` on `payload`; a
// kUnknownType error for a type no server may send.
inline DecodeError decode_server_error(uint8_t type, Payload payload) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kPing:
      return decode_ping(payload).error;
    case MsgType::kPong:
      return decode_pong(payload).error;
    case MsgType::kWelcome:
      return decode_welcome(payload).error;
    case MsgType::kOk:
      return decode_ok(payload).error;
    case MsgType::kError:
      return decode_error(payload).error;
    case MsgType::kAck:
      return decode_ack(payload).error;
    case MsgType::kMessage:
      return decode_message(payload).error;
    case MsgType::kPrivate:
      return decode_private(payload).error;
    case MsgType::kRoomEvent:
      return decode_room_event(payload).error;
    case MsgType::kPresence:
      return decode_presence(payload).error;
    case MsgType::kMembers:
      return decode_members(payload).error;
    case MsgType::kRoomList:
      return decode_room_list(payload).error;
    case MsgType::kHistoryPage:
      return decode_history_page(payload).error;
    default:
      return {ErrorCode::kUnknownType, 0, "not a server message type"};
  }
}

}  // namespace chat::test
