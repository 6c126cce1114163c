// Script mode: reads commands one per line (the interactive commands plus
// /sleep MS and /wait-acks), runs them on a Session, and writes every event
// as one JSON object per line. Ends when the input ends (or /quit) and every
// request is answered, after lingering `linger_ms` to catch late events.
//
// Thread: runs on the caller's thread until the script ends.
#pragma once

#include <cstdint>
#include <cstdio>

#include "base/clock.h"
#include "client/session.h"

namespace chat::client {

struct ScriptOptions {
  int input_fd = 0;    // read until EOF; a pipe, a terminal or a file
  FILE* out = stdout;  // JSON events, one per line, flushed per line
  FILE* err = stderr;  // the one line that explains a failure
  uint64_t linger_ms = 0;
};

// Runs the script. Returns the exit status: 0 when the input ended and every
// request was answered; 1 when the session could not connect or gave up
// reconnecting (one line on `err` says why).
int run_script(const SessionConfig& config, Clock& clock, const ScriptOptions& options);

}  // namespace chat::client
