// Wire constants of protocol version 1: message types, error codes, limits.
// Pure data; no I/O. See docs/protocol.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chat::proto {

inline constexpr uint16_t kMagic = 0xCAF0;
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderBytes = 8;
inline constexpr size_t kMaxNameBytes = 64;
inline constexpr size_t kMaxListEntries = 1000;    // WHO, ROOMS
inline constexpr size_t kMaxHistoryEntries = 100;  // one HISTORY_PAGE

enum class MsgType : uint8_t {
  // client -> server
  kHello = 0x01,
  kPing = 0x02,  // both ways
  kPong = 0x03,  // both ways
  kJoin = 0x04,
  kLeave = 0x05,
  kSay = 0x06,
  kWhisper = 0x07,
  kWho = 0x08,
  kRooms = 0x09,
  kWatch = 0x0A,
  kUnwatch = 0x0B,
  kHistory = 0x0C,
  kBye = 0x0D,
  // server -> client
  kWelcome = 0x41,
  kOk = 0x42,
  kError = 0x43,
  kAck = 0x44,
  kMessage = 0x45,
  kPrivate = 0x46,
  kRoomEvent = 0x47,
  kPresence = 0x48,
  kMembers = 0x49,
  kRoomList = 0x4A,
  kHistoryPage = 0x4B,
};

enum class ErrorCode : uint16_t {
  kNone = 0,  // not on the wire: "no error"
  kBadFrame = 1,
  kFrameTooLarge = 2,
  kUnknownType = 3,
  kMalformed = 4,
  kNotLoggedIn = 5,
  kAuthFailed = 6,
  kInvalidName = 7,
  kInvalidBody = 8,
  kNotInRoom = 9,
  kNoSuchUser = 10,
  kRateLimited = 11,
  kSlowConsumer = 12,
  kIdleTimeout = 13,
  kTooManyRooms = 14,
  kShuttingDown = 15,
  kAlreadyLoggedIn = 16,
  kServerFull = 17,
  kLimit = 18,
  kUnavailable = 19,
};

enum class RoomEventKind : uint8_t { kJoined = 1, kLeft = 2 };

// "BAD_FRAME", "NOT_IN_ROOM", ...; "UNKNOWN(n)"-style "UNKNOWN" for others.
// kNone gives "NONE".
std::string_view error_name(ErrorCode code);
// "HELLO", "SAY", ...; "UNKNOWN" for types not in the protocol.
std::string_view type_name(uint8_t type);
// True for the types a client may send (0x01-0x0D).
bool is_client_type(uint8_t type);
// True for the types a server may send (PING, PONG, 0x41-0x4B).
bool is_server_type(uint8_t type);

}  // namespace chat::proto
