// The rooms one loop owns: their order (seq), history and membership
// counts, and the bounded set of empty rooms kept for their history.
//
// Owned by one Shard; every method REQUIRES that shard's loop thread.
// Pure bookkeeping: no I/O, no mail, so it is unit-tested alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/frame_ref.h"

namespace chat {

// The last `capacity` MESSAGE frames of a room, oldest first. Seqs in it are
// consecutive, ending at the room's last seq.
class HistoryRing {
 public:
  explicit HistoryRing(uint32_t capacity) : capacity_(capacity) {}
  void push(net::FrameRef frame);
  size_t size() const { return frames_.size(); }
  bool empty() const { return frames_.empty(); }
  // The i-th oldest frame. REQUIRES: i < size().
  const net::FrameRef& at(size_t i) const { return frames_[(start_ + i) % frames_.size()]; }

 private:
  uint32_t capacity_;
  std::vector<net::FrameRef> frames_;
  size_t start_ = 0;  // index of the oldest
};

class Room {
 public:
  Room(std::string name, uint32_t loops, uint32_t history)
      : name_(std::move(name)), history_(history), sessions_per_loop_(loops, 0) {}

  const std::string& name() const { return name_; }
  uint64_t last_seq() const { return last_seq_; }
  uint32_t sessions() const { return sessions_; }
  uint32_t sessions_on(uint32_t loop) const { return sessions_per_loop_[loop]; }
  size_t distinct_users() const { return users_.size(); }
  const std::unordered_map<std::string, uint32_t>& users() const { return users_; }

  // A session of `user` on `loop` enters. Returns true when it is the
  // user's first session in the room.
  bool add_session(std::string_view user, uint32_t loop);
  // A session of `user` on `loop` leaves. Returns true when it was the
  // user's last; the user still counts in distinct_users() until
  // forget_user() (so the caller can decide on a room event first).
  bool remove_session(std::string_view user, uint32_t loop);
  void forget_user(std::string_view user);

  // Numbers a message: returns its seq. The frame joins the history.
  uint64_t sequence(const net::FrameRef& frame);

  // History entries with seq > after_seq, oldest first: at most `limit`.
  // Sets *more when further entries exist beyond those returned.
  std::vector<const net::FrameRef*> history_after(uint64_t after_seq, size_t limit,
                                                  bool* more) const;
  bool has_history() const { return !history_.empty(); }

 private:
  friend class RoomDirectory;
  std::string name_;
  uint64_t last_seq_ = 0;
  HistoryRing history_;
  std::unordered_map<std::string, uint32_t> users_;  // user -> its sessions here
  std::vector<uint32_t> sessions_per_loop_;
  uint32_t sessions_ = 0;
  bool retained_ = false;
  std::list<Room*>::iterator retained_it_;
};

class RoomDirectory {
 public:
  RoomDirectory(uint32_t loops, uint32_t history, size_t max_retained)
      : loops_(loops), history_(history), max_retained_(max_retained) {}

  Room* find(std::string_view name);
  // The room, created if new (and no longer merely retained).
  Room& open(std::string_view name);
  // Call after members left: a room with no members is forgotten, or kept
  // for its history while fewer than max_retained empty rooms are (the one
  // empty the longest goes first). `room` may be destroyed.
  void release_if_empty(Room& room);

  size_t size() const { return rooms_.size(); }
  size_t retained() const { return retained_.size(); }
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [name, room] : rooms_) fn(*room);
  }

 private:
  uint32_t loops_;
  uint32_t history_;
  size_t max_retained_;
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
  std::list<Room*> retained_;  // empty rooms kept for history, oldest first
};

}  // namespace chat
