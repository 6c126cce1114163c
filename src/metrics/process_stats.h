// What the kernel says about this process, for the standard process_*
// metrics: CPU time, resident memory, descriptors, start time. Read from
// /proc/self on each call (a scrape), never cached.
//
// The parsers take the files' text so tests can feed them fixed input.
//
// Thread: any; the functions keep no state.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace chat::metrics {

struct ProcessStats {
  double cpu_seconds = 0;         // user + system
  uint64_t resident_bytes = 0;    // RSS
  uint64_t virtual_bytes = 0;     // VSZ
  uint64_t open_fds = 0;          // entries of /proc/self/fd
  uint64_t max_fds = 0;           // RLIMIT_NOFILE, soft
  double start_time_seconds = 0;  // since the Unix epoch
  uint64_t threads = 0;
};

// Reads /proc/self/stat, /proc/self/fd, /proc/stat (boot time) and the
// open-files limit. An error when /proc/self/stat cannot be read; any other
// figure that cannot be read stays 0.
Result<ProcessStats> read_process_stats();

// Parsed fields of /proc/<pid>/stat, in the units of the file.
struct ProcStat {
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t num_threads = 0;
  uint64_t start_ticks = 0;  // since boot
  uint64_t vsize_bytes = 0;
  uint64_t rss_pages = 0;
};
// The command name in parentheses may hold spaces and ')' : fields are
// counted from the last ')'.
Result<ProcStat> parse_proc_stat(std::string_view text);
// The "btime" line of /proc/stat: boot time in seconds since the epoch.
Result<uint64_t> parse_boot_time(std::string_view proc_stat_text);

}  // namespace chat::metrics
