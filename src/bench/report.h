// The run's results as one JSON object (the last line chatbench prints) and
// the once-a-second progress line. Pure formatting; no I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/options.h"
#include "bench/stats.h"

namespace chat::bench {

// One measuring round (one step of `steps`).
struct RoundResult {
  uint32_t users = 0;
  double seconds = 0;  // configured send time
  double rate = 0;     // configured total send rate (0: window)
  uint64_t expected = 0;
  bool drained = false;       // every expected message arrived before the drain ended
  double server_cpu_s = -1;   // CPU the server process(es) used in the round; -1: unknown
  double machine_cpu_s = -1;  // CPU every process on the machine used in the round
  std::unique_ptr<Stats> stats = make_stats();
};

struct RunResult {
  std::unique_ptr<Stats> setup = make_stats();    // every READY
  std::unique_ptr<Stats> closing = make_stats();  // FINAL
  std::vector<RoundResult> rounds;
  uint64_t client_rss_bytes = 0;
  std::optional<double> server_rss_bytes_per_conn;
  std::optional<double> kernel_bytes_per_conn;
  std::optional<double> client_rss_bytes_per_conn;
  uint64_t conns_at_measure = 0;
  double elapsed_s = 0;
  double load_start = -1;  // 1-minute load average before and after the run
  double load_end = -1;
  int workers_lost = 0;
};

// The JSON object (one line, no newline).
std::string format_json(const Plan& plan, const RunResult& r);
// A few lines for people (ending in a newline).
std::string format_summary(const Plan& plan, const RunResult& r);

// Fraction of work that failed in a round: (sends refused or unconfirmed +
// deliveries lost) / (sends + deliveries expected).
double error_rate(const Stats& s, uint64_t expected);

// "12.3 ms", "850 us": a latency for people.
std::string format_us(uint64_t us);

}  // namespace chat::bench
