#include "client/seq_tracker.h"

namespace chat::client {

void SeqTracker::start(uint64_t floor) {
  known_ = true;
  floor_ = floor;
  above_.clear();
}

void SeqTracker::reset() {
  known_ = false;
  floor_ = 0;
  above_.clear();
}

bool SeqTracker::seen(uint64_t seq) const { return seq <= floor_ || above_.count(seq) != 0; }

bool SeqTracker::mark(uint64_t seq) {
  if (seen(seq)) return false;
  above_.insert(seq);
  advance_floor();
  if (above_.size() > kMaxSeenAbove) skip_to(*above_.begin());
  return true;
}

void SeqTracker::skip_to(uint64_t seq) {
  if (seq <= floor_) return;
  floor_ = seq;
  above_.erase(above_.begin(), above_.upper_bound(seq));
  advance_floor();
}

void SeqTracker::advance_floor() {
  while (!above_.empty() && *above_.begin() == floor_ + 1) {
    floor_ = *above_.begin();
    above_.erase(above_.begin());
  }
}

}  // namespace chat::client
