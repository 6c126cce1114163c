#include "base/logging.h"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <chrono>

namespace chat {
namespace {

constexpr std::string_view kOverflowKey = "(other keys)";
constexpr uint64_t kWindowMs = 1000;

void append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

// Length of the valid UTF-8 sequence at s[i], or 0 if there is none.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t n = 0;
  uint32_t cp = 0;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    cp = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    cp = b0 & 0x07u;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  // Overlong forms, surrogates and code points past U+10FFFF.
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

void append_json_string(spdlog::memory_buf_t& dest, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  dest.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        append(dest, "\\\"");
        break;
      case '\\':
        append(dest, "\\\\");
        break;
      case '\n':
        append(dest, "\\n");
        break;
      case '\r':
        append(dest, "\\r");
        break;
      case '\t':
        append(dest, "\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          dest.append(esc, esc + sizeof esc);
        } else if (c < 0x80) {
          dest.push_back(static_cast<char>(c));
        } else {
          const size_t n = utf8_sequence_length(s, i);
          if (n == 0) {
            append(dest, "\\ufffd");
          } else {
            dest.append(s.data() + i, s.data() + i + n);
            i += n;
            continue;
          }
        }
    }
    ++i;
  }
  dest.push_back('"');
}

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    const auto since_epoch = msg.time.time_since_epoch();
    const auto ms = duration_cast<milliseconds>(since_epoch).count();
    const time_t secs = static_cast<time_t>(ms / 1000);
    tm utc{};
    ::gmtime_r(&secs, &utc);
    char stamp[40];
    const size_t len = ::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    append(dest, "{\"time\":\"");
    dest.append(stamp, stamp + len);
    const auto millis = static_cast<int>(ms % 1000);
    const char frac[] = {'.',
                         static_cast<char>('0' + millis / 100),
                         static_cast<char>('0' + millis / 10 % 10),
                         static_cast<char>('0' + millis % 10),
                         'Z',
                         '"'};
    dest.append(frac, frac + sizeof frac);
    append(dest, ",\"level\":");
    const auto level_name = spdlog::level::to_string_view(msg.level);
    append_json_string(dest, std::string_view(level_name.data(), level_name.size()));
    append(dest, ",\"msg\":");
    append_json_string(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    append(dest, "}\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace

Result<spdlog::level::level_enum> parse_log_level(std::string_view level) {
  using spdlog::level::level_enum;
  if (level == "trace") return level_enum::trace;
  if (level == "debug") return level_enum::debug;
  if (level == "info") return level_enum::info;
  if (level == "warn" || level == "warning") return level_enum::warn;
  if (level == "error") return level_enum::err;
  if (level == "critical") return level_enum::critical;
  if (level == "off") return level_enum::off;
  return Status::error(
      "log_level must be one of trace, debug, info, warn, error, critical, off; got '" +
      std::string(level) + "'");
}

bool valid_log_format(std::string_view format) { return format == "text" || format == "json"; }

std::unique_ptr<spdlog::formatter> make_json_log_formatter() {
  return std::make_unique<JsonLogFormatter>();
}

Status init_logging(std::string_view level, std::string_view format, spdlog::sink_ptr sink) {
  auto parsed = parse_log_level(level);
  if (!parsed) return parsed.status();
  if (!valid_log_format(format)) {
    return Status::error("log_format must be 'text' or 'json'; got '" + std::string(format) + "'");
  }
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  if (format == "json") {
    sink->set_formatter(make_json_log_formatter());
  } else {
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%d %H:%M:%S.%e %L %v", spdlog::pattern_time_type::local));
  }
  auto logger = std::make_shared<spdlog::logger>("chatd", std::move(sink));
  logger->set_level(*parsed);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return Status::ok();
}

// ---- RateLimitedLog ----

spdlog::logger* RateLimitedLog::target() const {
  return logger_ != nullptr ? logger_ : spdlog::default_logger_raw();
}

RateLimitedLog::KeyState& RateLimitedLog::state_for(std::string_view key) {
  for (auto& s : keys_) {
    if (s.key == key) return s;
  }
  if (keys_.size() >= kMaxKeys) key = kOverflowKey;
  for (auto& s : keys_) {
    if (s.key == key) return s;
  }
  keys_.push_back(KeyState{std::string(key)});
  return keys_.back();
}

void RateLimitedLog::roll(KeyState& s, uint64_t now_ms) {
  if (now_ms >= s.window_start_ms && now_ms - s.window_start_ms < kWindowMs) return;
  if (s.suppressed > 0) {
    target()->warn("{}: suppressed {} lines in the last window", s.key, s.suppressed);
  }
  s.window_start_ms = now_ms;
  s.lines = 0;
  s.suppressed = 0;
}

bool RateLimitedLog::admit(uint64_t now_ms, std::string_view key) {
  KeyState& s = state_for(key);
  if (s.lines == 0 && s.suppressed == 0) {
    s.window_start_ms = now_ms;  // a fresh key starts its window now
  } else {
    roll(s, now_ms);
  }
  if (s.lines < max_lines_per_s_) {
    ++s.lines;
    return true;
  }
  ++s.suppressed;
  return false;
}

bool RateLimitedLog::log(uint64_t now_ms, std::string_view key, spdlog::level::level_enum level,
                         std::string_view msg) {
  if (!target()->should_log(level) || !admit(now_ms, key)) return false;
  target()->log(level, "{}", msg);
  return true;
}

void RateLimitedLog::flush(uint64_t now_ms) {
  for (auto& s : keys_) {
    if (s.suppressed > 0) roll(s, now_ms);
  }
}

}  // namespace chat
