// The seam between a Session (protocol logic, no sockets) and whatever moves
// its bytes: a TCP connection in the real client, a recording fake in tests.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "client/address.h"

namespace chat::client {

// Thread: called only from the thread that runs the Session.
class Transport {
 public:
  virtual ~Transport() = default;
  // Starts connecting to `addr`, dropping any previous connection. Success
  // later arrives as Session::on_connected, failure as Session::on_closed.
  // An error returned here (a name that does not resolve) is final for this
  // attempt and no callback follows.
  virtual Status connect(const ServerAddress& addr) = 0;
  // Queues whole frames for sending. REQUIRES: connected.
  virtual void send(std::string_view bytes) = 0;
  // Drops the connection now. No callback follows.
  virtual void close() = 0;
  // The largest frame the server will send (WELCOME max_frame): a bound for
  // reassembly buffers.
  virtual void set_max_frame(uint32_t bytes) { (void)bytes; }
};

}  // namespace chat::client
