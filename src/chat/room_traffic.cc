#include "chat/room_traffic.h"

#include <algorithm>
#include <unordered_map>

#include "base/hash.h"

namespace chat {

RoomTraffic::Handle RoomTraffic::touch(std::string_view room) {
  const uint64_t hash = fnv1a64(room);
  for (uint32_t i = 0; i < used_; ++i) {
    Slot& s = slots_[i];
    if (s.hash == hash && s.room == room) {
      ++s.weight;
      return {i, s.generation};
    }
  }
  uint32_t i = used_;
  uint64_t inherited = 0;
  if (used_ < kSlots) {
    ++used_;
  } else {
    i = 0;
    for (uint32_t j = 1; j < kSlots; ++j) {
      if (slots_[j].weight < slots_[i].weight) i = j;
    }
    inherited = slots_[i].weight;
  }
  Slot& s = slots_[i];
  s.room.assign(room);
  s.hash = hash;
  s.weight = inherited + 1;
  s.messages = 0;
  s.messages_at_decay = 0;
  s.rate = 0;
  s.latency = {};
  ++s.generation;
  return {i, s.generation};
}

void RoomTraffic::decay(uint64_t elapsed_ms) {
  const double seconds = static_cast<double>(std::max<uint64_t>(elapsed_ms, 1)) / 1000.0;
  for (uint32_t i = 0; i < used_; ++i) {
    Slot& s = slots_[i];
    s.rate = static_cast<double>(s.messages - s.messages_at_decay) / seconds;
    s.messages_at_decay = s.messages;
    s.weight /= 2;
  }
}

std::vector<RoomTrafficEntry> RoomTraffic::snapshot() const {
  std::vector<RoomTrafficEntry> out;
  out.reserve(used_);
  for (uint32_t i = 0; i < used_; ++i) {
    const Slot& s = slots_[i];
    out.push_back({s.room, s.messages, s.rate, s.latency, s.weight});
  }
  std::sort(out.begin(), out.end(), [](const RoomTrafficEntry& a, const RoomTrafficEntry& b) {
    return a.weight > b.weight;
  });
  return out;
}

std::vector<RoomTrafficEntry> merge_room_traffic(
    const std::vector<std::vector<RoomTrafficEntry>>& owners,
    const std::vector<std::vector<RoomTrafficEntry>>& fanouts, size_t limit) {
  std::vector<RoomTrafficEntry> rooms;
  for (const auto& table : owners) {
    for (const RoomTrafficEntry& e : table) {
      if (e.messages == 0) continue;  // only touched, never sequenced a message
      rooms.push_back(e);
      rooms.back().latency = {};
    }
  }
  std::sort(rooms.begin(), rooms.end(), [](const RoomTrafficEntry& a, const RoomTrafficEntry& b) {
    if (a.messages_per_second != b.messages_per_second) {
      return a.messages_per_second > b.messages_per_second;
    }
    if (a.weight != b.weight) return a.weight > b.weight;
    return a.room < b.room;
  });
  if (rooms.size() > limit) rooms.resize(limit);

  std::unordered_map<std::string_view, RoomTrafficEntry*> by_name;
  for (RoomTrafficEntry& e : rooms) by_name.emplace(e.room, &e);
  for (const auto& table : fanouts) {
    for (const RoomTrafficEntry& e : table) {
      auto it = by_name.find(e.room);
      if (it != by_name.end()) it->second->latency.add(e.latency);
    }
  }
  return rooms;
}

}  // namespace chat
