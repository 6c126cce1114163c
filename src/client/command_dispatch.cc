#include "client/command_dispatch.h"

#include "proto/messages.h"

namespace chat::client {

std::string CommandDispatcher::current_room() const {
  if (!current_.empty() && session_.in_room(current_)) return current_;
  std::vector<std::string> rooms = session_.room_names();
  return rooms.empty() ? std::string() : rooms.front();
}

bool CommandDispatcher::switch_to(const std::string& room) {
  if (!session_.in_room(room)) {
    session_.report_local_error("NOT_IN_ROOM", "not in room '" + room + "': /join it first");
    return false;
  }
  current_ = room;
  return true;
}

void CommandDispatcher::adopt(const std::string& room) {
  if (current_room().empty() || !session_.in_room(current_)) current_ = room;
}

bool CommandDispatcher::room_or_current(const Command& command, std::string* room) {
  *room = command.target.empty() ? current_room() : command.target;
  if (room->empty()) {
    session_.report_local_error("NO_ROOM", "no current room: /join one first");
    return false;
  }
  return true;
}

bool CommandDispatcher::dispatch(const Command& command) {
  std::string room;
  switch (command.kind) {
    case CommandKind::kInvalid:
      session_.report_local_error(
          command.error.starts_with("unknown") ? "UNKNOWN_COMMAND" : "USAGE", command.error);
      return true;
    case CommandKind::kSay:
      if (room_or_current(Command{}, &room)) session_.say(room, command.text);
      return true;
    case CommandKind::kJoin:
      session_.join(command.target);
      if (proto::valid_name(command.target)) current_ = command.target;
      return true;
    case CommandKind::kLeave:
      if (room_or_current(command, &room)) session_.leave(room);
      return true;
    case CommandKind::kSwitch:
      switch_to(command.target);
      return true;
    case CommandKind::kMsg:
      session_.whisper(command.target, command.text);
      return true;
    case CommandKind::kWho:
      if (room_or_current(command, &room)) session_.who(room);
      return true;
    case CommandKind::kRooms:
      session_.list_rooms();
      return true;
    case CommandKind::kWatch:
      session_.watch(command.users);
      return true;
    case CommandKind::kUnwatch:
      session_.unwatch(command.users);
      return true;
    case CommandKind::kHistory:
      if (room_or_current(Command{}, &room)) session_.history(room, command.number);
      return true;
    default:
      return false;
  }
}

}  // namespace chat::client
