// Thin helpers over the BSD socket calls the server needs. Errors as values.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace chat::net {

// Resolves "127.0.0.1" / "localhost" / any IPv4 literal, creates a
// non-blocking listening socket bound to host:port (SO_REUSEADDR), with the
// given backlog. Returns the descriptor.
Result<int> listen_tcp(const std::string& host, uint16_t port, int backlog);
// The port a bound socket ended up on (for port 0).
uint16_t local_port(int fd);
// Per-connection options: TCP_NODELAY (we batch writes ourselves).
void tune_accepted_socket(int fd);
// Writes as much of `data` as the socket takes right now, ignoring errors.
// For the one-shot replies to connections we refuse (SERVER_FULL).
void write_best_effort(int fd, const void* data, size_t size);

}  // namespace chat::net
