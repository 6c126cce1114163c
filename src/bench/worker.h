// One worker process of a run: owns the connections of the users whose index
// modulo procs is its own, drives them with its Engine and Driver, and obeys
// the coordinator's commands over a LineChannel:
//
//   coordinator -> worker            worker -> coordinator
//   SETUP <active users>             READY <stats>          (all of them up or failed)
//   ROUND <n> <total rate> <secs>    ARMED                  (counting round n's deliveries)
//   GO                               ACKED <rooms...>       (sending over, sends confirmed)
//   END                              ROUND <stats>          (the round's counts)
//   CLOSE                            FINAL <stats>          (then the process exits)
//                                    PROG <counters>        (four times a second)
//
// Single-threaded: everything runs in run()'s loop.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench/client.h"
#include "bench/driver.h"
#include "bench/engine.h"
#include "bench/line_channel.h"
#include "bench/options.h"
#include "bench/stats.h"
#include "bench/tracking.h"

namespace chat::bench {

class Worker final : public EngineHandler, public DriverSink {
 public:
  // `control_fd` is this worker's end of the coordinator's socket (owned).
  Worker(const Plan& plan, int index, int control_fd);
  ~Worker() override;
  // Runs until CLOSE is done or the coordinator goes away. Returns the exit code.
  int run();

 private:
  enum class Phase : uint8_t { kIdle, kSetup, kSending, kConfirming, kDraining, kClosing, kDone };

  // commands
  void handle_command(std::string_view line);
  void start_setup(uint32_t active);
  // A round starts in two steps, so that no worker sends before every worker
  // counts the round's deliveries.
  void arm_round(uint32_t round, double total_rate, double seconds);
  void start_sending();
  void stop_sending();
  void start_close();
  void report(std::string_view kind, bool with_rss);
  void progress();

  // loop steps
  void pump_connects(int64_t now);
  void pump_sends(int64_t now);
  void tick(int64_t now);
  void check_phase(int64_t now);

  // sending
  bool can_send(const Client& c) const;
  void send_one(Client& c, int64_t now);
  void confirm(Client& c, uint32_t n);
  void refill(Client& c);
  void make_ready(Client& c);

  // EngineHandler
  void on_connected(Client& c) override;
  ptrdiff_t on_data(Client& c, std::span<const uint8_t> data) override;
  void on_closed(Client& c, ClientState was, std::string_view cause) override;
  void on_control_readable() override;

  // DriverSink
  void on_logged_in(Client& c, uint32_t heartbeat_s) override;
  void on_subscribed(Client& c, uint64_t base_seq) override;
  void on_refused(Client& c, std::string_view cause) override;
  void on_send_acked(Client& c, uint64_t id) override;
  void on_send_refused(Client& c, std::string_view code) override;
  void on_marker(Client& c) override;
  void on_delivery(Client& c, Topic t, uint64_t room_seq, std::string_view body) override;
  void on_error(Client& c, std::string_view code) override;

  const Plan& plan_;
  const Options& opt_;
  int index_;
  LineChannel control_;
  std::vector<Client> clients_;
  Engine engine_;
  std::unique_ptr<Driver> driver_;
  std::vector<sockaddr_in> servers_;  // user i connects to servers_[i % size]
  std::mt19937_64 rng_;

  Phase phase_ = Phase::kIdle;
  std::unique_ptr<Stats> cur_;  // counts since the last report
  uint64_t ready_ = 0;          // clients in kReady
  uint64_t in_flight_ = 0;      // clients connecting, logging in or subscribing
  uint64_t life_sent_ = 0;      // for the progress line
  uint64_t life_delivered_ = 0;
  uint64_t life_problems_ = 0;

  // setup
  uint32_t active_ = 0;      // users 0 .. active_-1 take part
  size_t next_connect_ = 0;  // next client to connect
  int64_t setup_start_us_ = 0;
  size_t setup_started_ = 0;  // clients connected in this setup
  size_t setup_target_ = 0;   // clients to connect in this setup
  size_t next_source_ = 0;

  // round
  uint32_t round_ = 0;
  bool measuring_ = false;
  bool window_mode_ = false;  // rate 0: as fast as the window allows
  double local_rate_ = 0;     // sends per second for this worker
  double round_seconds_ = 0;
  int64_t round_start_us_ = 0;
  int64_t round_cpu_start_us_ = 0;
  int64_t send_end_us_ = 0;
  int64_t confirm_deadline_us_ = 0;
  uint64_t attempted_ = 0;  // sends due so far (sent or skipped)
  std::vector<uint32_t> senders_;
  size_t next_sender_ = 0;
  std::vector<uint64_t> room_acked_;
  std::vector<uint32_t> room_members_;
  uint64_t self_acked_ = 0;
  uint64_t private_acked_ = 0;
  uint32_t sync_every_ = 1;
  std::vector<uint32_t> sender_last_;  // peers: last seq per (subscriber, sender slot)
  std::unique_ptr<PairSeqTable> pairs_;
  std::string body_buf_;

  // closing
  int64_t close_deadline_us_ = 0;
  int64_t next_tick_us_ = 0;
  int64_t next_progress_us_ = 0;
};

}  // namespace chat::bench
