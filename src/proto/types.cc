#include "proto/types.h"

namespace chat::proto {

std::string_view error_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNone:
      return "NONE";
    case ErrorCode::kBadFrame:
      return "BAD_FRAME";
    case ErrorCode::kFrameTooLarge:
      return "FRAME_TOO_LARGE";
    case ErrorCode::kUnknownType:
      return "UNKNOWN_TYPE";
    case ErrorCode::kMalformed:
      return "MALFORMED";
    case ErrorCode::kNotLoggedIn:
      return "NOT_LOGGED_IN";
    case ErrorCode::kAuthFailed:
      return "AUTH_FAILED";
    case ErrorCode::kInvalidName:
      return "INVALID_NAME";
    case ErrorCode::kInvalidBody:
      return "INVALID_BODY";
    case ErrorCode::kNotInRoom:
      return "NOT_IN_ROOM";
    case ErrorCode::kNoSuchUser:
      return "NO_SUCH_USER";
    case ErrorCode::kRateLimited:
      return "RATE_LIMITED";
    case ErrorCode::kSlowConsumer:
      return "SLOW_CONSUMER";
    case ErrorCode::kIdleTimeout:
      return "IDLE_TIMEOUT";
    case ErrorCode::kTooManyRooms:
      return "TOO_MANY_ROOMS";
    case ErrorCode::kShuttingDown:
      return "SHUTTING_DOWN";
    case ErrorCode::kAlreadyLoggedIn:
      return "ALREADY_LOGGED_IN";
    case ErrorCode::kServerFull:
      return "SERVER_FULL";
    case ErrorCode::kLimit:
      return "LIMIT";
    case ErrorCode::kUnavailable:
      return "UNAVAILABLE";
  }
  // A code from a newer peer, or any u16 off the wire.
  return "UNKNOWN";
}

std::string_view type_name(uint8_t type) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kHello:
      return "HELLO";
    case MsgType::kPing:
      return "PING";
    case MsgType::kPong:
      return "PONG";
    case MsgType::kJoin:
      return "JOIN";
    case MsgType::kLeave:
      return "LEAVE";
    case MsgType::kSay:
      return "SAY";
    case MsgType::kWhisper:
      return "WHISPER";
    case MsgType::kWho:
      return "WHO";
    case MsgType::kRooms:
      return "ROOMS";
    case MsgType::kWatch:
      return "WATCH";
    case MsgType::kUnwatch:
      return "UNWATCH";
    case MsgType::kHistory:
      return "HISTORY";
    case MsgType::kBye:
      return "BYE";
    case MsgType::kWelcome:
      return "WELCOME";
    case MsgType::kOk:
      return "OK";
    case MsgType::kError:
      return "ERROR";
    case MsgType::kAck:
      return "ACK";
    case MsgType::kMessage:
      return "MESSAGE";
    case MsgType::kPrivate:
      return "PRIVATE";
    case MsgType::kRoomEvent:
      return "ROOM_EVENT";
    case MsgType::kPresence:
      return "PRESENCE";
    case MsgType::kMembers:
      return "MEMBERS";
    case MsgType::kRoomList:
      return "ROOM_LIST";
    case MsgType::kHistoryPage:
      return "HISTORY_PAGE";
  }
  return "UNKNOWN";
}

bool is_client_type(uint8_t type) {
  return type >= static_cast<uint8_t>(MsgType::kHello) &&
         type <= static_cast<uint8_t>(MsgType::kBye);
}

bool is_server_type(uint8_t type) {
  return type == static_cast<uint8_t>(MsgType::kPing) ||
         type == static_cast<uint8_t>(MsgType::kPong) ||
         (type >= static_cast<uint8_t>(MsgType::kWelcome) &&
          type <= static_cast<uint8_t>(MsgType::kHistoryPage));
}

}  // namespace chat::proto
