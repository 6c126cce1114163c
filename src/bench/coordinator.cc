#include "bench/coordinator.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "bench/body.h"
#include "bench/sysmem.h"
#include "bench/worker.h"

namespace chat::bench {
namespace {

constexpr double kReplySlackS = 30;
constexpr double kMemorySettleS = 1;
constexpr int64_t kProgressEveryUs = 1'000'000;

// The value of "key=" in a line of space-separated tokens.
std::string_view field(std::string_view line, std::string_view key) {
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    std::string_view tok = line.substr(pos, end - pos);
    if (tok.size() > key.size() && tok.substr(0, key.size()) == key && tok[key.size()] == '=') {
      return tok.substr(key.size() + 1);
    }
    pos = end + 1;
  }
  return {};
}

uint64_t field_u64(std::string_view line, std::string_view key) {
  std::string_view v = field(line, key);
  uint64_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

// The text after the first word.
std::string_view rest(std::string_view line) {
  size_t sp = line.find(' ');
  return sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
}

int64_t server_rss(const std::vector<pid_t>& pids) {
  int64_t total = 0;
  for (pid_t p : pids) {
    int64_t v = process_rss_bytes(p);
    if (v < 0) return -1;
    total += v;
  }
  return total;
}

// CPU used by the server process(es), or -1 (also when none is given).
int64_t server_cpu(const std::vector<pid_t>& pids) {
  if (pids.empty()) return -1;
  int64_t total = 0;
  for (pid_t p : pids) {
    int64_t v = process_cpu_us(p);
    if (v < 0) return -1;
    total += v;
  }
  return total;
}

}  // namespace

Coordinator::Coordinator(const Plan& plan) : plan_(plan), opt_(plan.options()) {}

Coordinator::~Coordinator() { reap(); }

Status Coordinator::spawn() {
  for (int i = 0; i < opt_.procs; ++i) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      return Status::error(std::string("socketpair: ") + std::strerror(errno));
    }
    std::fflush(nullptr);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return Status::error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      ::close(fds[0]);
      for (auto& l : links_) ::close(l->channel.fd());
      int code = 0;
      {
        Worker w(plan_, i, fds[1]);
        code = w.run();
      }
      std::fflush(nullptr);
      ::_exit(code);
    }
    ::close(fds[1]);
    auto link = std::make_unique<Link>();
    link->pid = pid;
    link->channel = LineChannel(fds[0]);
    links_.push_back(std::move(link));
  }
  return Status::ok();
}

void Coordinator::broadcast(std::string_view line) {
  for (auto& l : links_) {
    if (!l->alive) continue;
    l->replied = false;
    l->reply.clear();
    if (!l->channel.write_line(line)) lose(*l, "cannot be written to");
  }
}

void Coordinator::lose(Link& l, const char* why) {
  if (!l.alive) return;
  l.alive = false;
  std::fprintf(stderr, "chatbench: worker %d %s\n", static_cast<int>(l.pid), why);
  if (l.pid > 0) ::kill(l.pid, SIGKILL);
}

void Coordinator::handle(Link& l, const std::string& line) {
  std::string_view v(line);
  if (v.substr(0, 5) == "PROG ") {
    l.conns = field_u64(v, "conns");
    l.sent = field_u64(v, "sent");
    l.delivered = field_u64(v, "delivered");
    l.unique = field_u64(v, "unique");
    l.problems = field_u64(v, "problems");
    l.latency->parse(field(v, "lat"));
    return;
  }
  if (v.substr(0, 6) == "FATAL ") {
    std::fprintf(stderr, "chatbench: worker: %s\n", line.c_str() + 6);
    lose(l, "failed");
    return;
  }
  size_t sp = v.find(' ');
  std::string_view kind = v.substr(0, sp);
  if (kind == "FINAL") l.finished = true;
  if (kind == awaited_ && !l.replied) {
    l.replied = true;
    l.reply = line;
  }
}

void Coordinator::read_all(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<Link*> who;
  for (auto& l : links_) {
    if (!l->alive) continue;
    fds.push_back(pollfd{l->channel.fd(), POLLIN, 0});
    who.push_back(l.get());
  }
  if (fds.empty()) {
    ::usleep(static_cast<useconds_t>(timeout_ms) * 1000);
    return;
  }
  ::poll(fds.data(), fds.size(), timeout_ms);
  for (size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    std::vector<std::string> lines;
    bool open = who[i]->channel.read_lines(&lines);
    for (const auto& line : lines) handle(*who[i], line);
    if (!open && who[i]->finished) {
      who[i]->alive = false;  // exits after FINAL, as it should
    } else if (!open) {
      lose(*who[i], "exited");
    }
  }
  progress_line(false);
}

void Coordinator::gather(std::string_view kind, double timeout_s) {
  awaited_ = std::string(kind);
  int64_t deadline = mono_us() + static_cast<int64_t>(timeout_s * 1e6);
  for (;;) {
    bool all = true;
    for (auto& l : links_) all = all && (!l->alive || l->replied);
    if (all) break;
    if (mono_us() >= deadline) {
      for (auto& l : links_) {
        if (l->alive && !l->replied) lose(*l, "did not answer in time");
      }
      break;
    }
    read_all(100);
  }
  awaited_.clear();
}

void Coordinator::pump(double seconds, const std::function<bool()>& done) {
  int64_t deadline = mono_us() + static_cast<int64_t>(seconds * 1e6);
  while (mono_us() < deadline) {
    if (done && done()) return;
    read_all(static_cast<int>(std::clamp<int64_t>((deadline - mono_us()) / 1000, 1, 100)));
  }
}

void Coordinator::progress_line(bool force) {
  int64_t now = mono_us();
  if (!opt_.progress || (!force && now < next_progress_us_)) return;
  next_progress_us_ = now + kProgressEveryUs;
  uint64_t conns = 0;
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t problems = 0;
  auto lat = std::make_unique<Histogram>();
  for (auto& l : links_) {
    conns += l->conns;
    sent += l->sent;
    delivered += l->delivered;
    problems += l->problems;
    lat->merge(*l->latency);
  }
  double dt = last_progress_us_ ? static_cast<double>(now - last_progress_us_) / 1e6 : 0;
  double sends = dt > 0 ? static_cast<double>(sent - last_sent_) / dt : 0;
  double deliveries = dt > 0 ? static_cast<double>(delivered - last_delivered_) / dt : 0;
  last_sent_ = sent;
  last_delivered_ = delivered;
  last_progress_us_ = now;
  std::fprintf(stderr,
               "[%6.1fs] %s/%s %-9s conns %llu  sends/s %.0f  deliveries/s %.0f  p99 %s  "
               "errors %llu\n",
               static_cast<double>(now - start_us_) / 1e6,
               std::string(scenario_name(opt_.scenario)).c_str(),
               std::string(target_name(opt_.target)).c_str(), phase_name_.c_str(),
               static_cast<unsigned long long>(conns), sends, deliveries,
               format_us(lat->percentile(0.99)).c_str(), static_cast<unsigned long long>(problems));
}

void Coordinator::setup_phase(uint32_t users, RunResult& result) {
  phase_name_ = "setup";
  broadcast("SETUP " + std::to_string(users));
  double timeout = users / std::max(1.0, opt_.connect_rate) + opt_.connect_timeout_s + kReplySlackS;
  gather("READY", timeout);
  result.client_rss_bytes = 0;
  for (auto& l : links_) {
    if (!l->replied) continue;
    auto s = make_stats();
    s->add_text(rest(l->reply));
    l->rss = s->client_rss_bytes;
    s->client_rss_bytes = 0;
    result.setup->merge(*s);
  }
  for (auto& l : links_) result.client_rss_bytes += l->rss;
}

void Coordinator::measure_memory(RunResult& result) {
  if (memory_measured_) return;
  memory_measured_ = true;
  phase_name_ = "measure";
  pump(kMemorySettleS, nullptr);
  double conns = static_cast<double>(result.setup->established);
  result.conns_at_measure = result.setup->established;
  if (conns <= 0) return;
  if (!opt_.server_pids.empty()) {
    int64_t after = server_rss(opt_.server_pids);
    if (after >= 0 && server_rss_before_ >= 0) {
      result.server_rss_bytes_per_conn = static_cast<double>(after - server_rss_before_) / conns;
    }
  }
  int64_t kernel_after = kernel_memory().total();
  if (kernel_after >= 0 && kernel_before_ >= 0) {
    result.kernel_bytes_per_conn = static_cast<double>(kernel_after - kernel_before_) / conns;
  }
  result.client_rss_bytes_per_conn = static_cast<double>(result.client_rss_bytes) / conns;
}

void Coordinator::run_round(size_t r, RunResult& result) {
  RoundResult rr;
  rr.users = plan_.round_users(r);
  rr.seconds = plan_.round_seconds(r);
  rr.rate = plan_.round_rate(r);
  setup_phase(rr.users, result);
  if (!opt_.server_pids.empty()) measure_memory(result);

  int64_t cpu_before = server_cpu(opt_.server_pids);
  int64_t machine_before = machine_busy_cpu_us();
  phase_name_ = "send";
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.3f", rr.rate);
  broadcast("ROUND " + std::to_string(r + 1) + " " + rate + " " + std::to_string(rr.seconds));
  gather("ARMED", kReplySlackS);
  broadcast("GO");
  gather("ACKED", rr.seconds + opt_.drain_s + kReplySlackS);

  // expected = sum over rooms of (messages accepted x members) - each
  // member's own messages (not delivered to their sender) + private messages.
  std::vector<uint64_t> acked(plan_.rooms(), 0);
  std::vector<uint64_t> members(plan_.rooms(), 0);
  int64_t expected = 0;
  for (auto& l : links_) {
    if (!l->replied) continue;
    std::string_view line = l->reply;
    expected -= static_cast<int64_t>(field_u64(line, "self"));
    expected += static_cast<int64_t>(field_u64(line, "priv"));
    std::string_view rooms = field(line, "rooms");
    size_t pos = 0;
    while (pos < rooms.size() && rooms != "-") {
      size_t end = rooms.find(',', pos);
      if (end == std::string_view::npos) end = rooms.size();
      std::string_view e = rooms.substr(pos, end - pos);
      uint64_t v[3] = {0, 0, 0};
      size_t p = 0;
      for (auto& x : v) {
        auto [ptr, ec] = std::from_chars(e.data() + p, e.data() + e.size(), x);
        p = static_cast<size_t>(ptr - e.data()) + 1;
        (void)ec;
      }
      if (v[0] < acked.size()) {
        acked[v[0]] += v[1];
        members[v[0]] += v[2];
      }
      pos = end + 1;
    }
  }
  for (size_t i = 0; i < acked.size(); ++i) {
    expected += static_cast<int64_t>(acked[i] * members[i]);
  }
  rr.expected = static_cast<uint64_t>(std::max<int64_t>(0, expected));

  phase_name_ = "drain";
  auto complete = [&] {
    uint64_t unique = 0;
    for (auto& l : links_) unique += l->alive ? l->unique : 0;
    return unique >= rr.expected;
  };
  pump(opt_.drain_s, complete);
  rr.drained = complete();
  int64_t cpu_after = server_cpu(opt_.server_pids);
  int64_t machine_after = machine_busy_cpu_us();
  if (machine_before >= 0 && machine_after >= 0) {
    rr.machine_cpu_s = static_cast<double>(machine_after - machine_before) / 1e6;
  }
  if (cpu_before >= 0 && cpu_after >= 0) {
    rr.server_cpu_s = static_cast<double>(cpu_after - cpu_before) / 1e6;
  }

  broadcast("END");
  gather("ROUND", kReplySlackS);
  for (auto& l : links_) {
    if (l->replied) rr.stats->add_text(rest(l->reply));
  }
  result.rounds.push_back(std::move(rr));
}

Result<RunResult> Coordinator::run() {
  start_us_ = mono_us();
  RunResult result;
  result.load_start = load_average();
  server_rss_before_ = opt_.server_pids.empty() ? -1 : server_rss(opt_.server_pids);
  kernel_before_ = kernel_memory().total();
  if (Status s = spawn(); !s) {
    reap();
    return s;
  }
  if (opt_.scenario == Scenario::kConnect) {
    setup_phase(plan_.users(), result);
    int64_t ready_at = mono_us();
    measure_memory(result);
    phase_name_ = "hold";
    double held = static_cast<double>(mono_us() - ready_at) / 1e6;
    pump(std::max(0.0, opt_.hold_s - held), nullptr);
  } else {
    for (size_t r = 0; r < plan_.round_count(); ++r) run_round(r, result);
  }
  phase_name_ = "close";
  broadcast("CLOSE");
  gather("FINAL", kReplySlackS);
  for (auto& l : links_) {
    if (l->replied) result.closing->add_text(rest(l->reply));
  }
  progress_line(true);
  for (auto& l : links_) result.workers_lost += l->finished ? 0 : 1;
  reap();
  result.elapsed_s = static_cast<double>(mono_us() - start_us_) / 1e6;
  result.load_end = load_average();
  return result;
}

void Coordinator::reap() {
  int64_t deadline = mono_us() + 5'000'000;
  for (auto& l : links_) {
    if (l->pid <= 0) continue;
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(l->pid, &status, WNOHANG);
      if (r == l->pid) {
        if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
          std::fprintf(stderr, "chatbench: worker %d killed by signal %d\n",
                       static_cast<int>(l->pid), WTERMSIG(status));
        } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
          std::fprintf(stderr, "chatbench: worker %d exited with status %d\n",
                       static_cast<int>(l->pid), WEXITSTATUS(status));
        }
        break;
      }
      if (r < 0 && errno != EINTR) break;
      if (mono_us() >= deadline) {
        ::kill(l->pid, SIGKILL);
        ::waitpid(l->pid, &status, 0);
        break;
      }
      ::usleep(10'000);
    }
    l->pid = -1;
  }
}

}  // namespace chat::bench
