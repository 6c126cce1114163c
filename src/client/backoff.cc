#include "client/backoff.h"

#include <algorithm>

namespace chat::client {

uint64_t backoff_ceiling_ms(uint32_t attempt, const BackoffPolicy& policy) {
  const uint32_t doublings = attempt == 0 ? 0 : attempt - 1;
  uint64_t ceiling = policy.base_ms;
  // Stop doubling once the cap is reached: also keeps the shift from overflowing.
  for (uint32_t i = 0; i < doublings && ceiling != 0 && ceiling < policy.cap_ms; ++i) {
    ceiling *= 2;
  }
  return std::min(ceiling, policy.cap_ms);
}

uint64_t backoff_delay_ms(uint32_t attempt, const BackoffPolicy& policy, std::mt19937_64& rng) {
  std::uniform_int_distribution<uint64_t> pick(0, backoff_ceiling_ms(attempt, policy));
  return pick(rng);
}

}  // namespace chat::client
