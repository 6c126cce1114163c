#include "proto/frame.h"

#include "proto/coding.h"

namespace chat::proto {

FrameView decode_frame(std::span<const uint8_t> in, uint32_t max_frame) {
  FrameView f;
  coding::Reader header(in);
  uint16_t magic = 0;
  uint8_t version = 0;
  if (!header.u16(magic) || !header.u8(version) || !header.u8(f.type) || !header.u32(f.length)) {
    return FrameView{};  // kNeedMore: the header is not all there yet
  }
  if (magic != kMagic || version != kVersion) {
    f.status = FrameStatus::kBadFrame;
    return f;
  }
  // Judged on the header alone, before the caller buffers any payload.
  if (f.length > max_frame) {
    f.status = FrameStatus::kTooLarge;
    return f;
  }
  // Written as a subtraction so that no sum can wrap.
  if (in.size() - kHeaderBytes < f.length) {
    return f;  // kNeedMore, with type and length known
  }
  f.status = FrameStatus::kFrame;
  f.payload = in.subspan(kHeaderBytes, f.length);
  f.frame_bytes = kHeaderBytes + f.length;
  return f;
}

void append_header(std::string& out, MsgType type, uint32_t payload_length) {
  coding::put_u16(out, kMagic);
  coding::put_u8(out, kVersion);
  coding::put_u8(out, static_cast<uint8_t>(type));
  coding::put_u32(out, payload_length);
}

}  // namespace chat::proto
