// Small helpers shared by the shard_*.cc files, and nothing else.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <optional>

#include "net/frame_ref.h"
#include "proto/frame.h"
#include "proto/messages.h"

namespace chat::shard_internal {

inline constexpr uint32_t kTimerTickMs = 100;  // timing wheel resolution

// epoll tokens that are not sessions. A session's token is its address
// (loop << 56 | ...), so these sit at the top of the range, one each: keep
// every non-session token here, where a clash shows.
inline constexpr uint64_t kListenerToken = ~uint64_t{0} - 1;
inline constexpr uint64_t kWebListenerToken = ~uint64_t{0} - 2;
inline constexpr uint64_t kRedisCmdToken = ~uint64_t{0} - 3;
inline constexpr uint64_t kRedisSubToken = ~uint64_t{0} - 4;
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

// The payload of `bytes` when they are exactly one whole frame of `type`
// (a frame another node published through Redis); nullopt otherwise.
inline std::optional<proto::Payload> sole_frame_payload(std::string_view bytes, proto::MsgType type,
                                                        uint32_t max_frame) {
  auto in = std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  proto::FrameView f = proto::decode_frame(in, max_frame);
  if (f.status != proto::FrameStatus::kFrame || f.frame_bytes != in.size() ||
      f.type != static_cast<uint8_t>(type)) {
    return std::nullopt;
  }
  return f.payload;
}

inline net::FrameRef error_frame(uint32_t req, proto::ErrorCode code, std::string_view text) {
  std::string out;
  proto::encode(out, proto::ErrorMsg{req, code, text});
  return net::FrameRef::copy_of(out);
}

}  // namespace chat::shard_internal
