#include "client/command.h"

#include <charconv>

namespace chat::client {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

// Splits off the first whitespace-separated word of `s`.
std::string_view next_word(std::string_view& s) {
  s = trim_left(s);
  size_t end = 0;
  while (end < s.size() && !is_space(s[end])) ++end;
  std::string_view word = s.substr(0, end);
  s.remove_prefix(end);
  return word;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  for (std::string_view w = next_word(s); !w.empty(); w = next_word(s)) out.emplace_back(w);
  return out;
}

Command invalid(std::string error) {
  Command c;
  c.kind = CommandKind::kInvalid;
  c.error = std::move(error);
  return c;
}

bool parse_number(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

// Commands taking at most one word (room). `required` says whether it must be there.
Command one_word(CommandKind kind, std::string_view name, std::string_view args, bool required) {
  std::vector<std::string> w = words(args);
  if (w.size() > 1 || (required && w.empty())) {
    return invalid("usage: /" + std::string(name) + (required ? " ROOM" : " [ROOM]"));
  }
  Command c;
  c.kind = kind;
  if (!w.empty()) c.target = w[0];
  return c;
}

}  // namespace

Command parse_command(std::string_view line, bool script_mode) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (trim_left(line).empty()) return Command{};
  if (line.front() != '/' || line.starts_with("//")) {
    Command c;
    c.kind = CommandKind::kSay;
    c.text = std::string(line.starts_with("//") ? line.substr(1) : line);
    return c;
  }
  std::string_view rest = line.substr(1);
  const std::string_view name = next_word(rest);

  if (name == "join") return one_word(CommandKind::kJoin, name, rest, true);
  if (name == "leave") return one_word(CommandKind::kLeave, name, rest, false);
  if (name == "switch") return one_word(CommandKind::kSwitch, name, rest, true);
  if (name == "who") return one_word(CommandKind::kWho, name, rest, false);
  if (name == "msg") {
    const std::string_view user = next_word(rest);
    // The text is everything after one separating space, kept as typed.
    if (!rest.empty()) rest.remove_prefix(1);
    if (user.empty() || trim_left(rest).empty()) return invalid("usage: /msg USER TEXT");
    Command c;
    c.kind = CommandKind::kMsg;
    c.target = std::string(user);
    c.text = std::string(rest);
    return c;
  }
  if (name == "rooms" || name == "help" || name == "quit" || (script_mode && name == "wait-acks")) {
    if (!words(rest).empty()) return invalid("usage: /" + std::string(name) + " (no arguments)");
    Command c;
    c.kind = name == "rooms"  ? CommandKind::kRooms
             : name == "help" ? CommandKind::kHelp
             : name == "quit" ? CommandKind::kQuit
                              : CommandKind::kWaitAcks;
    return c;
  }
  if (name == "watch" || name == "unwatch") {
    Command c;
    c.kind = name == "watch" ? CommandKind::kWatch : CommandKind::kUnwatch;
    c.users = words(rest);
    if (c.users.empty()) return invalid("usage: /" + std::string(name) + " USER...");
    return c;
  }
  if (name == "history") {
    std::vector<std::string> w = words(rest);
    Command c;
    c.kind = CommandKind::kHistory;
    c.number = kDefaultHistoryCount;
    if (w.size() > 1 || (w.size() == 1 && (!parse_number(w[0], &c.number) || c.number == 0 ||
                                           c.number > kMaxHistoryCount))) {
      return invalid("usage: /history [N], N from 1 to " + std::to_string(kMaxHistoryCount));
    }
    return c;
  }
  if (script_mode && name == "sleep") {
    std::vector<std::string> w = words(rest);
    Command c;
    c.kind = CommandKind::kSleep;
    if (w.size() != 1 || !parse_number(w[0], &c.number) || c.number > kMaxSleepMs) {
      return invalid("usage: /sleep MS, MS from 0 to " + std::to_string(kMaxSleepMs));
    }
    return c;
  }
  return invalid("unknown command /" + std::string(name) + ": type /help for the list");
}

std::vector<std::string> help_lines(bool script_mode) {
  std::vector<std::string> lines = {
      "TEXT               say TEXT in the current room (//TEXT says /TEXT)",
      "/join ROOM         join ROOM and make it the current room",
      "/leave [ROOM]      leave ROOM (default: the current room)",
      "/switch ROOM       make ROOM (already joined) the current room; also Alt+1..9",
      "/msg USER TEXT     send TEXT privately to USER",
      "/who [ROOM]        list the members of ROOM (default: the current room)",
      "/rooms             list the server's rooms",
      "/watch USER...     follow when these users come online or go offline",
      "/unwatch USER...   stop following these users",
      "/history [N]       show the last N messages of the current room (default 20)",
      "/help              show this help",
      "/quit              leave the chat",
  };
  if (script_mode) {
    lines.emplace_back(
        "/sleep MS          pause the script for MS milliseconds (events still flow)");
    lines.emplace_back("/wait-acks         wait until every request so far is answered");
  }
  return lines;
}

}  // namespace chat::client
