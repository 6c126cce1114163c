// The full-screen terminal UI of chat (ncurses, wide-character build): room
// tabs with unread counts, the current room's messages, watched users, a
// status bar (connection state, round-trip time, last error) and an input
// line with editing and history. Lives in apps/ so that only the chat binary,
// not the client library, depends on ncurses.
//
// Thread: runs on the main thread until the user quits or the session gives up.
#pragma once

#include "base/clock.h"
#include "client/session.h"

namespace chat::apps {

// Runs the UI. Returns the exit status: 0 after /quit; 1 when the session
// could not connect or gave up (one line on standard error says why).
// REQUIRES: standard input and output are a terminal; setlocale() was called.
int run_tui(const client::SessionConfig& config, Clock& clock);

}  // namespace chat::apps
