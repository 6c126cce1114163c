#include "chat/room_directory.h"

#include <algorithm>

namespace chat {

void HistoryRing::push(net::FrameRef frame) {
  if (capacity_ == 0) return;
  if (frames_.size() < capacity_) {
    frames_.push_back(std::move(frame));
  } else {
    frames_[start_] = std::move(frame);
    start_ = (start_ + 1) % frames_.size();
  }
}

bool Room::add_session(std::string_view user, uint32_t loop) {
  sessions_per_loop_[loop]++;
  sessions_++;
  auto [it, inserted] = users_.try_emplace(std::string(user), 0);
  return ++it->second == 1;
}

bool Room::remove_session(std::string_view user, uint32_t loop) {
  if (sessions_per_loop_[loop] > 0) sessions_per_loop_[loop]--;
  if (sessions_ > 0) sessions_--;
  auto it = users_.find(std::string(user));
  if (it == users_.end()) return false;
  return --it->second == 0;
}

void Room::forget_user(std::string_view user) {
  auto it = users_.find(std::string(user));
  if (it != users_.end() && it->second == 0) users_.erase(it);
}

uint64_t Room::sequence(const net::FrameRef& frame) {
  history_.push(frame);
  return ++last_seq_;
}

std::vector<const net::FrameRef*> Room::history_after(uint64_t after_seq, size_t limit,
                                                      bool* more) const {
  std::vector<const net::FrameRef*> out;
  size_t kept = history_.size();
  uint64_t first_seq = last_seq_ - kept + 1;
  size_t skip = after_seq < first_seq
                    ? 0
                    : static_cast<size_t>(std::min<uint64_t>(after_seq - first_seq + 1, kept));
  size_t available = kept - skip;
  size_t n = std::min(limit, available);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(&history_.at(skip + i));
  *more = available > n;
  return out;
}

Room* RoomDirectory::find(std::string_view name) {
  auto it = rooms_.find(std::string(name));
  return it == rooms_.end() ? nullptr : it->second.get();
}

Room& RoomDirectory::open(std::string_view name) {
  auto [it, created] = rooms_.try_emplace(std::string(name));
  if (created) it->second = std::make_unique<Room>(it->first, loops_, history_);
  Room& room = *it->second;
  if (room.retained_) {
    retained_.erase(room.retained_it_);
    room.retained_ = false;
  }
  return room;
}

void RoomDirectory::release_if_empty(Room& room) {
  if (room.sessions_ > 0 || room.retained_) return;
  if (!room.has_history()) {
    rooms_.erase(room.name_);
    return;
  }
  room.retained_ = true;
  room.retained_it_ = retained_.insert(retained_.end(), &room);
  while (retained_.size() > max_retained_) {
    Room* oldest = retained_.front();
    retained_.pop_front();
    rooms_.erase(oldest->name_);
  }
}

}  // namespace chat
