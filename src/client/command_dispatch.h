// Carries out parsed commands on a Session and keeps the "current room" that
// plain text is said to. Shared by the terminal UI and script mode so both
// behave the same. Front-end commands (/help, /quit, /sleep, /wait-acks) are
// left to the caller.
//
// Thread: single-threaded, with the Session it drives.
#pragma once

#include <string>

#include "client/command.h"
#include "client/session.h"

namespace chat::client {

class CommandDispatcher {
 public:
  // `session` must outlive the dispatcher.
  explicit CommandDispatcher(Session& session) : session_(session) {}

  // Runs a protocol command (say, join, leave, switch, msg, who, rooms, watch,
  // unwatch, history) or reports a kInvalid one as an error (code
  // UNKNOWN_COMMAND or USAGE). Returns false, doing nothing, for the kinds
  // that belong to the front end (kEmpty, kHelp, kQuit, kSleep, kWaitAcks).
  // Refusals are reported through Session::report_local_error.
  bool dispatch(const Command& command);

  // The room plain text goes to: the last one joined or switched to, while we
  // are in it; else the first room we are in; else "".
  std::string current_room() const;
  // Makes `room` current. Reports NOT_IN_ROOM and returns false when we are
  // not in it (or joining it).
  bool switch_to(const std::string& room);
  // Makes `room` current if there is no current room (a room the server put
  // us in, such as the lobby).
  void adopt(const std::string& room);

 private:
  // The command's room, or the current one; reports NO_ROOM when neither.
  bool room_or_current(const Command& command, std::string* room);

  Session& session_;
  std::string current_;
};

}  // namespace chat::client
