// What a valid name, body and UTF-8 string are (messages.h, "validation").

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/messages.h"

namespace chat::proto {

namespace {

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

}  // namespace

// Strict UTF-8 (RFC 3629): shortest form only, no surrogates (U+D800..DFFF),
// nothing above U+10FFFF, no sequence cut short. The ranges for the second
// byte after E0, ED, F0 and F4 are what exclude overlongs, surrogates and
// code points past U+10FFFF (RFC 3629 section 4).
bool valid_utf8(std::string_view s) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const auto lead = static_cast<uint8_t>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    uint8_t lo = 0x80;  // allowed range of the second byte
    uint8_t hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2;
      if (lead == 0xE0) {
        lo = 0xA0;  // below is an overlong 2-byte form
      } else if (lead == 0xED) {
        hi = 0x9F;  // above is a surrogate
      }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3;
      if (lead == 0xF0) {
        lo = 0x90;  // below is an overlong 3-byte form
      } else if (lead == 0xF4) {
        hi = 0x8F;  // above is past U+10FFFF
      }
    } else {
      return false;  // a stray continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (n - i <= extra) {
      return false;  // cut short by the end of the string
    }
    const auto second = static_cast<uint8_t>(s[i + 1]);
    if (second < lo || second > hi) {
      return false;
    }
    for (size_t k = 2; k <= extra; ++k) {
      if (!is_continuation(static_cast<uint8_t>(s[i + k]))) {
        return false;
      }
    }
    i += extra + 1;
  }
  return true;
}

// Every byte of a multi-byte UTF-8 sequence is >= 0x80, so the forbidden
// code points (U+0000..U+0020 and U+007F) can be found byte by byte. Only
// what PROTOCOL.md forbids is refused: non-ASCII spaces such as U+00A0 pass.
bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameBytes) {
    return false;
  }
  for (char c : s) {
    const auto b = static_cast<uint8_t>(c);
    if (b <= 0x20 || b == 0x7F) {
      return false;
    }
  }
  return valid_utf8(s);
}

bool valid_body(std::string_view s, uint32_t max_body) {
  return !s.empty() && s.size() <= max_body && valid_utf8(s);
}

}  // namespace chat::proto
