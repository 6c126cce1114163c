// Frame layer: the 8-byte header and splitting a byte stream into frames.
// Touches no socket; tested and fuzzed alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "proto/types.h"

namespace chat::proto {

enum class FrameStatus : uint8_t {
  kNeedMore,  // `in` holds less than one whole frame; nothing consumed
  kFrame,     // one whole frame decoded
  kBadFrame,  // wrong magic or version: the stream cannot be trusted
  kTooLarge,  // announced length > max_frame (checked before any payload)
};

struct FrameView {
  FrameStatus status = FrameStatus::kNeedMore;
  uint8_t type = 0;
  uint32_t length = 0;               // announced payload length (valid once 8 bytes seen)
  std::span<const uint8_t> payload;  // points into `in`; valid while `in` is
  size_t frame_bytes = 0;            // header + payload, when status == kFrame
};

// Decodes the first frame of `in`. Never reads past in.size(). Judges magic,
// version and length as soon as the 8 header bytes are there, so an
// oversized frame is refused before any of its payload is buffered.
FrameView decode_frame(std::span<const uint8_t> in, uint32_t max_frame);

// Appends an 8-byte header for `type` and `payload_length` to `out`.
void append_header(std::string& out, MsgType type, uint32_t payload_length);

}  // namespace chat::proto
