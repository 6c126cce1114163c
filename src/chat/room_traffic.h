// RoomTraffic: the rooms with the most traffic lately, in a table of fixed
// size, so the per-room metrics have a bounded number of label values
// however many rooms exist.
//
// It is the "space-saving" heavy-hitters scheme with decay: every event
// adds 1 to its room's weight; a room not in the table takes the slot of the
// lightest room (and starts from that weight, so a newcomer cannot evict a
// busy room with one message); decay() halves every weight, so the ranking
// follows the last few seconds rather than all time. Rooms that were never
// busy may be missing; a room that is busy now always has a slot.
//
// Each slot also counts the room's messages since it took the slot, their
// rate over the last decay interval, and a delivery-latency histogram.
//
// Thread: owned by one Shard and touched only from its loop thread;
// snapshot() returns plain values for the metrics thread to read.
// Allocation: none per event, except when a new room takes a slot and its
// name does not fit the slot's existing string capacity.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/exposition.h"

namespace chat {

struct RoomTrafficEntry {
  std::string room;
  uint64_t messages = 0;             // since the room took its slot
  double messages_per_second = 0;    // over the last decay() interval
  metrics::LatencySnapshot latency;  // deliveries since it took its slot
  uint64_t weight = 0;               // ranking (recent events, decayed)
};

class RoomTraffic {
 public:
  static constexpr uint32_t kSlots = 64;

  // Where the events of `room` are counted from now on: its slot, taking
  // the lightest one if the room has none. Also counts one event (weight).
  struct Handle {
    uint32_t slot = 0;
    uint32_t generation = 0;  // changes when the slot changes hands
  };
  Handle touch(std::string_view room);

  void count_message(Handle h) {
    if (valid(h)) ++slots_[h.slot].messages;
  }
  // A latency seen after touch() in the same loop iteration: dropped if the
  // slot has since gone to another room.
  void observe_latency(Handle h, uint64_t us) {
    if (valid(h)) slots_[h.slot].latency.observe(us);
  }

  // Halves every weight and computes each room's message rate over the
  // `elapsed_ms` since the previous call. Call about once a second.
  void decay(uint64_t elapsed_ms);

  // The rooms in the table, heaviest first.
  std::vector<RoomTrafficEntry> snapshot() const;

  uint32_t size() const { return used_; }

 private:
  struct Slot {
    std::string room;
    uint64_t hash = 0;
    uint64_t weight = 0;
    uint64_t messages = 0;
    uint64_t messages_at_decay = 0;
    double rate = 0;
    metrics::LatencySnapshot latency;
    uint32_t generation = 0;
  };
  bool valid(Handle h) const { return h.slot < used_ && slots_[h.slot].generation == h.generation; }

  std::array<Slot, kSlots> slots_{};
  uint32_t used_ = 0;
};

// Merges the tables of every loop into the `limit` busiest rooms: the
// message counts and rates from the room owners' tables (`owners`, where
// each room appears once), the latency from every loop's fan-out table
// (`fanouts`, summed). Ranked by rate, then by weight, then by name.
std::vector<RoomTrafficEntry> merge_room_traffic(
    const std::vector<std::vector<RoomTrafficEntry>>& owners,
    const std::vector<std::vector<RoomTrafficEntry>>& fanouts, size_t limit);

}  // namespace chat
