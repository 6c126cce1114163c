#include "bench/stats.h"

#include <algorithm>
#include <charconv>

namespace chat::bench {

void CountMap::add(std::string_view key, uint64_t n) {
  for (auto& [k, v] : entries_) {
    if (k == key) {
      v += n;
      return;
    }
  }
  entries_.emplace_back(std::string(key), n);
}

void CountMap::merge(const CountMap& other) {
  for (const auto& [k, v] : other.entries_) add(k, v);
}

uint64_t CountMap::total() const {
  uint64_t t = 0;
  for (const auto& e : entries_) t += e.second;
  return t;
}

uint64_t CountMap::get(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return v;
  }
  return 0;
}

namespace {

int64_t min_nonzero(int64_t a, int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

// The scalar fields, by name, for to_text/add_text. Times merge by min/max.
enum class Merge { kSum, kMinNonzero, kMax };
struct Field {
  const char* name;
  uint64_t Stats::*u;
  int64_t Stats::*i;
  Merge merge;
};

constexpr Field kFields[] = {
    {"established", &Stats::established, nullptr, Merge::kSum},
    {"sent", &Stats::sent, nullptr, Merge::kSum},
    {"acked", &Stats::acked, nullptr, Merge::kSum},
    {"refused", &Stats::refused, nullptr, Merge::kSum},
    {"skipped", &Stats::skipped, nullptr, Merge::kSum},
    {"unconfirmed", &Stats::unconfirmed, nullptr, Merge::kSum},
    {"delivered", &Stats::delivered, nullptr, Merge::kSum},
    {"unique", &Stats::unique, nullptr, Merge::kSum},
    {"duplicates", &Stats::duplicates, nullptr, Merge::kSum},
    {"out_of_order", &Stats::out_of_order, nullptr, Merge::kSum},
    {"gaps", &Stats::gaps, nullptr, Merge::kSum},
    {"stale", &Stats::stale, nullptr, Merge::kSum},
    {"unchecked", &Stats::unchecked, nullptr, Merge::kSum},
    {"undecodable", &Stats::undecodable, nullptr, Merge::kSum},
    {"closed", &Stats::closed, nullptr, Merge::kSum},
    {"client_rss", &Stats::client_rss_bytes, nullptr, Merge::kSum},
    {"client_cpu", &Stats::client_cpu_us, nullptr, Merge::kSum},
    {"first_send", nullptr, &Stats::first_send_us, Merge::kMinNonzero},
    {"last_send", nullptr, &Stats::last_send_us, Merge::kMax},
    {"last_delivery", nullptr, &Stats::last_delivery_us, Merge::kMax},
};

void merge_field(Stats& to, const Field& f, uint64_t u, int64_t i) {
  if (f.u != nullptr) {
    to.*f.u += u;
    return;
  }
  switch (f.merge) {
    case Merge::kMinNonzero:
      to.*f.i = min_nonzero(to.*f.i, i);
      break;
    case Merge::kMax:
      to.*f.i = std::max(to.*f.i, i);
      break;
    case Merge::kSum:
      to.*f.i += i;
      break;
  }
}

void put_map(std::string& out, std::string_view prefix, const CountMap& m) {
  for (const auto& [k, v] : m.entries()) {
    out += ' ';
    out += prefix;
    out += k;
    out += '=';
    out += std::to_string(v);
  }
}

template <class T>
bool parse_num(std::string_view s, T* v) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

}  // namespace

void Stats::merge(const Stats& o) {
  for (const auto& f : kFields) {
    merge_field(*this, f, f.u ? o.*f.u : 0, f.i ? o.*f.i : 0);
  }
  failed.merge(o.failed);
  errors.merge(o.errors);
  dropped.merge(o.dropped);
  login_us.merge(o.login_us);
  latency_us.merge(o.latency_us);
}

std::string Stats::to_text() const {
  std::string out;
  for (const auto& f : kFields) {
    if (!out.empty()) out += ' ';
    out += f.name;
    out += '=';
    out += f.u ? std::to_string(this->*f.u) : std::to_string(this->*f.i);
  }
  put_map(out, "fail.", failed);
  put_map(out, "err.", errors);
  put_map(out, "drop.", dropped);
  out += " login=" + login_us.serialize();
  out += " lat=" + latency_us.serialize();
  return out;
}

bool Stats::add_text(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view tok = text.substr(pos, end - pos);
    pos = end + 1;
    if (tok.empty()) continue;
    size_t eq = tok.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view key = tok.substr(0, eq);
    std::string_view value = tok.substr(eq + 1);
    if (key == "login" || key == "lat") {
      auto h = std::make_unique<Histogram>();
      if (!h->parse(value)) return false;
      (key == "login" ? login_us : latency_us).merge(*h);
      continue;
    }
    CountMap* map = nullptr;
    std::string_view name;
    for (auto [prefix, m] : {std::pair<std::string_view, CountMap*>{"fail.", &failed},
                             {"err.", &errors},
                             {"drop.", &dropped}}) {
      if (key.substr(0, prefix.size()) == prefix) {
        map = m;
        name = key.substr(prefix.size());
      }
    }
    if (map != nullptr) {
      uint64_t n = 0;
      if (!parse_num(value, &n)) return false;
      map->add(name, n);
      continue;
    }
    bool known = false;
    for (const auto& f : kFields) {
      if (key != f.name) continue;
      known = true;
      uint64_t u = 0;
      int64_t i = 0;
      if (f.u ? !parse_num(value, &u) : !parse_num(value, &i)) return false;
      merge_field(*this, f, u, i);
    }
    if (!known) return false;
  }
  return true;
}

std::unique_ptr<Stats> make_stats() { return std::make_unique<Stats>(); }

}  // namespace chat::bench
