// What a worker counted in one phase (setup, a round, closing), in a form
// that adds up across workers and travels between processes as one line of
// text. Everything a run reports is a sum of these.
// Single-threaded; the hot path only increments fields.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/histogram.h"

namespace chat::bench {

// Counts by static cause or code. Insertion allocates (first time a cause is
// seen); incrementing an existing one does not.
class CountMap {
 public:
  void add(std::string_view key, uint64_t n = 1);
  void merge(const CountMap& other);
  uint64_t total() const;
  uint64_t get(std::string_view key) const;
  const std::vector<std::pair<std::string, uint64_t>>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<std::pair<std::string, uint64_t>> entries_;
};

struct Stats {
  // setup
  uint64_t established = 0;  // connections that logged in (and subscribed)
  CountMap failed;           // connections that did not, by cause
  Histogram login_us;        // connect() to ready
  // sending
  uint64_t sent = 0;
  uint64_t acked = 0;        // accepted by the server
  uint64_t refused = 0;      // refused by the server (see errors)
  uint64_t skipped = 0;      // due by the rate but every window was full
  uint64_t unconfirmed = 0;  // neither accepted nor refused when the round ended
  // receiving
  uint64_t delivered = 0;  // messages of this round received
  uint64_t unique = 0;     // delivered minus duplicates
  uint64_t duplicates = 0;
  uint64_t out_of_order = 0;
  uint64_t gaps = 0;         // sequence numbers skipped: messages never received
  uint64_t stale = 0;        // sent in an earlier round, or after its end
  uint64_t unchecked = 0;    // delivered but too many pairs to check order
  uint64_t undecodable = 0;  // body without the benchmark header
  Histogram latency_us;
  int64_t first_send_us = 0;  // CLOCK_MONOTONIC; 0: none
  int64_t last_send_us = 0;
  int64_t last_delivery_us = 0;
  // connections
  CountMap errors;                // error replies and events, by code
  CountMap dropped;               // established connections lost, by cause
  uint64_t closed = 0;            // closed at the end as planned
  uint64_t client_rss_bytes = 0;  // VmRSS of the worker (summed across workers)
  uint64_t client_cpu_us = 0;     // CPU the workers used during the round

  void merge(const Stats& other);
  // "key=value key=value ..." with no newline.
  std::string to_text() const;
  // Adds (merges) the fields of `text` into *this. False on a malformed token.
  bool add_text(std::string_view text);
};

std::unique_ptr<Stats> make_stats();

}  // namespace chat::bench
