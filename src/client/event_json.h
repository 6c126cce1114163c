// Script mode's output: each ClientEvent as one JSON object on one line
// (docs/client.md lists every shape). Pure; no I/O.
#pragma once

#include <string>
#include <string_view>

#include "client/events.h"

namespace chat::client {

// The event as a JSON object without a trailing newline, e.g.
// {"event":"ack","req":5,"id":17,"time":1764000000000,"room":"lobby"}.
// Returns "" for events scripts do not see (RttEvent).
std::string event_to_json(const ClientEvent& event);

// `s` as a JSON string literal, quotes included. Control characters are
// escaped; other bytes (UTF-8) are copied as they are.
std::string json_quote(std::string_view s);

}  // namespace chat::client
