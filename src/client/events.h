// What a Session reports to its front end (the terminal UI, the script
// printer, a load generator). Plain values that own their strings: they stay
// valid after the frame they came from is gone.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace chat::client {

// The server accepted the login (every connection that goes live, first or not).
struct WelcomeEvent {
  std::string user;
  uint64_t session = 0;
  uint64_t epoch = 0;
  uint16_t heartbeat_s = 0;
  uint16_t timeout_s = 0;
  std::string server;  // "host:port" of the server that answered
};
// The connection was lost; a reconnect follows (ReconnectingEvent) or not (GaveUpEvent).
struct DisconnectedEvent {
  std::string reason;
};
// The next reconnect attempt starts after delay_ms. max_attempts 0 = forever.
struct ReconnectingEvent {
  uint32_t attempt = 0;
  uint32_t max_attempts = 0;
  uint64_t delay_ms = 0;
  std::string server;  // the server the attempt will try
  std::string reason;  // why the last connection or attempt failed
};
// Live again after a loss, on reconnect attempt `attempt` (follows WelcomeEvent).
struct ReconnectedEvent {
  uint32_t attempt = 0;
};
// The session stopped for good: it could not connect, reconnect attempts ran
// out, or the server refused the login (AUTH_FAILED, INVALID_NAME).
struct GaveUpEvent {
  std::string reason;
};
// The session ended as asked (quit): BYE answered or the connection closed.
struct ClosedEvent {};

// SAY (room set) or WHISPER (to set) accepted: id is the seq or the private id.
struct AckEvent {
  uint32_t req = 0;
  uint64_t id = 0;
  uint64_t time = 0;
  std::string room;
  std::string to;
};
// JOIN acknowledged for the first time (not on re-joins after a reconnect).
struct JoinedEvent {
  std::string room;
  uint64_t last_seq = 0;
};
struct LeftEvent {
  std::string room;
};
// A room message not shown before; `recovered` when it came from HISTORY
// while recovering from a reconnect rather than live.
struct MessageEvent {
  std::string room;
  uint64_t seq = 0;
  uint64_t time = 0;
  std::string from;
  std::string body;
  bool recovered = false;
};
struct PrivateEvent {
  uint64_t id = 0;
  uint64_t time = 0;
  std::string from;
  std::string to;
  std::string body;
};
struct RoomChangeEvent {  // ROOM_EVENT
  std::string room;
  bool joined = true;  // false: left
  std::string user;
  uint64_t time = 0;
};
struct PresenceEvent {
  std::string user;
  bool online = false;
  uint64_t time = 0;
};
struct MembersEvent {
  uint32_t req = 0;
  std::string room;
  uint32_t total = 0;
  std::vector<std::string> users;
};
struct RoomsEvent {
  uint32_t req = 0;
  uint32_t total = 0;
  std::vector<std::pair<std::string, uint32_t>> rooms;  // name, members
};
struct WatchingEvent {  // WATCH answered OK (PRESENCE events follow)
  std::vector<std::string> users;
};
struct UnwatchedEvent {
  std::vector<std::string> users;
};
// One entry of a /history answer (messages the user asked to see again).
struct HistoryEvent {
  std::string room;
  uint64_t seq = 0;
  uint64_t time = 0;
  std::string from;
  std::string body;
};
// The /history answer is complete: `count` entries shown.
struct HistoryEndEvent {
  std::string room;
  uint64_t count = 0;
};
// The room's history is not the one this client saw (server restarted or new
// epoch): seqs start over, old ones are not recovered.
struct HistoryResetEvent {
  std::string room;
};
// Messages first_seq..last_seq were missed and are no longer in the server's
// history: they cannot be shown.
struct HistoryGapEvent {
  std::string room;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
};
// An ERROR from the server (req 0 when it belongs to no request), or a
// command refused by the client itself (req 0, codes such as USAGE).
struct ErrorEvent {
  uint32_t req = 0;
  std::string code;     // "NOT_IN_ROOM", ...
  std::string text;     // for people
  std::string request;  // "SAY", "JOIN", ... ("" when unknown or local)
};
// A PING of ours was answered: round-trip time.
struct RttEvent {
  uint64_t rtt_ms = 0;
};

using ClientEvent =
    std::variant<WelcomeEvent, DisconnectedEvent, ReconnectingEvent, ReconnectedEvent, GaveUpEvent,
                 ClosedEvent, AckEvent, JoinedEvent, LeftEvent, MessageEvent, PrivateEvent,
                 RoomChangeEvent, PresenceEvent, MembersEvent, RoomsEvent, WatchingEvent,
                 UnwatchedEvent, HistoryEvent, HistoryEndEvent, HistoryResetEvent, HistoryGapEvent,
                 ErrorEvent, RttEvent>;

}  // namespace chat::client
