#include "metrics/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace chat::metrics {
namespace {

bool read_file(const char* path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

bool to_u64(std::string_view s, uint64_t* v) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

uint64_t count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  uint64_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // less the descriptor opendir() itself holds
}

}  // namespace

Result<ProcStat> parse_proc_stat(std::string_view text) {
  const size_t paren = text.rfind(')');
  if (paren == std::string_view::npos) return Status::error("/proc/self/stat: no ')'");
  // Fields after the command; field 3 (state) is index 0 here.
  std::vector<std::string_view> fields;
  size_t i = paren + 1;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  // proc(5) numbers fields from 1: utime 14, stime 15, num_threads 20,
  // starttime 22, vsize 23, rss 24; index = field - 3.
  if (fields.size() < 22) return Status::error("/proc/self/stat: too few fields");
  ProcStat st;
  if (!to_u64(fields[11], &st.utime_ticks) || !to_u64(fields[12], &st.stime_ticks) ||
      !to_u64(fields[17], &st.num_threads) || !to_u64(fields[19], &st.start_ticks) ||
      !to_u64(fields[20], &st.vsize_bytes) || !to_u64(fields[21], &st.rss_pages)) {
    return Status::error("/proc/self/stat: a field is not a number");
  }
  return st;
}

Result<uint64_t> parse_boot_time(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    if (line.substr(0, 6) == "btime ") {
      uint64_t v = 0;
      if (to_u64(line.substr(6), &v)) return v;
      return Status::error("/proc/stat: btime is not a number");
    }
    pos = eol + 1;
  }
  return Status::error("/proc/stat: no btime line");
}

Result<ProcessStats> read_process_stats() {
  ProcessStats out;
  std::string text;
  if (!read_file("/proc/self/stat", &text)) return Status::error("cannot read /proc/self/stat");
  auto st = parse_proc_stat(text);
  if (!st) return st.status();
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  const double hz = ticks > 0 ? static_cast<double>(ticks) : 100.0;
  out.cpu_seconds = static_cast<double>(st->utime_ticks + st->stime_ticks) / hz;
  out.resident_bytes = st->rss_pages * static_cast<uint64_t>(page > 0 ? page : 4096);
  out.virtual_bytes = st->vsize_bytes;
  out.threads = st->num_threads;
  out.open_fds = count_open_fds();
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    out.max_fds = files.rlim_cur == RLIM_INFINITY ? uint64_t{1} << 20 : files.rlim_cur;
  }
  if (read_file("/proc/stat", &text)) {
    if (auto boot = parse_boot_time(text)) {
      out.start_time_seconds =
          static_cast<double>(*boot) + static_cast<double>(st->start_ticks) / hz;
    }
  }
  return out;
}

}  // namespace chat::metrics
