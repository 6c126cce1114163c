#include "bench/worker.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "bench/body.h"
#include "bench/sysmem.h"

namespace chat::bench {
namespace {

// Connections a worker has in setup at once: more only queue in the
// server's accept backlog.
constexpr uint64_t kMaxInFlight = 1000;
constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kProgressEveryUs = 250'000;
constexpr int64_t kCloseWaitUs = 5 * kSecondUs;
// Per-sender tables larger than this many entries are not kept.
constexpr size_t kMaxSenderSlots = 64u << 20;
constexpr size_t kMaxPairEntries = 1u << 24;
constexpr int kPacedPollMs = 1;
constexpr int kIdlePollMs = 20;

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t sp = line.find(' ', pos);
    if (sp == std::string_view::npos) sp = line.size();
    if (sp > pos) out.push_back(line.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

template <class T>
T to_num(std::string_view s) {
  T v{};
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

Worker::Worker(const Plan& plan, int index, int control_fd)
    : plan_(plan),
      opt_(plan.options()),
      index_(index),
      control_(control_fd),
      engine_(clients_, *this),
      rng_(opt_.seed * 1000003u + static_cast<uint64_t>(index)),
      cur_(make_stats()) {
  auto procs = static_cast<uint32_t>(opt_.procs);
  clients_.reserve(plan.users() / procs + 1);
  for (uint32_t u = static_cast<uint32_t>(index); u < plan.users(); u += procs) {
    Client c;
    c.user = u;
    c.role = plan.role(u);
    clients_.push_back(std::move(c));
  }
  driver_ = make_driver(opt_.target, *this);
  for (const ServerAddress& a : opt_.servers) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(a.port);
    std::string host = a.host == "localhost" ? "127.0.0.1" : a.host;
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    servers_.push_back(addr);
  }
  room_acked_.assign(plan.rooms(), 0);
  room_members_.assign(plan.rooms(), 0);
  if (opt_.target != Target::kChat && plan.slots_per_subscriber() > 0) {
    size_t subscribers = 0;
    for (const auto& c : clients_) subscribers += c.role.subscriber ? 1 : 0;
    size_t slots = subscribers * plan.slots_per_subscriber();
    if (slots <= kMaxSenderSlots) {
      sender_last_.assign(slots, 0);
      uint32_t base = 0;
      for (auto& c : clients_) {
        if (!c.role.subscriber) continue;
        c.slot_base = base;
        base += plan.slots_per_subscriber();
      }
    }
  }
  body_buf_.resize(std::max(opt_.payload, kMaxBodyHeader) + 16);
  sync_every_ = std::max<uint32_t>(1, opt_.window / 4);
}

Worker::~Worker() = default;

int Worker::run() {
  if (Status s = engine_.init(control_.fd()); !s) {
    control_.write_line("FATAL " + s.message());
    return 1;
  }
  int64_t now = mono_us();
  next_tick_us_ = now + kSecondUs;
  while (phase_ != Phase::kDone && control_.open()) {
    now = mono_us();
    if (phase_ == Phase::kSetup) pump_connects(now);
    if (phase_ == Phase::kSending && !window_mode_) pump_sends(now);
    if (now >= next_tick_us_) {
      tick(now);
      next_tick_us_ = now + kSecondUs;
    }
    check_phase(now);
    if (now >= next_progress_us_ && phase_ != Phase::kDone) {
      progress();
      next_progress_us_ = now + kProgressEveryUs;
    }
    if (phase_ == Phase::kDone) break;
    bool paced = phase_ == Phase::kSetup || (phase_ == Phase::kSending && !window_mode_);
    engine_.poll(paced ? kPacedPollMs : kIdlePollMs);
  }
  engine_.flush_all();
  return 0;
}

// ---------------------------------------------------------------------------
// Commands

void Worker::on_control_readable() {
  std::vector<std::string> lines;
  control_.read_lines(&lines);
  for (const auto& line : lines) handle_command(line);
}

void Worker::handle_command(std::string_view line) {
  auto w = words(line);
  if (w.empty()) return;
  if (w[0] == "SETUP" && w.size() == 2) {
    start_setup(to_num<uint32_t>(w[1]));
  } else if (w[0] == "ROUND" && w.size() == 4) {
    arm_round(to_num<uint32_t>(w[1]), std::strtod(std::string(w[2]).c_str(), nullptr),
              std::strtod(std::string(w[3]).c_str(), nullptr));
  } else if (w[0] == "GO") {
    start_sending();
  } else if (w[0] == "END") {
    measuring_ = false;
    phase_ = Phase::kIdle;
    cur_->client_cpu_us +=
        static_cast<uint64_t>(std::max<int64_t>(0, self_cpu_us() - round_cpu_start_us_));
    if (opt_.target == Target::kChat) {
      for (auto& c : clients_) {
        if (c.member && c.state == ClientState::kReady) cur_->gaps += c.room_seq.settle();
      }
    }
    report("ROUND", false);
  } else if (w[0] == "CLOSE") {
    start_close();
  }
}

void Worker::report(std::string_view kind, bool with_rss) {
  if (with_rss)
    cur_->client_rss_bytes =
        static_cast<uint64_t>(std::max<int64_t>(0, process_rss_bytes(::getpid())));
  control_.write_line(std::string(kind) + " " + cur_->to_text());
  cur_ = make_stats();
}

void Worker::progress() {
  std::string line =
      "PROG conns=" + std::to_string(ready_) + " sent=" + std::to_string(life_sent_) +
      " delivered=" + std::to_string(life_delivered_) + " unique=" + std::to_string(cur_->unique) +
      " problems=" + std::to_string(life_problems_) + " lat=" + cur_->latency_us.serialize();
  control_.write_line(line);
}

void Worker::start_setup(uint32_t active) {
  active_ = active;
  setup_target_ = 0;
  while (setup_target_ < clients_.size() && clients_[setup_target_].user < active) {
    ++setup_target_;
  }
  setup_start_us_ = mono_us();
  setup_started_ = 0;
  phase_ = Phase::kSetup;
}

void Worker::arm_round(uint32_t round, double total_rate, double seconds) {
  round_ = round;
  measuring_ = true;
  senders_.clear();
  std::fill(room_acked_.begin(), room_acked_.end(), 0);
  std::fill(room_members_.begin(), room_members_.end(), 0);
  std::fill(sender_last_.begin(), sender_last_.end(), 0);
  self_acked_ = 0;
  private_acked_ = 0;
  for (uint32_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    c.sent_seq = 0;
    c.member = false;
    if (c.user >= active_ || c.state != ClientState::kReady) continue;
    if (c.role.room_sender || c.role.private_peer) senders_.push_back(i);
    if (c.role.subscriber) {
      c.member = true;
      ++room_members_[c.role.room];
    }
  }
  uint32_t global = plan_.senders(active_);
  window_mode_ = total_rate <= 0;
  local_rate_ = global > 0 ? total_rate * static_cast<double>(senders_.size()) / global : 0;
  bool has_private = !clients_.empty() && clients_[0].role.private_peer;
  if (has_private) {
    double expect = (total_rate > 0 ? total_rate : 1e5) * seconds *
                    static_cast<double>(clients_.size()) / std::max<uint32_t>(1, active_);
    size_t cap =
        next_pow2(std::min<size_t>(kMaxPairEntries, static_cast<size_t>(expect) * 2 + 1024));
    if (!pairs_ || pairs_->capacity() < cap) {
      pairs_ = std::make_unique<PairSeqTable>(cap);
    } else {
      pairs_->clear();
    }
  }
  attempted_ = 0;
  next_sender_ = 0;
  round_seconds_ = seconds;
  round_cpu_start_us_ = self_cpu_us();
  phase_ = Phase::kIdle;
  control_.write_line("ARMED");
}

void Worker::start_sending() {
  int64_t now = mono_us();
  round_start_us_ = now;
  send_end_us_ = now + static_cast<int64_t>(round_seconds_ * 1e6);
  phase_ = Phase::kSending;
  if (window_mode_) {
    for (uint32_t i : senders_) refill(clients_[i]);
  }
}

void Worker::stop_sending() {
  phase_ = Phase::kConfirming;
  confirm_deadline_us_ = mono_us() + static_cast<int64_t>(opt_.drain_s * 1e6);
  if (driver_->acks_each_send()) return;
  for (uint32_t i : senders_) {
    Client& c = clients_[i];
    if (c.state == ClientState::kReady && c.unsynced > 0 && !c.markers.full()) {
      c.markers.push(c.unsynced);
      c.unsynced = 0;
      driver_->sync(c);
      engine_.flush_later(c);
    }
  }
}

void Worker::start_close() {
  measuring_ = false;
  phase_ = Phase::kClosing;
  close_deadline_us_ = mono_us() + kCloseWaitUs;
  for (auto& c : clients_) {
    if (c.fd < 0) continue;
    if (c.state != ClientState::kReady) {
      engine_.close(c, "closed_in_setup");
      continue;
    }
    --ready_;
    c.state = ClientState::kClosing;
    if (driver_->goodbye(c)) {
      engine_.flush_later(c);
    } else {
      engine_.close(c, "closed");
    }
  }
}

// ---------------------------------------------------------------------------
// Loop steps

void Worker::pump_connects(int64_t now) {
  double local_rate = opt_.connect_rate / opt_.procs;
  auto due = static_cast<size_t>(static_cast<double>(now - setup_start_us_) * local_rate / 1e6) + 1;
  while (setup_started_ < due && next_connect_ < setup_target_ && in_flight_ < kMaxInFlight) {
    Client& c = clients_[next_connect_++];
    ++setup_started_;
    ++in_flight_;
    c.started_us = now;
    uint32_t source = opt_.sources.empty() ? 0 : opt_.sources[c.user % opt_.sources.size()];
    engine_.connect(c, servers_[c.user % servers_.size()], source);
  }
}

void Worker::pump_sends(int64_t now) {
  if (senders_.empty()) return;
  int64_t until = std::min(now, send_end_us_);
  auto due =
      static_cast<uint64_t>(static_cast<double>(until - round_start_us_) * local_rate_ / 1e6);
  size_t n = senders_.size();
  size_t tries_max = std::min<size_t>(n, 64);
  bool random_pick = clients_[senders_[0]].role.private_peer;
  while (attempted_ < due) {
    ++attempted_;
    Client* picked = nullptr;
    for (size_t t = 0; t < tries_max; ++t) {
      size_t i = random_pick ? static_cast<size_t>(rng_() % n) : next_sender_++ % n;
      Client& c = clients_[senders_[i]];
      if (can_send(c)) {
        picked = &c;
        break;
      }
    }
    if (picked == nullptr) {
      ++cur_->skipped;
      continue;
    }
    send_one(*picked, now);
  }
}

void Worker::tick(int64_t now) {
  auto timeout = static_cast<int64_t>(opt_.connect_timeout_s * 1e6);
  for (auto& c : clients_) {
    switch (c.state) {
      case ClientState::kConnecting:
      case ClientState::kHandshake:
      case ClientState::kSubscribing:
        if (now - c.started_us > timeout) {
          engine_.close(c, c.state == ClientState::kConnecting  ? "connect_timeout"
                           : c.state == ClientState::kHandshake ? "login_timeout"
                                                                : "subscribe_timeout");
        }
        break;
      case ClientState::kReady:
        if (now - c.last_tx_us >= static_cast<int64_t>(c.heartbeat_s) * kSecondUs) {
          if (!driver_->acks_each_send()) {
            if (c.markers.full()) break;
            c.markers.push(0);
          }
          driver_->heartbeat(c);
          c.last_tx_us = now;
          engine_.flush_later(c);
        }
        break;
      default:
        break;
    }
  }
}

void Worker::check_phase(int64_t now) {
  switch (phase_) {
    case Phase::kSetup:
      if (next_connect_ >= setup_target_ && in_flight_ == 0) {
        phase_ = Phase::kIdle;
        report("READY", true);
      }
      return;
    case Phase::kSending:
      if (now >= send_end_us_) stop_sending();
      return;
    case Phase::kConfirming: {
      uint64_t open = 0;
      for (uint32_t i : senders_) {
        const Client& c = clients_[i];
        if (c.state == ClientState::kReady) open += c.outstanding;
      }
      if (open > 0 && now < confirm_deadline_us_) return;
      cur_->unconfirmed += open;
      std::string line = "ACKED self=" + std::to_string(self_acked_) +
                         " priv=" + std::to_string(private_acked_) + " rooms=";
      bool any = false;
      for (size_t r = 0; r < room_acked_.size(); ++r) {
        if (room_acked_[r] == 0 && room_members_[r] == 0) continue;
        if (any) line += ',';
        line += std::to_string(r) + ":" + std::to_string(room_acked_[r]) + ":" +
                std::to_string(room_members_[r]);
        any = true;
      }
      if (!any) line += '-';
      control_.write_line(line);
      phase_ = Phase::kDraining;
      return;
    }
    case Phase::kClosing:
      if (engine_.open_connections() > 0 && now < close_deadline_us_) return;
      for (auto& c : clients_) {
        if (c.fd >= 0) engine_.close(c, "close_timeout");
      }
      report("FINAL", false);
      phase_ = Phase::kDone;
      return;
    default:
      return;
  }
}

}  // namespace chat::bench
