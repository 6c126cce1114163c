// Small helpers shared by the shard_*.cc files, and nothing else.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/frame_ref.h"
#include "proto/messages.h"

namespace chat::shard_internal {

inline constexpr uint32_t kTimerTickMs = 100;  // timing wheel resolution
// Fan-out copies are written for at most this long per loop iteration.
inline constexpr uint64_t kBulkFlushUs = 2000;
inline constexpr uint32_t kBulkFlushCheckEvery = 16;  // sessions between clock reads

// Microseconds on the steady clock: for latency metrics only (behaviour
// reads the injected Clock).
inline uint64_t steady_us() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Writes v big-endian: how a frame's seq, id and time are filled in place.
inline void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

inline net::FrameRef error_frame(uint32_t req, proto::ErrorCode code, std::string_view text) {
  std::string out;
  proto::encode(out, proto::ErrorMsg{req, code, text});
  return net::FrameRef::copy_of(out);
}

}  // namespace chat::shard_internal
