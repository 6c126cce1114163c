// What a chatbench run does: the parsed command line (Options) and the
// deterministic plan derived from it (Plan: which user subscribes where and
// who sends), identical in every worker process. Pure; no I/O.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace chat::bench {

enum class Scenario : uint8_t { kConnect, kFanout, kPairs, kSteps, kRooms };
enum class Target : uint8_t { kChat, kRedis, kMqtt, kNats };

std::string_view scenario_name(Scenario s);
std::string_view target_name(Target t);
bool parse_scenario(std::string_view s, Scenario* out);
bool parse_target(std::string_view s, Target* out);
// The port each target listens on by default.
uint16_t default_port(Target t);

inline constexpr uint32_t kNoRoom = UINT32_MAX;

// One server address: an IPv4 address (or "localhost") and a port (0: the
// target's default).
struct ServerAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
};

struct Options {
  Scenario scenario = Scenario::kConnect;
  Target target = Target::kChat;
  std::string host = "127.0.0.1";  // the first of `servers`
  uint16_t port = 0;               // 0: the target's default
  // Every server to connect to (several: nodes of one chatd cluster); user
  // i connects to servers[i % size]. Empty means {host:port}.
  std::vector<ServerAddress> servers;
  int procs = 1;
  std::vector<uint32_t> sources;  // IPv4 source addresses, host order; empty: kernel's choice
  double duration_s = 10;
  double drain_s = 5;
  size_t payload = 64;
  std::vector<pid_t> server_pids;
  std::string json_file;
  // connect
  uint32_t conns = 0;  // 0: the scenario's default
  double rate = -1;    // < 0: the scenario's default
  double hold_s = 5;
  // fanout
  uint32_t subs = 100;
  uint32_t pubs = 1;
  uint32_t window = 8;
  // steps
  std::vector<uint32_t> steps = {50, 500, 1000, 5000};
  double step_seconds = 10;
  double user_rate = 1;
  uint32_t room_size = 50;
  // rooms
  uint32_t rooms = 10;
  // setup
  double connect_rate = 5000;
  double connect_timeout_s = 30;
  bool progress = true;
  uint64_t seed = 1;

  // Fills in the scenario defaults and checks the combination.
  Status finalize();
};

// "127.0.0.1-127.0.0.64", "127.0.0.1,127.0.0.2" or one address.
Result<std::vector<uint32_t>> parse_sources(std::string_view text);
// "50,500,1000" -> {50, 500, 1000}; each at least 1, ascending.
Result<std::vector<uint32_t>> parse_steps(std::string_view text);
// "HOST:PORT[,HOST:PORT...]" -> addresses; HOST is an IPv4 address or
// localhost, PORT 1-65535.
Result<std::vector<ServerAddress>> parse_servers(std::string_view text);
// "123,456" -> pids.
Result<std::vector<pid_t>> parse_pids(std::string_view text);

// One user's part in the scenario.
struct Role {
  uint32_t room = kNoRoom;    // room it joins (subscriber) and/or sends to
  bool subscriber = false;    // member of `room`
  bool room_sender = false;   // sends to `room`
  bool private_peer = false;  // sends to and receives from other users privately
};

// Which connections exist and what each does. A worker owns the users whose
// index modulo procs is its own index.
class Plan {
 public:
  explicit Plan(const Options& opt);

  uint32_t users() const { return users_; }
  uint32_t rooms() const { return rooms_; }
  Role role(uint32_t user) const;

  // Measuring rounds: steps has one per step, connect none, the rest one.
  size_t round_count() const;
  // Users connected during round `r` (users 0 .. n-1).
  uint32_t round_users(size_t r) const;
  // Total send rate of round `r` in messages per second; 0: as fast as the
  // window allows.
  double round_rate(size_t r) const;
  double round_seconds(size_t r) const;
  // Users that send in a round with `active` users.
  uint32_t senders(uint32_t active) const;

  // For per-sender order checks by the peers: the slot of `sender` in a
  // subscriber's table, and the table's size per subscriber.
  uint32_t sender_slot(uint32_t sender) const;
  uint32_t slots_per_subscriber() const;

  const Options& options() const { return opt_; }

 private:
  Options opt_;
  uint32_t users_ = 0;
  uint32_t rooms_ = 0;
};

}  // namespace chat::bench
