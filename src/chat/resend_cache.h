// ResendCache: the replies to the last SAY/WHISPER requests of one
// (user, client_id), so that a client which resends a request it got no
// ACK for receives the original ACK instead of a second delivery
// (PROTOCOL.md §4, "Resend safety").
//
// An entry is `pending` from the moment the request is forwarded to the
// loop that sequences it until that loop's answer comes back; a repeat that
// arrives meanwhile waits for the same answer. Errors are not remembered:
// the caller erases the entry. Owned by the user's loop; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>

namespace chat {

inline constexpr size_t kResendEntriesPerClient = 1024;

class ResendCache {
 public:
  struct Entry {
    bool pending = true;
    uint64_t id = 0;          // ACK id (room seq or private message id)
    uint64_t time = 0;        // ACK time
    uint64_t stamp = 0;       // insertion order, to match the eviction queue
    uint32_t owner_loop = 0;  // the loop that answers it (pending entries)
  };

  // The entry for `req`, or nullptr.
  Entry* find(uint32_t req);
  // Starts a pending entry for `req`, evicting the oldest beyond
  // kResendEntriesPerClient. REQUIRES: find(req) == nullptr.
  Entry* start(uint32_t req);
  void complete(uint32_t req, uint64_t id, uint64_t time);
  void erase(uint32_t req);
  size_t size() const { return entries_.size(); }
  // Requests still waiting for their answer.
  bool has_pending() const { return pending_ > 0; }
  uint64_t last_used_ms() const { return last_used_ms_; }
  void touch(uint64_t now_ms) { last_used_ms_ = now_ms; }

 private:
  std::unordered_map<uint32_t, Entry> entries_;
  std::deque<std::pair<uint32_t, uint64_t>> order_;  // (req, stamp), oldest first
  uint64_t next_stamp_ = 1;
  uint64_t last_used_ms_ = 0;
  size_t pending_ = 0;
};

}  // namespace chat
