// Drawing the terminal UI from its state. Knows the screen layout; knows
// nothing of sessions or sockets.
//
//   row 0        room tabs: current one highlighted, unread counts
//   rows 1..h-3  the current room's lines | watched users (when any)
//   row h-2      status bar
//   row h-1      input line
//
// Thread: main thread only (ncurses is not thread-safe).
#pragma once

#include <string>

#include "client/line_editor.h"
#include "client/transcript.h"

namespace chat::apps {

struct ViewState {
  const client::Transcript* transcript = nullptr;
  client::LineEditor* editor = nullptr;
  std::string status;   // connection part of the status bar
  int scroll_rows = 0;  // rows scrolled up from the newest (PgUp)
};

// Sets up colours (when the terminal has them). Call once after initscr().
void init_view_colors();
// Redraws the whole screen and places the cursor in the input line.
void draw_view(const ViewState& state);
// Rows of the message pane for the current screen size (for paging).
int message_rows();

}  // namespace chat::apps
