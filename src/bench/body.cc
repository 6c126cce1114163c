#include "bench/body.h"

#include <time.h>

#include <charconv>
#include <cstring>

namespace chat::bench {

size_t format_body(char* buf, size_t cap, const BodyFields& f, size_t size) {
  char* p = buf;
  char* end = buf + cap;
  auto put = [&](uint64_t v) {
    p = std::to_chars(p, end, v).ptr;
    *p++ = ' ';
  };
  put(f.round);
  put(f.sender);
  put(f.seq);
  put(f.sent_us);
  auto n = static_cast<size_t>(p - buf);
  if (n < size && size <= cap) {
    std::memset(p, '.', size - n);
    n = size;
  }
  return n;
}

namespace {

bool take_u64(std::string_view s, size_t& pos, uint64_t* v) {
  const char* first = s.data() + pos;
  const char* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(first, last, *v);
  if (ec != std::errc() || ptr == first || ptr == last || *ptr != ' ') {
    return false;
  }
  pos = static_cast<size_t>(ptr - s.data()) + 1;
  return true;
}

}  // namespace

bool parse_body(std::string_view body, BodyFields* out) {
  size_t pos = 0;
  uint64_t round = 0;
  uint64_t sender = 0;
  if (!take_u64(body, pos, &round) || !take_u64(body, pos, &sender) ||
      !take_u64(body, pos, &out->seq) || !take_u64(body, pos, &out->sent_us) ||
      round > UINT32_MAX || sender > UINT32_MAX) {
    return false;
  }
  out->round = static_cast<uint32_t>(round);
  out->sender = static_cast<uint32_t>(sender);
  return true;
}

int64_t mono_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace chat::bench
