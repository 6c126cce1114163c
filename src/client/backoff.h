// Reconnect delays: exponential backoff with full jitter. Attempt n (from 1)
// waits a uniformly random time in [0, min(cap, base * 2^(n-1))], so clients
// that lost the same server spread their returns instead of arriving together.
// Pure; the random source is the caller's, so tests can seed it.
#pragma once

#include <cstdint>
#include <random>

namespace chat::client {

struct BackoffPolicy {
  uint64_t base_ms = 500;
  uint64_t cap_ms = 30'000;
};

// min(cap, base * 2^(attempt-1)); attempt 0 counts as 1. Never overflows.
uint64_t backoff_ceiling_ms(uint32_t attempt, const BackoffPolicy& policy);

// A uniform draw from [0, backoff_ceiling_ms(attempt, policy)].
uint64_t backoff_delay_ms(uint32_t attempt, const BackoffPolicy& policy, std::mt19937_64& rng);

}  // namespace chat::client
