// A WebSocket frame as a client sends it (RFC 6455 §5.2): FIN, RSV bits,
// opcode, 7/16/64-bit length, and the payload masked with `key` unless told
// otherwise. Test code only: used by the framing unit tests (tests/web) and
// the WebSocket test client (tests/integration/ws_client.cc).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace chat::web::testing {

inline std::string client_frame(uint8_t opcode, std::string_view payload, bool fin = true,
                                bool masked = true, uint8_t rsv = 0,
                                std::array<char, 4> key = {0x12, 0x34, 0x56, 0x78}) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | opcode);
  const uint8_t mask_bit = masked ? 0x80 : 0;
  const uint64_t n = payload.size();
  if (n <= 125) {
    f += static_cast<char>(mask_bit | n);
  } else if (n <= 0xFFFF) {
    f += static_cast<char>(mask_bit | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n);
  } else {
    f += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>(n >> (8 * i));
  }
  if (masked) f.append(key.data(), key.size());
  for (size_t i = 0; i < n; ++i) {
    f += masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
  }
  return f;
}

}  // namespace chat::web::testing
