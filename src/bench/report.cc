#include "bench/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace chat::bench {
namespace {

// Builds one JSON object; keys and the cause names it is given are plain ASCII.
class Json {
 public:
  Json& key(const std::string& k) {
    comma();
    out_ += '"' + escape(k) + "\":";
    fresh_ = true;
    return *this;
  }
  Json& str(const std::string& v) {
    out_ += '"' + escape(v) + '"';
    fresh_ = false;
    return *this;
  }
  Json& num(uint64_t v) {
    out_ += std::to_string(v);
    fresh_ = false;
    return *this;
  }
  Json& num(double v) {
    if (!std::isfinite(v)) v = 0;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    out_ += buf;
    fresh_ = false;
    return *this;
  }
  Json& frac(double v) {
    if (!std::isfinite(v)) v = 0;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    out_ += buf;
    fresh_ = false;
    return *this;
  }
  Json& null() {
    out_ += "null";
    fresh_ = false;
    return *this;
  }
  Json& boolean(bool b) {
    out_ += b ? "true" : "false";
    fresh_ = false;
    return *this;
  }
  Json& open(char c) {
    comma();
    out_ += c;
    fresh_ = true;
    return *this;
  }
  Json& close(char c) {
    out_ += c;
    fresh_ = false;
    return *this;
  }
  // Before an array element.
  Json& next() {
    comma();
    return *this;
  }
  Json& map(const CountMap& m) {
    open('{');
    for (const auto& [k, v] : m.entries()) key(k).num(v);
    return close('}');
  }
  Json& latency(const Histogram& h) {
    open('{');
    key("count").num(h.count());
    key("min").num(h.min());
    key("p50").num(h.percentile(0.50));
    key("p90").num(h.percentile(0.90));
    key("p99").num(h.percentile(0.99));
    key("p99.9").num(h.percentile(0.999));
    key("max").num(h.max());
    key("mean").num(h.mean());
    return close('}');
  }
  std::string take() { return std::move(out_); }

 private:
  void comma() {
    if (!fresh_ && !out_.empty()) out_ += ',';
    fresh_ = false;
  }
  static std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        out += ' ';
      } else {
        out += c;
      }
    }
    return out;
  }
  std::string out_;
  bool fresh_ = true;
};

uint64_t lost_of(const Stats& s, uint64_t expected) {
  return expected > s.unique ? expected - s.unique : 0;
}

double per_second(uint64_t n, int64_t from_us, int64_t to_us) {
  if (from_us == 0 || to_us <= from_us) return 0;
  return static_cast<double>(n) * 1e6 / static_cast<double>(to_us - from_us);
}

void put_params(Json& j, const Options& o, const Plan& plan) {
  j.key("params").open('{');
  switch (o.scenario) {
    case Scenario::kConnect:
      j.key("conns").num(static_cast<uint64_t>(o.conns));
      j.key("rate").num(o.rate);
      j.key("hold_s").num(o.hold_s);
      break;
    case Scenario::kFanout:
      j.key("subs").num(static_cast<uint64_t>(o.subs));
      j.key("pubs").num(static_cast<uint64_t>(o.pubs));
      j.key("rate").num(o.rate);
      j.key("window").num(static_cast<uint64_t>(o.window));
      break;
    case Scenario::kPairs:
      j.key("conns").num(static_cast<uint64_t>(o.conns));
      j.key("rate").num(o.rate);
      j.key("window").num(static_cast<uint64_t>(o.window));
      break;
    case Scenario::kSteps:
      j.key("steps").open('[');
      for (auto s : o.steps) j.next().num(static_cast<uint64_t>(s));
      j.close(']');
      j.key("step_seconds").num(o.step_seconds);
      j.key("user_rate").frac(o.user_rate);
      j.key("room_size").num(static_cast<uint64_t>(o.room_size));
      j.key("window").num(static_cast<uint64_t>(o.window));
      break;
    case Scenario::kRooms:
      j.key("rooms").num(static_cast<uint64_t>(o.rooms));
      j.key("room_size").num(static_cast<uint64_t>(o.room_size));
      j.key("rate").num(o.rate);
      j.key("window").num(static_cast<uint64_t>(o.window));
      break;
  }
  if (o.scenario != Scenario::kConnect && o.scenario != Scenario::kSteps) {
    j.key("duration_s").num(o.duration_s);
  }
  j.key("drain_s").num(o.drain_s);
  j.key("payload").num(static_cast<uint64_t>(o.payload));
  j.key("sources").num(static_cast<uint64_t>(o.sources.size()));
  j.key("users").num(static_cast<uint64_t>(plan.users()));
  j.close('}');
}

}  // namespace

double error_rate(const Stats& s, uint64_t expected) {
  double bad = static_cast<double>(s.refused + s.unconfirmed + lost_of(s, expected));
  double all = static_cast<double>(s.sent + expected);
  return all > 0 ? bad / all : 0;
}

std::string format_us(uint64_t us) {
  char buf[32];
  if (us >= 10'000'000) {
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(us) / 1e6);
  } else if (us >= 1000) {
    std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(us) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%llu us", static_cast<unsigned long long>(us));
  }
  return buf;
}

std::string format_summary(const Plan& plan, const RunResult& r) {
  const Options& o = plan.options();
  auto rounds = make_stats();
  uint64_t expected = 0;
  uint64_t lost = 0;
  for (const auto& rr : r.rounds) {
    rounds->merge(*rr.stats);
    expected += rr.expected;
    lost += lost_of(*rr.stats, rr.expected);
  }
  uint32_t requested =
      plan.round_count() > 0 ? plan.round_users(plan.round_count() - 1) : plan.users();
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf, "%s/%s: %llu of %u connections established, %llu failed\n",
                std::string(scenario_name(o.scenario)).c_str(),
                std::string(target_name(o.target)).c_str(),
                static_cast<unsigned long long>(r.setup->established), requested,
                static_cast<unsigned long long>(r.setup->failed.total()));
  out += buf;
  if (o.scenario == Scenario::kConnect) {
    const Histogram& h = r.setup->login_us;
    out += "  login latency p50 " + format_us(h.percentile(0.5)) + ", p99 " +
           format_us(h.percentile(0.99)) + ", max " + format_us(h.max()) + "\n";
    if (r.server_rss_bytes_per_conn) {
      std::snprintf(buf, sizeof buf, "  server RSS %.0f B/connection\n",
                    *r.server_rss_bytes_per_conn);
      out += buf;
    }
    if (r.kernel_bytes_per_conn) {
      std::snprintf(buf, sizeof buf, "  kernel %.0f B/connection (both ends)\n",
                    *r.kernel_bytes_per_conn);
      out += buf;
    }
    return out;
  }
  std::snprintf(
      buf, sizeof buf,
      "  published %llu (acked %llu, refused %llu, skipped %llu), delivered %llu of "
      "%llu expected: lost %llu, duplicates %llu, out of order %llu, gaps %llu\n",
      static_cast<unsigned long long>(rounds->sent), static_cast<unsigned long long>(rounds->acked),
      static_cast<unsigned long long>(rounds->refused),
      static_cast<unsigned long long>(rounds->skipped),
      static_cast<unsigned long long>(rounds->delivered), static_cast<unsigned long long>(expected),
      static_cast<unsigned long long>(lost), static_cast<unsigned long long>(rounds->duplicates),
      static_cast<unsigned long long>(rounds->out_of_order),
      static_cast<unsigned long long>(rounds->gaps));
  out += buf;
  const Histogram& h = rounds->latency_us;
  out += "  latency p50 " + format_us(h.percentile(0.5)) + ", p99 " +
         format_us(h.percentile(0.99)) + ", p99.9 " + format_us(h.percentile(0.999)) + ", max " +
         format_us(h.max()) + "\n";
  return out;
}

std::string format_json(const Plan& plan, const RunResult& r) {
  const Options& o = plan.options();
  auto rounds = make_stats();
  uint64_t expected = 0;
  double send_seconds = 0;
  bool drained = true;
  for (const auto& rr : r.rounds) {
    rounds->merge(*rr.stats);
    expected += rr.expected;
    send_seconds += rr.seconds;
    drained = drained && rr.drained;
  }
  auto all = make_stats();
  all->merge(*r.setup);
  all->merge(*rounds);
  all->merge(*r.closing);

  Json j;
  j.open('{');
  j.key("scenario").str(std::string(scenario_name(o.scenario)));
  j.key("target").str(std::string(target_name(o.target)));
  std::string servers;
  for (const ServerAddress& s : o.servers) {
    if (!servers.empty()) servers += ",";
    servers += s.host + ":" + std::to_string(s.port);
  }
  j.key("server").str(servers.empty() ? o.host + ":" + std::to_string(o.port) : servers);
  j.key("procs").num(static_cast<uint64_t>(o.procs));
  put_params(j, o, plan);
  uint32_t requested =
      plan.round_count() > 0 ? plan.round_users(plan.round_count() - 1) : plan.users();
  j.key("requested").num(static_cast<uint64_t>(requested));
  j.key("established").num(r.setup->established);
  j.key("failed").map(all->failed);
  j.key("failed_total").num(all->failed.total());
  j.key("dropped").map(all->dropped);
  j.key("closed").num(all->closed);
  j.key("published").num(rounds->sent);
  j.key("acked").num(rounds->acked);
  j.key("refused").num(rounds->refused);
  j.key("skipped").num(rounds->skipped);
  j.key("unconfirmed").num(rounds->unconfirmed);
  j.key("expected").num(expected);
  j.key("delivered").num(rounds->delivered);
  j.key("unique").num(rounds->unique);
  uint64_t lost = 0;
  uint64_t extra = 0;
  for (const auto& rr : r.rounds) {
    lost += lost_of(*rr.stats, rr.expected);
    extra += rr.stats->unique > rr.expected ? rr.stats->unique - rr.expected : 0;
  }
  j.key("lost").num(lost);
  j.key("extra").num(extra);
  j.key("duplicates").num(rounds->duplicates);
  j.key("out_of_order").num(rounds->out_of_order);
  j.key("gaps").num(rounds->gaps);
  j.key("stale").num(rounds->stale);
  j.key("unchecked").num(rounds->unchecked);
  j.key("undecodable").num(all->undecodable);
  j.key("drained").boolean(drained);
  j.key("errors").map(all->errors);
  j.key("error_rate").frac(error_rate(*rounds, expected));
  j.key("send_seconds").num(send_seconds);
  j.key("sends_per_sec")
      .num(send_seconds > 0 ? static_cast<double>(rounds->acked) / send_seconds : 0.0);
  double dps = 0;
  for (const auto& rr : r.rounds) {
    dps += per_second(rr.stats->delivered, rr.stats->first_send_us, rr.stats->last_delivery_us) *
           (r.rounds.size() == 1 ? 1.0 : 0.0);
  }
  if (r.rounds.size() > 1) {
    // Across steps: all deliveries over the time spent sending and draining.
    double busy = 0;
    for (const auto& rr : r.rounds) {
      if (rr.stats->first_send_us != 0 && rr.stats->last_delivery_us > rr.stats->first_send_us) {
        busy += static_cast<double>(rr.stats->last_delivery_us - rr.stats->first_send_us) / 1e6;
      }
    }
    dps = busy > 0 ? static_cast<double>(rounds->delivered) / busy : 0;
  }
  j.key("deliveries_per_sec").num(dps);
  double server_cpu = 0;
  bool server_cpu_known = !r.rounds.empty();
  for (const auto& rr : r.rounds) {
    server_cpu += rr.server_cpu_s;
    server_cpu_known = server_cpu_known && rr.server_cpu_s >= 0;
  }
  j.key("server_cpu_s");
  if (server_cpu_known) {
    j.frac(server_cpu);
  } else {
    j.null();
  }
  j.key("client_cpu_s").frac(static_cast<double>(rounds->client_cpu_us) / 1e6);
  // Everything else the machine ran meanwhile: the other side of any noise.
  double machine_cpu = 0;
  bool machine_known = !r.rounds.empty();
  for (const auto& rr : r.rounds) {
    machine_cpu += rr.machine_cpu_s;
    machine_known = machine_known && rr.machine_cpu_s >= 0;
  }
  j.key("machine_cpu_s");
  if (machine_known) {
    j.frac(machine_cpu);
  } else {
    j.null();
  }
  j.key("latency_us").latency(rounds->latency_us);
  j.key("login_latency_us").latency(r.setup->login_us);
  auto opt_num = [&](const char* k, const std::optional<double>& v) {
    j.key(k);
    if (v) {
      j.num(*v);
    } else {
      j.null();
    }
  };
  opt_num("server_rss_bytes_per_conn", r.server_rss_bytes_per_conn);
  opt_num("kernel_bytes_per_conn", r.kernel_bytes_per_conn);
  opt_num("client_rss_bytes_per_conn", r.client_rss_bytes_per_conn);
  if (o.scenario == Scenario::kSteps) {
    j.key("steps").open('[');
    for (const auto& rr : r.rounds) {
      const Stats& s = *rr.stats;
      j.open('{');
      j.key("users").num(static_cast<uint64_t>(rr.users));
      j.key("rate").num(rr.rate);
      j.key("published").num(s.sent);
      j.key("acked").num(s.acked);
      j.key("expected").num(rr.expected);
      j.key("delivered").num(s.delivered);
      j.key("lost").num(lost_of(s, rr.expected));
      j.key("duplicates").num(s.duplicates);
      j.key("out_of_order").num(s.out_of_order);
      j.key("gaps").num(s.gaps);
      j.key("errors").num(s.errors.total() + s.dropped.total());
      j.key("error_rate").frac(error_rate(s, rr.expected));
      j.key("sends_per_sec").num(static_cast<double>(s.acked) / rr.seconds);
      j.key("deliveries_per_sec").num(per_second(s.delivered, s.first_send_us, s.last_delivery_us));
      j.key("p50_us").num(s.latency_us.percentile(0.50));
      j.key("p99_us").num(s.latency_us.percentile(0.99));
      j.key("max_us").num(s.latency_us.max());
      j.key("server_cpu_s");
      if (rr.server_cpu_s >= 0) {
        j.frac(rr.server_cpu_s);
      } else {
        j.null();
      }
      j.key("client_cpu_s").frac(static_cast<double>(s.client_cpu_us) / 1e6);
      j.key("machine_cpu_s");
      if (rr.machine_cpu_s >= 0) {
        j.frac(rr.machine_cpu_s);
      } else {
        j.null();
      }
      j.close('}');
    }
    j.close(']');
  }
  j.key("elapsed_s").num(r.elapsed_s);
  j.key("load_average").open('[');
  j.next().frac(r.load_start);
  j.next().frac(r.load_end);
  j.close(']');
  j.key("workers_lost").num(static_cast<uint64_t>(r.workers_lost));
  j.close('}');
  return j.take();
}

}  // namespace chat::bench
