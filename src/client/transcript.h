// What the terminal UI shows, as data: one pane of lines per room (plus a
// status pane for when no room is open), unread counts, own messages with
// their delivery state, watched users with their online state, the last
// error and the round-trip time. Fed with ClientEvents; drawn by the UI.
// Pure; no terminal I/O, so it is unit-tested.
//
// Thread: single-threaded; owned by the UI.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/events.h"

namespace chat::client {

enum class LineKind {
  kMessage,  // someone's room message
  kOwn,      // ours (typed here, or from another session of ours)
  kPrivate,  // PRIVATE, either way
  kHistory,  // an entry of a /history answer
  kInfo,     // joins, lists, connection news
  kError,
};

enum class Delivery { kNone, kPending, kDelivered, kFailed };

struct TranscriptLine {
  LineKind kind = LineKind::kInfo;
  uint64_t time_ms = 0;  // wall clock; 0 = none
  std::string from;      // sender; "ana → bob" for a private message
  std::string text;
  uint32_t req = 0;  // own SAY/WHISPER: the request it went out with
  Delivery delivery = Delivery::kNone;
};

struct RoomTab {
  std::string room;
  size_t unread = 0;
};

class Transcript {
 public:
  static constexpr size_t kMaxLinesPerPane = 2000;
  static inline const std::string kStatusPane = "*";

  // ---- panes ----
  void open_room(const std::string& room);  // no-op when open
  void close_room(const std::string& room);
  // Shows `room` ("" or kStatusPane: the status pane) and clears its unread
  // count. Leaving the status pane for a room moves its lines into that room.
  void set_current(const std::string& room);
  // The pane shown: a room, or kStatusPane.
  const std::string& current() const { return current_; }
  std::vector<RoomTab> tabs() const;
  // The lines of a pane (empty when there is no such pane).
  const std::deque<TranscriptLine>& lines(const std::string& pane) const;

  // ---- lines ----
  void info(const std::string& text, uint64_t now_ms);   // to the current pane
  void error(const std::string& text, uint64_t now_ms);  // to the current pane; sets last_error
  void own_message(const std::string& room, uint32_t req, const std::string& body, uint64_t now_ms);
  void own_private(const std::string& to, uint32_t req, const std::string& body, uint64_t now_ms);

  // Turns an event into lines and state. `now_ms` stamps lines that carry
  // no server time.
  void apply(const ClientEvent& event, uint64_t now_ms);

  // ---- state for the status bar and the side list ----
  // Watched users; nullopt until their state is known.
  const std::map<std::string, std::optional<bool>>& watched() const { return watched_; }
  const std::string& last_error() const { return last_error_; }
  std::optional<uint64_t> rtt_ms() const { return rtt_ms_; }
  const std::string& self() const { return self_; }

 private:
  void add(const std::string& pane, TranscriptLine line);
  // The own line sent with `req`, searched from the newest.
  TranscriptLine* find_own(uint32_t req);

  std::map<std::string, std::deque<TranscriptLine>> panes_;
  std::map<std::string, size_t> unread_;
  std::vector<std::string> order_;  // rooms in the order they opened
  std::string current_ = kStatusPane;
  std::map<std::string, std::optional<bool>> watched_;
  std::string last_error_;
  std::optional<uint64_t> rtt_ms_;
  std::string self_;
};

}  // namespace chat::client
