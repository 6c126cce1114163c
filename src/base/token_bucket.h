// A token bucket for per-session rate limits (PROTOCOL.md §6: SAY and WHISPER
// at `rate` per second, at most `burst` held, full when the session starts).
//
// It lives in every session record, so it is 16 bytes and holds only its own
// state: the rate and burst are server-wide settings passed to each call
// rather than stored per session. Tokens are kept in fixed point (1/1000 of a
// token), so a rate of r tokens/s adds exactly r units per millisecond: no
// floating point, no drift.
//
// rate_per_s == 0 means no refill: the bucket spends the tokens it holds (at
// most burst) and then refuses everything. It never means "unlimited".
// burst == 0 refuses everything.
//
// Thread: not thread-safe; owned by the session's loop. Time: any monotonic
// millisecond count (Clock::mono_ms()); a time behind the last one is taken as
// "no time has passed".
#pragma once

#include <algorithm>
#include <cstdint>

namespace chat {

class TokenBucket {
 public:
  // Starts full: `burst` tokens at now_ms.
  TokenBucket(uint32_t burst, uint64_t now_ms)
      : last_ms_(now_ms), milli_tokens_(uint64_t{burst} * kMilliPerToken) {}

  // Refills for the time since the last call (capped at burst), then takes one
  // token if there is one. Returns false, taking nothing, when empty. Pass the
  // same rate and burst on every call.
  bool try_take(uint64_t now_ms, uint32_t rate_per_s, uint32_t burst) {
    refill(now_ms, rate_per_s, burst);
    if (milli_tokens_ < kMilliPerToken) return false;
    milli_tokens_ -= kMilliPerToken;
    return true;
  }

  // Whole tokens available at now_ms (refills first, like try_take).
  uint32_t available(uint64_t now_ms, uint32_t rate_per_s, uint32_t burst) {
    refill(now_ms, rate_per_s, burst);
    return static_cast<uint32_t>(milli_tokens_ / kMilliPerToken);
  }

 private:
  static constexpr uint64_t kMilliPerToken = 1000;

  void refill(uint64_t now_ms, uint32_t rate_per_s, uint32_t burst) {
    const uint64_t cap = uint64_t{burst} * kMilliPerToken;
    if (now_ms > last_ms_) {
      const uint64_t elapsed_ms = now_ms - last_ms_;
      last_ms_ = now_ms;
      // rate_per_s tokens/s == rate_per_s milli-tokens/ms. Checked so that a
      // long silence cannot overflow elapsed_ms * rate_per_s.
      if (rate_per_s != 0) {
        if (elapsed_ms >= cap / rate_per_s + 1) {
          milli_tokens_ = cap;
        } else {
          milli_tokens_ += elapsed_ms * rate_per_s;
        }
      }
    }
    milli_tokens_ = std::min(milli_tokens_, cap);
  }

  uint64_t last_ms_;       // time of the last refill
  uint64_t milli_tokens_;  // tokens held, in 1/1000 token
};

static_assert(sizeof(TokenBucket) == 16, "TokenBucket lives in every session record");

}  // namespace chat
