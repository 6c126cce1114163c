// The commands a person (interactive mode) or a script types, one per line.
// Pure parsing: no session, no I/O. Both front ends share it, so a script
// drives exactly what a person can do.
//
//   text             SAY text to the current room ("//text" says "/text")
//   /join ROOM       /leave [ROOM]     /switch ROOM     /msg USER TEXT
//   /who [ROOM]      /rooms            /watch USER...   /unwatch USER...
//   /history [N]     /help             /quit
//   script mode only: /sleep MS, /wait-acks
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chat::client {

enum class CommandKind {
  kEmpty,    // blank line: nothing to do
  kInvalid,  // unknown command or bad arguments; `error` says why
  kSay,
  kJoin,
  kLeave,
  kSwitch,
  kMsg,
  kWho,
  kRooms,
  kWatch,
  kUnwatch,
  kHistory,
  kHelp,
  kQuit,
  kSleep,     // script mode
  kWaitAcks,  // script mode
};

struct Command {
  CommandKind kind = CommandKind::kEmpty;
  std::string target;              // room (join, leave, switch, who) or user (msg); may be ""
  std::string text;                // say, msg
  std::vector<std::string> users;  // watch, unwatch
  uint64_t number = 0;             // history N, sleep MS
  std::string error;               // kInvalid: a sentence for people
};

inline constexpr uint64_t kDefaultHistoryCount = 20;
inline constexpr uint64_t kMaxHistoryCount = 1000;
inline constexpr uint64_t kMaxSleepMs = 3'600'000;

// Parses one line (a trailing '\r' or '\n' is ignored). Whitespace separates
// arguments; the TEXT of /msg and of a plain line is kept as typed (a line of
// only spaces is kEmpty). /sleep and /wait-acks are commands only when
// `script_mode`; otherwise they are unknown commands.
Command parse_command(std::string_view line, bool script_mode);

// One line per command: "/join ROOM    join ROOM and switch to it", ...
std::vector<std::string> help_lines(bool script_mode);

}  // namespace chat::client
