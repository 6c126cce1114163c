// Helpers for the metrics integration tests: a plain HTTP GET, Prometheus
// text parsing, running promtool, and a child process (prometheus) the test
// owns. Test code only.
//
// Every wait is bounded. Single-threaded: used from the test's thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace chat::itest {

// A port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
uint16_t free_local_port();
// Listens on a free port of 127.0.0.1 (so starting a server there fails):
// returns the descriptor, which the caller closes, and sets *port. -1 on error.
int listen_on_free_port(uint16_t* port);

struct HttpReply {
  int status = 0;
  std::string headers;  // the status line and headers, as sent
  std::string body;
};

// GET http://127.0.0.1:port<target> (HTTP/1.0, so the reply ends at EOF and
// is never chunked). nullopt when the connection fails or the timeout passes.
std::optional<HttpReply> http_get(
    uint16_t port, const std::string& target,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
// Sends `raw` as is and returns what comes back until EOF (or the timeout).
std::string http_raw(uint16_t port, const std::string& raw,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

// Prometheus text format: every sample line as "name{labels}" -> value
// (the series text exactly as written), and the set of sample names.
struct Scrape {
  std::map<std::string, double> samples;
  std::set<std::string> names;
  std::string text;

  // The value of one series, or nullopt when absent.
  std::optional<double> get(const std::string& series) const;
};
Scrape parse_scrape(const std::string& text);

// Percent-encodes everything but unreserved characters (for a query string).
std::string url_encode(const std::string& s);

// True when `program` is on PATH.
bool have_program(const std::string& program);

// Runs `command` through /bin/sh; returns its exit status (-1 if it could
// not run) and sets *output to its stdout and stderr together.
int run_command(const std::string& command, std::string* output);

// Polls `probe` every 100 ms until it returns true or `timeout` passes.
bool wait_until(const std::function<bool()>& probe, std::chrono::milliseconds timeout);

// A child process started from argv, its output in a log file. The
// destructor SIGTERMs it (SIGKILL after 10 s) and reaps it. Owns only its pid.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool start(const std::vector<std::string>& argv, const std::string& log_path);
  bool running();
  void stop();
  std::string read_log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// A directory under /tmp removed, with its contents, by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace chat::itest
