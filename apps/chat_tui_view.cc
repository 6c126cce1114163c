#include "chat_tui_view.h"

#include <curses.h>

#include <ctime>
#include <string>
#include <vector>

#include "client/text_width.h"

namespace chat::apps {
namespace {

using client::Delivery;
using client::LineKind;
using client::TranscriptLine;

constexpr int kSideColumns = 20;
constexpr int kWrapIndent = 6;  // "HH:MM "
constexpr int kMinColumns = 20;
constexpr int kMinRows = 5;

enum ColorPair : short { kOwnPair = 1, kPrivatePair, kInfoPair, kErrorPair, kOnlinePair };

// One screen row of the message pane: text plus how to show it.
struct Row {
  std::string text;
  attr_t attrs = A_NORMAL;
};

std::string clock_text(uint64_t time_ms) {
  if (time_ms == 0) return "     ";
  const time_t secs = static_cast<time_t>(time_ms / 1000);
  struct tm local {};
  localtime_r(&secs, &local);
  char buf[8];
  std::strftime(buf, sizeof buf, "%H:%M", &local);
  return buf;
}

attr_t pair_attr(ColorPair pair) { return has_colors() ? COLOR_PAIR(pair) : A_NORMAL; }

// The text of a transcript line, and its look.
Row format_line(const TranscriptLine& line) {
  Row row;
  const std::string body = client::sanitize(line.text);
  const std::string time = clock_text(line.time_ms) + " ";
  switch (line.kind) {
    case LineKind::kMessage:
      row.text = time + line.from + ": " + body;
      break;
    case LineKind::kOwn:
      row.text = time + line.from + "> " + body;
      row.attrs = A_BOLD | pair_attr(kOwnPair);
      break;
    case LineKind::kPrivate:
      row.text = time + "[" + line.from + "] " + body;
      row.attrs = A_BOLD | pair_attr(kPrivatePair);
      break;
    case LineKind::kHistory:
      row.text = time + "(history) " + line.from + ": " + body;
      row.attrs = A_DIM;
      break;
    case LineKind::kInfo:
      row.text = time + "-- " + body;
      row.attrs = pair_attr(kInfoPair);
      break;
    case LineKind::kError:
      row.text = time + "!! " + body;
      row.attrs = A_BOLD | pair_attr(kErrorPair);
      break;
  }
  if (line.delivery == Delivery::kPending) row.text += "  (sending…)";
  if (line.delivery == Delivery::kFailed) row.text += "  (not sent)";
  return row;
}

void put(int y, int x, const std::string& utf8, int columns, attr_t attrs = A_NORMAL) {
  if (columns <= 0) return;
  attron(attrs);
  mvaddstr(y, x, client::fit_columns(utf8, columns).c_str());
  attroff(attrs);
}

void draw_tabs(const client::Transcript& t) {
  move(0, 0);
  clrtoeol();
  int x = 0;
  for (const auto& tab : t.tabs()) {
    std::string label = " " + client::sanitize(tab.room);
    if (tab.unread > 0) label += "(" + std::to_string(tab.unread) + ")";
    label += " ";
    const bool current = tab.room == t.current();
    const int width = client::text_columns(label);
    if (x + width > COLS) break;
    put(0, x, label, COLS - x, current ? A_REVERSE | A_BOLD : (tab.unread > 0 ? A_BOLD : A_NORMAL));
    x += width + 1;
  }
  if (t.tabs().empty()) put(0, 0, " (no room: /join ROOM) ", COLS, A_DIM);
}

void draw_messages(const client::Transcript& t, int top, int rows, int columns, int scroll) {
  // Wrap from the newest line backwards until the pane (plus the scroll) is full.
  std::vector<Row> wrapped;
  const auto& lines = t.lines(t.current());
  const size_t wanted = static_cast<size_t>(rows + scroll);
  for (auto it = lines.rbegin(); it != lines.rend() && wrapped.size() < wanted; ++it) {
    Row row = format_line(*it);
    // Continuation rows are indented past the time, so the time column stays clear.
    const int indent = columns > 3 * kWrapIndent ? kWrapIndent : 0;
    std::vector<std::string> parts = client::wrap_columns(row.text, columns - indent);
    for (size_t i = parts.size(); i-- > 0;) {
      wrapped.push_back(
          Row{(i == 0 ? "" : std::string(static_cast<size_t>(indent), ' ')) + parts[i], row.attrs});
    }
  }
  const size_t skip = std::min(wrapped.size(), static_cast<size_t>(scroll));
  int y = top + rows - 1;
  for (size_t i = skip; i < wrapped.size() && y >= top; ++i, --y) {
    put(y, 0, wrapped[i].text, columns, wrapped[i].attrs);
  }
}

void draw_side(const client::Transcript& t, int top, int rows, int x) {
  for (int y = top; y < top + rows; ++y) mvaddch(y, x, ACS_VLINE);
  put(top, x + 2, "watching", kSideColumns - 3, A_BOLD);
  int y = top + 1;
  for (const auto& [user, online] : t.watched()) {
    if (y >= top + rows) break;
    const char* mark = !online ? "? " : (*online ? "● " : "○ ");
    const attr_t attrs = online && *online ? pair_attr(kOnlinePair) | A_BOLD : A_DIM;
    put(y++, x + 2, std::string(mark) + client::sanitize(user), kSideColumns - 3, attrs);
  }
}

}  // namespace

void init_view_colors() {
  if (!has_colors()) return;
  start_color();
  use_default_colors();
  init_pair(kOwnPair, COLOR_CYAN, -1);
  init_pair(kPrivatePair, COLOR_MAGENTA, -1);
  init_pair(kInfoPair, COLOR_YELLOW, -1);
  init_pair(kErrorPair, COLOR_RED, -1);
  init_pair(kOnlinePair, COLOR_GREEN, -1);
}

int message_rows() { return std::max(1, LINES - 3); }

void draw_view(const ViewState& state) {
  erase();
  if (COLS < kMinColumns || LINES < kMinRows) {
    put(0, 0, "terminal too small", COLS);
    refresh();
    return;
  }
  const client::Transcript& t = *state.transcript;
  draw_tabs(t);

  const int rows = message_rows();
  const bool side = !t.watched().empty() && COLS >= 3 * kSideColumns;
  const int pane_columns = side ? COLS - kSideColumns : COLS;
  draw_messages(t, 1, rows, pane_columns, state.scroll_rows);
  if (side) draw_side(t, 1, rows, pane_columns);

  std::string status = " " + state.status;
  if (t.rtt_ms()) status += " · rtt " + std::to_string(*t.rtt_ms()) + " ms";
  if (state.scroll_rows > 0) status += " · scrolled (PgDn)";
  if (!t.last_error().empty()) status += " · last error: " + client::sanitize(t.last_error());
  attron(A_REVERSE);
  mvhline(LINES - 2, 0, ' ', COLS);
  attroff(A_REVERSE);
  put(LINES - 2, 0, status, COLS, A_REVERSE);

  const std::string prompt = "> ";
  client::LineEditor::View input = state.editor->view(COLS - static_cast<int>(prompt.size()));
  put(LINES - 1, 0, prompt + input.text, COLS);
  move(LINES - 1, static_cast<int>(prompt.size()) + input.cursor_col);
  refresh();
}

}  // namespace chat::apps
