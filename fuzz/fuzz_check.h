// Shared by the fuzz targets: a check that survives NDEBUG, and the payload
// of a frame the codec just encoded.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "proto/frame.h"

// Aborts with a message so libFuzzer records the input as a crash.
#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

namespace chat::fuzz {

inline std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// REQUIRES: `wire` holds exactly one frame of `type`, as an encoder wrote it.
inline std::span<const uint8_t> encoded_payload(const std::string& wire, proto::MsgType type) {
  proto::FrameView f = proto::decode_frame(bytes_of(wire), UINT32_MAX);
  FUZZ_CHECK(f.status == proto::FrameStatus::kFrame);
  FUZZ_CHECK(f.type == static_cast<uint8_t>(type));
  FUZZ_CHECK(f.frame_bytes == wire.size());
  return f.payload;
}

inline bool same_bytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace chat::fuzz
