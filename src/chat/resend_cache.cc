#include "chat/resend_cache.h"

namespace chat {

ResendCache::Entry* ResendCache::find(uint32_t req) {
  auto it = entries_.find(req);
  return it == entries_.end() ? nullptr : &it->second;
}

ResendCache::Entry* ResendCache::start(uint32_t req) {
  // Drop queue slots whose entry was erased or replaced, then the oldest
  // live entries until there is room for one more.
  while (!order_.empty()) {
    auto [old_req, stamp] = order_.front();
    auto it = entries_.find(old_req);
    bool live = it != entries_.end() && it->second.stamp == stamp;
    if (live && entries_.size() < kResendEntriesPerClient) break;
    order_.pop_front();
    if (live) {
      if (it->second.pending) --pending_;
      entries_.erase(it);
    }
  }
  Entry& e = entries_[req];
  e = Entry{};
  ++pending_;
  e.stamp = next_stamp_++;
  order_.emplace_back(req, e.stamp);
  return &e;
}

void ResendCache::complete(uint32_t req, uint64_t id, uint64_t time) {
  Entry* e = find(req);
  if (e == nullptr) return;
  if (e->pending) --pending_;
  e->pending = false;
  e->id = id;
  e->time = time;
}

void ResendCache::erase(uint32_t req) {
  auto it = entries_.find(req);
  if (it == entries_.end()) return;
  if (it->second.pending) --pending_;
  entries_.erase(it);
  // Erased entries leave stale slots in order_; compact before they add up.
  if (order_.size() > 2 * kResendEntriesPerClient) {
    std::erase_if(order_, [this](const std::pair<uint32_t, uint64_t>& slot) {
      auto live = entries_.find(slot.first);
      return live == entries_.end() || live->second.stamp != slot.second;
    });
  }
}

}  // namespace chat
