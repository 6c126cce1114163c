// The parent process of a run: forks the worker processes, moves them through
// the phases together (setup, rounds, close) so that, say, no publisher
// starts before every subscriber of every worker is in place, adds up what
// they report, measures server memory, and prints the progress line.
// Single-threaded.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "bench/histogram.h"
#include "bench/line_channel.h"
#include "bench/options.h"
#include "bench/report.h"

namespace chat::bench {

class Coordinator {
 public:
  explicit Coordinator(const Plan& plan);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // Runs the whole scenario. Fails only when no worker could be started.
  Result<RunResult> run();

 private:
  struct Link {
    pid_t pid = -1;
    LineChannel channel;
    bool alive = true;
    std::string reply;  // the awaited line, once it came
    bool replied = false;
    bool finished = false;  // sent FINAL
    // latest PROG
    uint64_t conns = 0;
    uint64_t sent = 0;
    uint64_t delivered = 0;
    uint64_t unique = 0;
    uint64_t problems = 0;
    std::unique_ptr<Histogram> latency = std::make_unique<Histogram>();
    uint64_t rss = 0;  // from the latest READY
  };

  Status spawn();
  void broadcast(std::string_view line);
  // Reads every channel until each live worker has sent a `kind` line (kept
  // in Link::reply) or `timeout_s` passed. Workers that did not answer are
  // killed and counted as lost.
  void gather(std::string_view kind, double timeout_s);
  // Reads the channels for `seconds` or until done() is true.
  void pump(double seconds, const std::function<bool()>& done);
  void read_all(int timeout_ms);
  void handle(Link& l, const std::string& line);
  void progress_line(bool force);
  void setup_phase(uint32_t users, RunResult& result);
  void measure_memory(RunResult& result);
  void run_round(size_t r, RunResult& result);
  void lose(Link& l, const char* why);
  void reap();

  const Plan& plan_;
  const Options& opt_;
  std::vector<std::unique_ptr<Link>> links_;
  std::string awaited_;
  int64_t start_us_ = 0;
  int64_t next_progress_us_ = 0;
  uint64_t last_sent_ = 0;
  uint64_t last_delivered_ = 0;
  int64_t last_progress_us_ = 0;
  std::string phase_name_ = "setup";
  int64_t server_rss_before_ = -1;
  int64_t kernel_before_ = -1;
  bool memory_measured_ = false;
};

}  // namespace chat::bench
