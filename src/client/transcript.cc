#include "client/transcript.h"

#include <algorithm>

namespace chat::client {
namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string seconds_text(uint64_t ms) {
  return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " s";
}

}  // namespace

void Transcript::open_room(const std::string& room) {
  if (std::find(order_.begin(), order_.end(), room) != order_.end()) return;
  order_.push_back(room);
  panes_[room];
}

void Transcript::close_room(const std::string& room) {
  order_.erase(std::remove(order_.begin(), order_.end(), room), order_.end());
  panes_.erase(room);
  unread_.erase(room);
  if (current_ == room) current_ = kStatusPane;
}

void Transcript::set_current(const std::string& room) {
  const std::string next = room.empty() ? kStatusPane : room;
  if (current_ == kStatusPane && next != kStatusPane) {
    // What was said before any room was open (connected, presence, ...) moves
    // into the first room shown, where it can still be read.
    auto status = panes_.find(kStatusPane);
    if (status != panes_.end() && !status->second.empty()) {
      auto& lines = panes_[next];
      lines.insert(lines.begin(), status->second.begin(), status->second.end());
      while (lines.size() > kMaxLinesPerPane) lines.pop_front();
      panes_.erase(kStatusPane);
    }
  }
  current_ = next;
  unread_.erase(current_);
}

std::vector<RoomTab> Transcript::tabs() const {
  std::vector<RoomTab> out;
  for (const auto& room : order_) {
    auto it = unread_.find(room);
    out.push_back(RoomTab{room, it == unread_.end() ? 0 : it->second});
  }
  return out;
}

const std::deque<TranscriptLine>& Transcript::lines(const std::string& pane) const {
  static const std::deque<TranscriptLine> kNone;
  auto it = panes_.find(pane);
  return it == panes_.end() ? kNone : it->second;
}

void Transcript::add(const std::string& pane, TranscriptLine line) {
  const bool counts = line.kind == LineKind::kMessage || line.kind == LineKind::kPrivate;
  auto& lines = panes_[pane];
  lines.push_back(std::move(line));
  while (lines.size() > kMaxLinesPerPane) lines.pop_front();
  if (pane != current_ && counts) ++unread_[pane];
}

void Transcript::info(const std::string& text, uint64_t now_ms) {
  add(current_, TranscriptLine{LineKind::kInfo, now_ms, "", text, 0, Delivery::kNone});
}

void Transcript::error(const std::string& text, uint64_t now_ms) {
  last_error_ = text;
  add(current_, TranscriptLine{LineKind::kError, now_ms, "", text, 0, Delivery::kNone});
}

void Transcript::own_message(const std::string& room, uint32_t req, const std::string& body,
                             uint64_t now_ms) {
  add(room, TranscriptLine{LineKind::kOwn, now_ms, self_, body, req, Delivery::kPending});
}

void Transcript::own_private(const std::string& to, uint32_t req, const std::string& body,
                             uint64_t now_ms) {
  add(current_, TranscriptLine{LineKind::kPrivate, now_ms, self_ + " → " + to, body, req,
                               Delivery::kPending});
}

TranscriptLine* Transcript::find_own(uint32_t req) {
  if (req == 0) return nullptr;
  for (auto& [pane, lines] : panes_) {
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      if (it->req == req && it->delivery == Delivery::kPending) return &*it;
    }
  }
  return nullptr;
}

void Transcript::apply(const ClientEvent& event, uint64_t now_ms) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, WelcomeEvent>) {
          self_ = e.user;
          info("connected to " + e.server + " as " + e.user, now_ms);
        } else if constexpr (std::is_same_v<T, DisconnectedEvent>) {
          error("connection lost: " + e.reason, now_ms);
        } else if constexpr (std::is_same_v<T, ReconnectingEvent>) {
          std::string of = e.max_attempts == 0 ? "" : "/" + std::to_string(e.max_attempts);
          // The first attempt follows "connection lost"; later ones say why the last failed.
          std::string why = e.attempt > 1 && !e.reason.empty() ? ": " + e.reason : "";
          info("reconnecting to " + e.server + " in " + seconds_text(e.delay_ms) + " (attempt " +
                   std::to_string(e.attempt) + of + ")" + why,
               now_ms);
        } else if constexpr (std::is_same_v<T, ReconnectedEvent>) {
          info("reconnected", now_ms);
        } else if constexpr (std::is_same_v<T, GaveUpEvent>) {
          error(e.reason, now_ms);
        } else if constexpr (std::is_same_v<T, AckEvent>) {
          if (TranscriptLine* line = find_own(e.req)) {
            line->delivery = Delivery::kDelivered;
            line->time_ms = e.time;
          }
        } else if constexpr (std::is_same_v<T, JoinedEvent>) {
          open_room(e.room);
          add(e.room, TranscriptLine{LineKind::kInfo, now_ms, "", "you joined " + e.room, 0,
                                     Delivery::kNone});
        } else if constexpr (std::is_same_v<T, LeftEvent>) {
          close_room(e.room);
          info("you left " + e.room, now_ms);
        } else if constexpr (std::is_same_v<T, MessageEvent>) {
          open_room(e.room);
          const LineKind kind = e.from == self_ ? LineKind::kOwn : LineKind::kMessage;
          add(e.room, TranscriptLine{kind, e.time, e.from, e.body, 0, Delivery::kNone});
        } else if constexpr (std::is_same_v<T, PrivateEvent>) {
          add(current_, TranscriptLine{LineKind::kPrivate, e.time, e.from + " → " + e.to, e.body, 0,
                                       Delivery::kNone});
        } else if constexpr (std::is_same_v<T, RoomChangeEvent>) {
          open_room(e.room);
          add(e.room, TranscriptLine{LineKind::kInfo, e.time, "",
                                     e.user + (e.joined ? " joined " : " left ") + e.room, 0,
                                     Delivery::kNone});
        } else if constexpr (std::is_same_v<T, PresenceEvent>) {
          watched_[e.user] = e.online;
          info(e.user + (e.online ? " is online" : " went offline"), now_ms);
        } else if constexpr (std::is_same_v<T, MembersEvent>) {
          std::string more = e.total > e.users.size()
                                 ? " and " + std::to_string(e.total - e.users.size()) + " more"
                                 : "";
          info("in " + e.room + " (" + std::to_string(e.total) + "): " + join_names(e.users) + more,
               now_ms);
        } else if constexpr (std::is_same_v<T, RoomsEvent>) {
          std::vector<std::string> names;
          for (const auto& [room, members] : e.rooms) {
            names.push_back(room + " (" + std::to_string(members) + ")");
          }
          info("rooms (" + std::to_string(e.total) + "): " + join_names(names), now_ms);
        } else if constexpr (std::is_same_v<T, WatchingEvent>) {
          for (const auto& u : e.users) watched_.try_emplace(u);
        } else if constexpr (std::is_same_v<T, UnwatchedEvent>) {
          for (const auto& u : e.users) watched_.erase(u);
        } else if constexpr (std::is_same_v<T, HistoryEvent>) {
          add(e.room,
              TranscriptLine{LineKind::kHistory, e.time, e.from, e.body, 0, Delivery::kNone});
        } else if constexpr (std::is_same_v<T, HistoryEndEvent>) {
          add(e.room, TranscriptLine{LineKind::kInfo, now_ms, "",
                                     "end of history (" + std::to_string(e.count) + " messages)", 0,
                                     Delivery::kNone});
        } else if constexpr (std::is_same_v<T, HistoryResetEvent>) {
          add(e.room, TranscriptLine{LineKind::kInfo, now_ms, "",
                                     "history of " + e.room +
                                         " was reset (server restarted): earlier messages are gone",
                                     0, Delivery::kNone});
        } else if constexpr (std::is_same_v<T, HistoryGapEvent>) {
          add(e.room, TranscriptLine{LineKind::kError, now_ms, "",
                                     "missed messages " + std::to_string(e.first_seq) + " to " +
                                         std::to_string(e.last_seq) + " are no longer available",
                                     0, Delivery::kNone});
        } else if constexpr (std::is_same_v<T, ErrorEvent>) {
          if (TranscriptLine* line = find_own(e.req)) line->delivery = Delivery::kFailed;
          error(e.code + ": " + e.text, now_ms);
        } else if constexpr (std::is_same_v<T, RttEvent>) {
          rtt_ms_ = e.rtt_ms;
        }
      },
      event);
}

}  // namespace chat::client
