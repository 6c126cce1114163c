#include "client/client_loop.h"

#include <cerrno>
#include <limits>
#include <vector>

namespace chat::client {

ClientLoop::ClientLoop(SessionConfig config, Clock& clock, Session::EventSink sink)
    : clock_(clock), session_(std::move(config), clock, *this, std::move(sink)) {}

Status ClientLoop::connect(const ServerAddress& addr) { return connection_.open(addr); }
void ClientLoop::send(std::string_view bytes) { connection_.send(bytes); }
void ClientLoop::close() { connection_.close(); }
void ClientLoop::set_max_frame(uint32_t bytes) { connection_.set_max_frame(bytes); }

int ClientLoop::run_once(std::span<pollfd> extra, int max_wait_ms) {
  std::vector<pollfd> fds(extra.begin(), extra.end());
  for (pollfd& p : fds) p.revents = 0;
  const bool watch_connection = connection_.is_open();
  if (watch_connection) fds.push_back(pollfd{connection_.fd(), connection_.poll_events(), 0});

  int wait_ms = max_wait_ms;
  const uint64_t deadline = session_.next_deadline_ms();
  if (deadline != std::numeric_limits<uint64_t>::max()) {
    const uint64_t now = clock_.mono_ms();
    const uint64_t until = deadline > now ? deadline - now : 0;
    const int timer_ms = static_cast<int>(std::min<uint64_t>(until, 60'000));
    wait_ms = wait_ms < 0 ? timer_ms : std::min(wait_ms, timer_ms);
  }
  const int n = ::poll(fds.data(), fds.size(), wait_ms);
  if (n < 0 && errno != EINTR) return -1;

  if (n > 0 && watch_connection && connection_.is_open()) {
    const short revents = fds.back().revents;
    TcpConnection::Outcome out =
        connection_.on_ready(revents, [this](uint8_t type, std::span<const uint8_t> payload) {
          session_.on_frame(type, payload);
        });
    if (out.connected) session_.on_connected();
    if (out.closed) session_.on_closed(out.reason);
  }
  session_.tick();

  int ready = 0;
  for (size_t i = 0; i < extra.size(); ++i) {
    extra[i].revents = n > 0 ? fds[i].revents : 0;
    if (extra[i].revents != 0) ++ready;
  }
  return ready;
}

}  // namespace chat::client
