#include "chat_tui.h"

#include <curses.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "chat_tui_view.h"
#include "client/client_loop.h"
#include "client/command.h"
#include "client/command_dispatch.h"
#include "client/line_editor.h"
#include "client/transcript.h"

namespace chat::apps {
namespace {

using client::ClientEvent;
using client::Command;
using client::CommandKind;
using client::SessionState;

constexpr int kRedrawEveryMs = 500;  // the status bar's reconnect countdown
constexpr wint_t kCtrlA = 1, kCtrlC = 3, kCtrlD = 4, kCtrlE = 5, kCtrlK = 11, kCtrlN = 14,
                 kCtrlP = 16, kCtrlU = 21, kCtrlW = 23, kEscape = 27, kDelete = 127;

class Tui {
 public:
  Tui(const client::SessionConfig& config, Clock& clock)
      : clock_(clock),
        loop_(config, clock, [this](const ClientEvent& e) { on_event(e); }),
        dispatcher_(loop_.session()) {}

  int run();

 private:
  void on_event(const ClientEvent& event);
  void read_keys();
  void on_key(wint_t key, bool function_key);
  void submit();
  void switch_to_tab(size_t index);
  void cycle_tab(int step);
  void sync_rooms();
  std::string status_text() const;

  Clock& clock_;
  client::ClientLoop loop_;
  client::CommandDispatcher dispatcher_;
  client::Transcript transcript_;
  client::LineEditor editor_;
  int scroll_rows_ = 0;
  bool dirty_ = true;
  bool escape_pending_ = false;
  std::string gave_up_;
};

void Tui::on_event(const ClientEvent& event) {
  transcript_.apply(event, clock_.now_ms());
  if (const auto* g = std::get_if<client::GaveUpEvent>(&event)) gave_up_ = g->reason;
  if (const auto* j = std::get_if<client::JoinedEvent>(&event)) dispatcher_.adopt(j->room);
  dirty_ = true;
}

// Tabs follow the session's rooms: a failed JOIN closes its tab, the lobby
// the server put us in opens one.
void Tui::sync_rooms() {
  const std::vector<std::string> rooms = loop_.session().room_names();
  for (const auto& room : rooms) transcript_.open_room(room);
  for (const auto& tab : transcript_.tabs()) {
    if (!loop_.session().in_room(tab.room)) transcript_.close_room(tab.room);
  }
  const std::string current = dispatcher_.current_room();
  if (transcript_.current() != (current.empty() ? client::Transcript::kStatusPane : current)) {
    transcript_.set_current(current);
    scroll_rows_ = 0;
  }
}

std::string Tui::status_text() const {
  const client::Session& s = const_cast<client::ClientLoop&>(loop_).session();
  const std::string where = s.server().to_string();
  std::string who = s.user().empty() ? std::string() : s.user() + "@";
  switch (s.state()) {
    case SessionState::kIdle:
    case SessionState::kConnecting:
    case SessionState::kLoggingIn:
      return "connecting to " + where;
    case SessionState::kLive:
      return "online · " + who + where;
    case SessionState::kWaitingToReconnect: {
      const uint64_t now = clock_.mono_ms();
      const uint64_t at = s.reconnect_at_ms();
      const uint64_t left = at > now ? at - now : 0;
      std::string of = s.max_attempts() == 0 ? "" : "/" + std::to_string(s.max_attempts());
      return "reconnecting to " + where + " in " + std::to_string(left / 1000) + "." +
             std::to_string((left % 1000) / 100) + " s (attempt " +
             std::to_string(s.reconnect_attempt()) + of + ")";
    }
    case SessionState::kClosing:
    case SessionState::kClosed:
      return "closing";
    case SessionState::kGaveUp:
      return "offline";
  }
  return "";
}

void Tui::switch_to_tab(size_t index) {
  const auto tabs = transcript_.tabs();
  if (index < tabs.size()) dispatcher_.switch_to(tabs[index].room);
}

void Tui::cycle_tab(int step) {
  const auto tabs = transcript_.tabs();
  if (tabs.empty()) return;
  size_t at = 0;
  for (size_t i = 0; i < tabs.size(); ++i) {
    if (tabs[i].room == transcript_.current()) at = i;
  }
  const auto n = static_cast<long>(tabs.size());
  const long next = ((static_cast<long>(at) + step) % n + n) % n;
  dispatcher_.switch_to(tabs[static_cast<size_t>(next)].room);
}

void Tui::submit() {
  const std::string line = editor_.submit();
  const Command command = client::parse_command(line, /*script_mode=*/false);
  client::Session& session = loop_.session();
  const uint64_t now = clock_.now_ms();
  switch (command.kind) {
    case CommandKind::kEmpty:
      return;
    case CommandKind::kHelp:
      for (const auto& h : client::help_lines(false)) transcript_.info(h, now);
      transcript_.info(
          "keys: Alt+1..9 or Ctrl-N/Ctrl-P switch rooms, PgUp/PgDn scroll, "
          "Up/Down input history, Ctrl-C quits",
          now);
      return;
    case CommandKind::kQuit:
      session.quit();
      return;
    case CommandKind::kSay: {
      const std::string room = dispatcher_.current_room();
      if (room.empty()) {
        session.report_local_error("NO_ROOM", "no current room: /join one first");
        return;
      }
      if (uint32_t req = session.say(room, command.text)) {
        transcript_.own_message(room, req, command.text, now);
      }
      scroll_rows_ = 0;
      return;
    }
    case CommandKind::kMsg:
      if (uint32_t req = session.whisper(command.target, command.text)) {
        transcript_.own_private(command.target, req, command.text, now);
      }
      return;
    case CommandKind::kInvalid:
      dispatcher_.dispatch(command);
      // An unknown command shows the help, so the right one is at hand.
      if (command.error.starts_with("unknown")) {
        for (const auto& h : client::help_lines(false)) transcript_.info(h, now);
      }
      return;
    default:
      dispatcher_.dispatch(command);
      return;
  }
}

void Tui::on_key(wint_t key, bool function_key) {
  dirty_ = true;
  if (escape_pending_) {
    escape_pending_ = false;
    // Alt+digit arrives as ESC then the digit.
    if (!function_key && key >= L'1' && key <= L'9') {
      switch_to_tab(static_cast<size_t>(key - L'1'));
      return;
    }
  }
  if (function_key) {
    switch (key) {
      case KEY_ENTER:
        submit();
        break;
      case KEY_BACKSPACE:
        editor_.backspace();
        break;
      case KEY_DC:
        editor_.delete_forward();
        break;
      case KEY_LEFT:
        editor_.left();
        break;
      case KEY_RIGHT:
        editor_.right();
        break;
      case KEY_HOME:
        editor_.home();
        break;
      case KEY_END:
        editor_.end();
        break;
      case KEY_UP:
        editor_.history_prev();
        break;
      case KEY_DOWN:
        editor_.history_next();
        break;
      case KEY_PPAGE:
        scroll_rows_ += std::max(1, message_rows() - 1);
        break;
      case KEY_NPAGE:
        scroll_rows_ = std::max(0, scroll_rows_ - std::max(1, message_rows() - 1));
        break;
      case KEY_RESIZE:
        break;  // ncurses has the new size; the redraw follows
      default:
        break;
    }
    return;
  }
  switch (key) {
    case L'\n':
    case L'\r':
      submit();
      break;
    case kDelete:
    case 8:
      editor_.backspace();
      break;
    case kCtrlA:
      editor_.home();
      break;
    case kCtrlE:
      editor_.end();
      break;
    case kCtrlK:
      editor_.kill_to_end();
      break;
    case kCtrlU:
      editor_.kill_to_start();
      break;
    case kCtrlW:
      editor_.delete_word_back();
      break;
    case kCtrlN:
      cycle_tab(1);
      break;
    case kCtrlP:
      cycle_tab(-1);
      break;
    case kCtrlC:
      loop_.session().quit();
      break;
    case kCtrlD:
      if (editor_.empty()) loop_.session().quit();
      break;
    case kEscape:
      escape_pending_ = true;
      break;
    case L'\t':
      break;
    default:
      if (key >= 0x20) editor_.insert(static_cast<char32_t>(key));
      break;
  }
}

void Tui::read_keys() {
  wint_t key = 0;
  while (true) {
    const int rc = get_wch(&key);
    if (rc == ERR) break;
    on_key(key, rc == KEY_CODE_YES);
  }
}

int Tui::run() {
  initscr();
  raw();  // Ctrl-C is a key here: it quits cleanly
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  set_escdelay(25);
  init_view_colors();

  client::Session& session = loop_.session();
  session.start();
  uint64_t last_draw_ms = 0;
  while (!session.finished()) {
    sync_rooms();
    const uint64_t now = clock_.mono_ms();
    if (dirty_ || now - last_draw_ms >= kRedrawEveryMs) {
      draw_view(ViewState{&transcript_, &editor_, status_text(), scroll_rows_});
      dirty_ = false;
      last_draw_ms = now;
    }
    pollfd in{STDIN_FILENO, POLLIN, 0};
    loop_.run_once(std::span<pollfd>(&in, 1), kRedrawEveryMs);
    // Also after EINTR (SIGWINCH): get_wch then reports KEY_RESIZE.
    read_keys();
  }
  endwin();
  if (session.state() == SessionState::kGaveUp) {
    std::fprintf(stderr, "chat: %s\n", gave_up_.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int run_tui(const client::SessionConfig& config, Clock& clock) {
  Tui tui(config, clock);
  return tui.run();
}

}  // namespace chat::apps
