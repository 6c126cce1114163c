#include "bench/options.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace chat::bench {
namespace {

constexpr uint32_t kDefaultConnectConns = 1000;
constexpr double kDefaultConnectRate = 2000;
constexpr uint32_t kDefaultPairsConns = 1000;
constexpr double kDefaultMessageRate = 1000;
constexpr int kMaxProcs = 64;
constexpr size_t kMaxPayload = 60000;

bool parse_ipv4(std::string_view s, uint32_t* out) {
  std::string text(s);
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

template <class T>
bool parse_uint(std::string_view s, T* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

}  // namespace

std::string_view scenario_name(Scenario s) {
  switch (s) {
    case Scenario::kConnect:
      return "connect";
    case Scenario::kFanout:
      return "fanout";
    case Scenario::kPairs:
      return "pairs";
    case Scenario::kSteps:
      return "steps";
    case Scenario::kRooms:
      return "rooms";
  }
  return "unknown";
}

std::string_view target_name(Target t) {
  switch (t) {
    case Target::kChat:
      return "chat";
    case Target::kRedis:
      return "redis";
    case Target::kMqtt:
      return "mqtt";
    case Target::kNats:
      return "nats";
  }
  return "unknown";
}

bool parse_scenario(std::string_view s, Scenario* out) {
  for (auto sc : {Scenario::kConnect, Scenario::kFanout, Scenario::kPairs, Scenario::kSteps,
                  Scenario::kRooms}) {
    if (scenario_name(sc) == s) {
      *out = sc;
      return true;
    }
  }
  return false;
}

bool parse_target(std::string_view s, Target* out) {
  for (auto t : {Target::kChat, Target::kRedis, Target::kMqtt, Target::kNats}) {
    if (target_name(t) == s) {
      *out = t;
      return true;
    }
  }
  return false;
}

uint16_t default_port(Target t) {
  switch (t) {
    case Target::kChat:
      return 7000;
    case Target::kRedis:
      return 6379;
    case Target::kMqtt:
      return 1883;
    case Target::kNats:
      return 4222;
  }
  return 0;
}

Result<std::vector<uint32_t>> parse_sources(std::string_view text) {
  std::vector<uint32_t> out;
  for (auto part : split(text, ',')) {
    size_t dash = part.find('-');
    uint32_t first = 0;
    uint32_t last = 0;
    if (dash == std::string_view::npos) {
      if (!parse_ipv4(part, &first)) {
        return Status::error("--source: '" + std::string(part) + "' is not an IPv4 address");
      }
      last = first;
    } else if (!parse_ipv4(part.substr(0, dash), &first) ||
               !parse_ipv4(part.substr(dash + 1), &last) || last < first) {
      return Status::error("--source: '" + std::string(part) +
                           "' is not a range FIRST-LAST of IPv4 addresses");
    }
    if (last - first >= 65536) {
      return Status::error("--source: a range holds at most 65536 addresses");
    }
    for (uint64_t a = first; a <= last; ++a) out.push_back(static_cast<uint32_t>(a));
  }
  return out;
}

Result<std::vector<ServerAddress>> parse_servers(std::string_view text) {
  std::vector<ServerAddress> out;
  for (auto part : split(text, ',')) {
    size_t colon = part.rfind(':');
    uint32_t port = 0;
    uint32_t ip = 0;
    if (colon == std::string_view::npos || !parse_uint(part.substr(colon + 1), &port) ||
        port == 0 || port > 65535) {
      return Status::error("--server: '" + std::string(part) + "' is not HOST:PORT");
    }
    std::string_view host = part.substr(0, colon);
    if (host != "localhost" && !parse_ipv4(host, &ip)) {
      return Status::error("--server: HOST must be an IPv4 address or localhost, got '" +
                           std::string(host) + "'");
    }
    out.push_back({std::string(host), static_cast<uint16_t>(port)});
  }
  if (out.empty()) return Status::error("--server: no address");
  return out;
}

Result<std::vector<uint32_t>> parse_steps(std::string_view text) {
  std::vector<uint32_t> out;
  for (auto part : split(text, ',')) {
    uint32_t n = 0;
    if (!parse_uint(part, &n) || n == 0) {
      return Status::error("--steps: '" + std::string(part) + "' is not a positive user count");
    }
    if (!out.empty() && n < out.back()) {
      return Status::error("--steps: user counts must not decrease");
    }
    out.push_back(n);
  }
  return out;
}

Result<std::vector<pid_t>> parse_pids(std::string_view text) {
  std::vector<pid_t> out;
  for (auto part : split(text, ',')) {
    pid_t pid = 0;
    if (!parse_uint(part, &pid) || pid <= 0) {
      return Status::error("--server-pid: '" + std::string(part) + "' is not a process id");
    }
    out.push_back(pid);
  }
  return out;
}

Status Options::finalize() {
  if (port == 0) port = default_port(target);
  if (servers.empty()) servers.push_back({host, port});
  for (ServerAddress& s : servers) {
    if (s.port == 0) s.port = default_port(target);
  }
  host = servers.front().host;
  port = servers.front().port;
  if (procs < 1 || procs > kMaxProcs) {
    return Status::error("--procs must be 1.." + std::to_string(kMaxProcs));
  }
  if (payload == 0 || payload > kMaxPayload) {
    return Status::error("--payload must be 1.." + std::to_string(kMaxPayload) + " bytes");
  }
  if (window == 0) return Status::error("--window must be at least 1");
  if (room_size == 0) return Status::error("--room-size must be at least 1");
  if (duration_s <= 0 || step_seconds <= 0) return Status::error("durations must be positive");
  switch (scenario) {
    case Scenario::kConnect:
      if (conns == 0) conns = kDefaultConnectConns;
      if (rate < 0) rate = kDefaultConnectRate;
      if (rate == 0) return Status::error("connect: --rate (connections per second) must be > 0");
      connect_rate = rate;
      break;
    case Scenario::kFanout:
      if (subs == 0 || pubs == 0) return Status::error("fanout: --subs and --pubs must be >= 1");
      if (rate < 0) rate = 0;
      break;
    case Scenario::kPairs:
      if (conns == 0) conns = kDefaultPairsConns;
      if (conns < 2) return Status::error("pairs: --conns must be at least 2");
      if (rate < 0) rate = kDefaultMessageRate;
      if (rate == 0) return Status::error("pairs: --rate must be > 0");
      break;
    case Scenario::kSteps:
      if (steps.empty()) return Status::error("steps: --steps is empty");
      if (user_rate <= 0) return Status::error("steps: --user-rate must be > 0");
      break;
    case Scenario::kRooms:
      if (rooms == 0) return Status::error("rooms: --rooms must be >= 1");
      if (rate < 0) rate = kDefaultMessageRate;
      break;
  }
  return Status::ok();
}

Plan::Plan(const Options& opt) : opt_(opt) {
  switch (opt.scenario) {
    case Scenario::kConnect:
      users_ = opt.conns;
      break;
    case Scenario::kFanout:
      users_ = opt.subs + opt.pubs;
      rooms_ = 1;
      break;
    case Scenario::kPairs:
      users_ = opt.conns;
      break;
    case Scenario::kSteps:
      users_ = opt.steps.empty() ? 0 : opt.steps.back();
      rooms_ = (users_ + opt.room_size - 1) / opt.room_size;
      break;
    case Scenario::kRooms:
      users_ = opt.rooms * opt.room_size;
      rooms_ = opt.rooms;
      break;
  }
}

Role Plan::role(uint32_t user) const {
  Role r;
  switch (opt_.scenario) {
    case Scenario::kConnect:
      // Peers subscribe to their own topic: "their handshake + one subscription".
      r.private_peer = opt_.target != Target::kChat;
      break;
    case Scenario::kFanout:
      r.room = 0;
      r.subscriber = user < opt_.subs;
      r.room_sender = !r.subscriber;
      break;
    case Scenario::kPairs:
      r.private_peer = true;
      break;
    case Scenario::kSteps:
    case Scenario::kRooms:
      r.room = user / opt_.room_size;
      r.subscriber = true;
      r.room_sender = true;
      break;
  }
  return r;
}

size_t Plan::round_count() const {
  switch (opt_.scenario) {
    case Scenario::kConnect:
      return 0;
    case Scenario::kSteps:
      return opt_.steps.size();
    default:
      return 1;
  }
}

uint32_t Plan::round_users(size_t r) const {
  if (opt_.scenario == Scenario::kSteps && r < opt_.steps.size()) return opt_.steps[r];
  return users_;
}

double Plan::round_rate(size_t r) const {
  if (opt_.scenario == Scenario::kSteps) return opt_.user_rate * round_users(r);
  return std::max(0.0, opt_.rate);
}

double Plan::round_seconds(size_t /*r*/) const {
  return opt_.scenario == Scenario::kSteps ? opt_.step_seconds : opt_.duration_s;
}

uint32_t Plan::senders(uint32_t active) const {
  switch (opt_.scenario) {
    case Scenario::kConnect:
      return 0;
    case Scenario::kFanout:
      return opt_.pubs;
    default:
      return active;
  }
}

uint32_t Plan::sender_slot(uint32_t sender) const {
  switch (opt_.scenario) {
    case Scenario::kFanout:
      return sender - opt_.subs;
    case Scenario::kSteps:
    case Scenario::kRooms:
      return sender % opt_.room_size;
    default:
      return 0;
  }
}

uint32_t Plan::slots_per_subscriber() const {
  switch (opt_.scenario) {
    case Scenario::kFanout:
      return opt_.pubs;
    case Scenario::kSteps:
    case Scenario::kRooms:
      return opt_.room_size;
    default:
      return 0;
  }
}

}  // namespace chat::bench
