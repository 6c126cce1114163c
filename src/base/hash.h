// Stable string hashing (FNV-1a, 64-bit): the same name maps to the same
// owner loop in every build and every run.
#pragma once

#include <cstdint>
#include <string_view>

namespace chat {

inline uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace chat
