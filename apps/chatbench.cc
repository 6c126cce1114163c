// chatbench: the load generator of chatd, and of its rivals (Redis pub/sub,
// MQTT brokers, NATS) with the same scenarios. Parses flags, wires the
// coordinator, prints the result. See docs/benchmarks.md.
#include <arpa/inet.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "bench/coordinator.h"
#include "bench/options.h"
#include "bench/report.h"

namespace {

using chat::bench::Options;

// Descriptors a worker needs besides its connections (epoll, control, stdio).
constexpr uint64_t kReservedFds = 32;

constexpr const char* kDescription =
    R"(chatbench: load generator for chatd and, side by side, Redis, MQTT and NATS.

Usage: chatbench SCENARIO [options]

Scenarios:
  connect  open --conns connections at --rate per second, log in (chat: HELLO;
           peers: their handshake and one subscription), hold them --hold
           seconds with heartbeats, close. Reports login latency and, with
           --server-pid, server and kernel memory per connection.
  fanout   --subs subscribers in one room (topic), --pubs publishers at a total
           --rate messages/s (0 = as fast as --window allows) for --duration s.
           (chat takes SAY only from members: publishers join the room too, but
           are not counted as subscribers.)
  pairs    --conns users; at a total --rate a random user sends privately to a
           random other user (chat: WHISPER; peers: publish to that user's topic).
  steps    stepped load: for each count in --steps, that many users (in rooms
           of --room-size) each send --user-rate messages/s for --step-seconds;
           per step throughput, p50/p99 and error rate.
  rooms    --rooms rooms of --room-size members; members send to their room at
           a total --rate.

Every message body carries its round, sender, per-sender sequence and send time
as text. Deliveries are checked: for chat against the room seq, for the peers
against the per-sender sequence, so lost, duplicate, out-of-order and gap
deliveries are counted exactly, not only latency.

Output: a progress line on standard error once a second; a short summary and,
as the last line of standard output, one JSON object with the parameters,
established/failed connections (by cause), published, acked, expected,
delivered, lost, duplicates, gaps, errors by code, deliveries per second,
latency percentiles in microseconds and the memory figures.

Processes: --procs K forks K workers; each owns every K-th connection (one
process may hold at most the open-files limit, 20,000 here). Use --source to
spread connections over loopback source addresses so ports never run out.)";

void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  std::string scenario;
  std::string target = "chat";
  std::string server;
  std::string sources;
  std::string steps;
  std::string pids;
  bool quiet = false;

  CLI::App app(kDescription, "chatbench");
  app.set_version_flag("--version", CHATD_VERSION);
  app.add_option("scenario", scenario, "connect, fanout, pairs, steps or rooms")->required();
  app.add_option("--target", target, "chat (default), redis, mqtt or nats")
      ->check(CLI::IsMember({"chat", "redis", "mqtt", "nats"}));
  app.add_option("--server", server,
                 "HOST:PORT of the target (default 127.0.0.1 and 7000 chat, 6379 redis, 1883 "
                 "mqtt, 4222 nats); several, comma-separated, spread the users over them "
                 "(user i goes to the (i mod N)-th: nodes of one chatd cluster)");
  app.add_option("--procs", opt.procs, "Worker processes that split the connections")
      ->default_val(1);
  app.add_option("--source", sources,
                 "Source addresses to spread connections over: FIRST-LAST, a comma list, or one "
                 "(e.g. 127.0.0.1-127.0.0.64)");
  app.add_option("--duration", opt.duration_s, "Seconds of sending (fanout, pairs, rooms)")
      ->default_val(10);
  app.add_option("--drain", opt.drain_s,
                 "Seconds to wait after sending for confirmations and then for deliveries")
      ->default_val(5);
  app.add_option("--payload", opt.payload, "Message body size in bytes (at least the header)")
      ->default_val(64);
  app.add_option("--server-pid", pids,
                 "PID[,PID...] of the server process(es): report their VmRSS growth per "
                 "connection and their CPU time")
      ->default_str("");
  app.add_option("--json", opt.json_file, "Also write the JSON result to FILE");
  app.add_option("--conns", opt.conns, "Connections (connect: default 1000; pairs: users, 1000)");
  app.add_option("--rate", opt.rate,
                 "connect: connections per second (default 2000); fanout/pairs/rooms: total "
                 "messages per second (fanout default 0 = as fast as the window allows; pairs "
                 "and rooms default 1000)");
  app.add_option("--hold", opt.hold_s, "connect: seconds to hold the connections")->default_val(5);
  app.add_option("--subs", opt.subs, "fanout: subscribers")->default_val(100);
  app.add_option("--pubs", opt.pubs, "fanout: publishers")->default_val(1);
  app.add_option("--window", opt.window,
                 "Sends a connection may have unconfirmed (chat ACK, Redis reply; MQTT/NATS: "
                 "confirmed by PING markers)")
      ->default_val(8);
  app.add_option("--steps", steps, "steps: user counts, ascending")
      ->default_str("50,500,1000,5000");
  app.add_option("--step-seconds", opt.step_seconds, "steps: seconds of sending per step")
      ->default_val(10);
  app.add_option("--user-rate", opt.user_rate, "steps: messages per second per user")
      ->default_val(1);
  app.add_option("--room-size", opt.room_size, "steps, rooms: members per room")->default_val(50);
  app.add_option("--rooms", opt.rooms, "rooms: number of rooms")->default_val(10);
  app.add_option("--connect-rate", opt.connect_rate,
                 "Connections opened per second during setup (connect: --rate)")
      ->default_val(5000);
  app.add_option("--connect-timeout", opt.connect_timeout_s,
                 "Seconds a connection may take to connect, log in and subscribe")
      ->default_val(30);
  app.add_option("--seed", opt.seed, "Random seed (pairs: who sends to whom)")->default_val(1);
  app.add_flag("--quiet", quiet, "No progress line");
  CLI11_PARSE(app, argc, argv);

  auto fail = [](const std::string& msg) {
    std::cerr << "chatbench: " << msg << "\n";
    return 2;
  };
  if (!chat::bench::parse_scenario(scenario, &opt.scenario)) {
    return fail("unknown scenario '" + scenario + "' (connect, fanout, pairs, steps, rooms)");
  }
  chat::bench::parse_target(target, &opt.target);
  if (!server.empty()) {
    auto s = chat::bench::parse_servers(server);
    if (!s) return fail(s.status().message());
    opt.servers = *s;
  }
  if (!sources.empty()) {
    auto s = chat::bench::parse_sources(sources);
    if (!s) return fail(s.status().message());
    opt.sources = *s;
  }
  if (!steps.empty()) {
    auto s = chat::bench::parse_steps(steps);
    if (!s) return fail(s.status().message());
    opt.steps = *s;
  }
  if (!pids.empty()) {
    auto p = chat::bench::parse_pids(pids);
    if (!p) return fail(p.status().message());
    opt.server_pids = *p;
  }
  opt.progress = !quiet;
  if (auto s = opt.finalize(); !s) return fail(s.message());

  raise_fd_limit();
  chat::bench::Plan plan(opt);
  // Each worker holds its share of the connections plus a few files of its own.
  rlimit rl{};
  uint64_t per_proc = (plan.users() + static_cast<uint64_t>(opt.procs) - 1) / opt.procs;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      per_proc + kReservedFds > rl.rlim_cur) {
    return fail(std::to_string(plan.users()) + " connections need " + std::to_string(per_proc) +
                " descriptors per process, over the open-files limit of " +
                std::to_string(rl.rlim_cur) + ": spread them with --procs");
  }
  chat::bench::Coordinator coordinator(plan);
  auto result = coordinator.run();
  if (!result) return fail(result.status().message());

  std::string json = chat::bench::format_json(plan, *result);
  if (!opt.json_file.empty()) {
    std::ofstream f(opt.json_file);
    f << json << "\n";
    if (!f) std::cerr << "chatbench: cannot write " << opt.json_file << "\n";
  }
  std::cout << chat::bench::format_summary(plan, *result) << json << std::endl;
  return result->workers_lost > 0 || result->setup->established == 0 ? 1 : 0;
}
