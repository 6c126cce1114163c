// Newline-terminated text messages over a stream socket between the
// coordinator and a worker process. Reads never block; writes block until the
// whole line is out (lines are small and the peer always reads).
// Single-threaded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chat::bench {

class LineChannel {
 public:
  LineChannel() = default;
  // Takes ownership of `fd` and makes it non-blocking.
  explicit LineChannel(int fd);
  ~LineChannel();
  LineChannel(LineChannel&& other) noexcept;
  LineChannel& operator=(LineChannel&& other) noexcept;
  LineChannel(const LineChannel&) = delete;
  LineChannel& operator=(const LineChannel&) = delete;

  int fd() const { return fd_; }
  bool open() const { return fd_ >= 0 && !eof_; }
  // Reads what is there and appends each complete line (without '\n') to
  // `lines`. Returns false once the peer has closed (lines read before the
  // close are still returned).
  bool read_lines(std::vector<std::string>* lines);
  // Writes `line` and a newline. False when the peer is gone.
  bool write_line(std::string_view line);

 private:
  int fd_ = -1;
  bool eof_ = false;
  std::string in_;
};

}  // namespace chat::bench
