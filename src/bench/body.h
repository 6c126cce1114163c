// The text a benchmark message carries: "<round> <sender> <seq> <sent_us> "
// padded with '.' to the payload size. The receiver takes the latency from
// sent_us (CLOCK_MONOTONIC microseconds, shared by every process on the
// machine) and checks order per sender from seq. Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chat::bench {

struct BodyFields {
  uint32_t round = 0;   // which measuring round sent it (stale ones are not counted)
  uint32_t sender = 0;  // global user index of the sender
  uint64_t seq = 0;     // the sender's sequence within the round, from 1
  uint64_t sent_us = 0;
};

// Longest header format_body writes (four numbers and four spaces).
inline constexpr size_t kMaxBodyHeader = 10 + 10 + 20 + 20 + 4;

// Writes the header and pads to `size` bytes (never fewer than the header
// needs). Returns the bytes written. REQUIRES: cap >= max(size, kMaxBodyHeader).
size_t format_body(char* buf, size_t cap, const BodyFields& f, size_t size);

// Reads the header back. False when `body` does not start with one.
bool parse_body(std::string_view body, BodyFields* out);

// Microseconds of CLOCK_MONOTONIC: comparable across processes on one machine.
int64_t mono_us();

}  // namespace chat::bench
