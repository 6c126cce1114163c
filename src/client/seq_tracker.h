// Which message seqs of one room this client has already shown, so recovery
// after a reconnect shows what was missed with no gap and no duplicate.
//
// The tracker keeps a floor (every seq at or below it counts as seen) and the
// seen seqs above the floor (own messages acknowledged out of order, live
// messages that overtook a history page). The floor is the "last seq seen" the
// client asks HISTORY after. Until start() the tracker knows nothing about the
// room (first JOIN not yet acknowledged).
//
// Bounded: at most kMaxSeenAbove seqs are remembered above the floor; past
// that the floor jumps to the lowest of them (the gap below it is given up).
// Thread: not thread-safe; owned by one Session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>

namespace chat::client {

class SeqTracker {
 public:
  static constexpr size_t kMaxSeenAbove = 4096;

  bool known() const { return known_; }
  uint64_t floor() const { return floor_; }
  // The highest seq seen (floor when nothing above it).
  uint64_t highest() const { return above_.empty() ? floor_ : *above_.rbegin(); }

  // Knows the room from `floor` on: seqs <= floor count as seen.
  void start(uint64_t floor);
  // Forgets everything (the room's history was reset): known() becomes false.
  void reset();
  // Marks `seq` seen. Returns true if it was not seen before (show it).
  // REQUIRES: known().
  bool mark(uint64_t seq);
  bool seen(uint64_t seq) const;
  // Gives up on every seq at or below `seq` (a gap history cannot fill):
  // they count as seen from now on.
  void skip_to(uint64_t seq);

 private:
  void advance_floor();

  bool known_ = false;
  uint64_t floor_ = 0;
  std::set<uint64_t> above_;
};

}  // namespace chat::client
