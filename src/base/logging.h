// Process-wide logging setup (spdlog, to stderr) and a rate limiter for log
// lines that input can trigger, so a flood of bad frames cannot fill a disk.
//
// After init_logging(), code logs through spdlog's default logger
// (spdlog::info(...), spdlog::warn(...)); the default logger is thread-safe.
#pragma once

#include <spdlog/common.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace chat {

// "trace", "debug", "info", "warn" (or "warning"), "error", "critical", "off".
Result<spdlog::level::level_enum> parse_log_level(std::string_view level);
// True for "text" and "json".
bool valid_log_format(std::string_view format);

// Replaces spdlog's default logger with one named "chatd" that writes to
// stderr (or to `sink`, for tests) at `level` and above. format "text" is one
// human-readable line per record; "json" is one JSON object per line:
//   {"time":"2024-05-01T12:00:00.123Z","level":"info","msg":"..."}
// Returns an error naming the bad argument, changing nothing.
// Thread: call once at startup, before other threads log.
Status init_logging(std::string_view level, std::string_view format,
                    spdlog::sink_ptr sink = nullptr);

// The formatter behind format "json". Time is UTC with milliseconds; the
// message is escaped, and bytes that are not valid UTF-8 become U+FFFD, so
// every line is valid JSON whatever a peer sent.
std::unique_ptr<spdlog::formatter> make_json_log_formatter();

// Allows at most max_lines_per_s lines per key in each one-second window;
// the rest are counted, and the first time the key is seen (log() or flush())
// after a window that suppressed lines, one line
//   "<key>: suppressed K lines in the last window"
// is written at warn level. Keys name a kind of event ("bad_frame",
// "accept_failed"), never peer-supplied text: at most kMaxKeys distinct keys
// are tracked, and further keys share one "(other keys)" budget.
//
// Thread: not thread-safe; keep one per event loop. Time: monotonic ms.
// `logger` is borrowed and must outlive this; null means spdlog's default
// logger at the time of each call.
class RateLimitedLog {
 public:
  static constexpr size_t kMaxKeys = 64;

  explicit RateLimitedLog(uint32_t max_lines_per_s, spdlog::logger* logger = nullptr)
      : max_lines_per_s_(max_lines_per_s), logger_(logger) {}

  // True if a line for `key` may be written now (and counts it); false if it
  // is suppressed (and counts that). Writes a pending summary first.
  bool admit(uint64_t now_ms, std::string_view key);

  // Writes msg at `level` if admit() allows. Returns whether it was written.
  bool log(uint64_t now_ms, std::string_view key, spdlog::level::level_enum level,
           std::string_view msg);

  // Formats only when admitted: rl.logf(now, "bad_frame", warn, "peer {}: {}", a, b).
  template <class... Args>
  bool logf(uint64_t now_ms, std::string_view key, spdlog::level::level_enum level,
            spdlog::format_string_t<Args...> fmt, Args&&... args) {
    // A level that is off neither writes nor counts (no summary of lines
    // that would not have been written anyway).
    if (!target()->should_log(level) || !admit(now_ms, key)) return false;
    target()->log(level, fmt, std::forward<Args>(args)...);
    return true;
  }

  // Writes the summary of every key whose window has ended with lines
  // suppressed. Call now and then (say, once a second from a timer) so a
  // flood that stops still gets its summary.
  void flush(uint64_t now_ms);

 private:
  struct KeyState {
    std::string key;
    uint64_t window_start_ms = 0;
    uint32_t lines = 0;       // written in this window
    uint64_t suppressed = 0;  // dropped in this window
  };

  spdlog::logger* target() const;
  KeyState& state_for(std::string_view key);
  // Starts a new window for `s` if its window has ended, writing its summary.
  void roll(KeyState& s, uint64_t now_ms);

  uint32_t max_lines_per_s_;
  spdlog::logger* logger_;
  std::vector<KeyState> keys_;  // at most kMaxKeys + 1 (the overflow key)
};

}  // namespace chat
