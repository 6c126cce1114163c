// chatd: the chat server. Reads its settings, starts one event loop per
// thread, and runs until SIGINT or SIGTERM, then shuts down cleanly.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "base/logging.h"
#include "chat/metrics_view.h"
#include "chat/server.h"
#include "chat/settings.h"
#include "metrics/http_server.h"

#ifndef CHATD_VERSION
#define CHATD_VERSION "dev"
#endif

int main(int argc, char** argv) {
  std::string info;
  auto settings = chat::parse_settings(argc, argv, &info, CHATD_VERSION);
  if (!info.empty()) {
    std::fputs(info.c_str(), stdout);
    return 0;
  }
  if (!settings) {
    std::fprintf(stderr, "chatd: %s\n", settings.status().message().c_str());
    return 2;
  }
  if (chat::Status st = chat::init_logging(settings->log_level, settings->log_format); !st) {
    std::fprintf(stderr, "chatd: %s\n", st.message().c_str());
    return 2;
  }

  // Every connection is a descriptor: use all the open-files limit allows.
  struct rlimit files {};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (settings->heartbeat >= settings->timeout) {
    spdlog::warn(
        "heartbeat ({} s) is not below timeout ({} s): clients that follow it will be "
        "timed out",
        settings->heartbeat, settings->timeout);
  }

  // Signals are taken synchronously by this thread alone: block them before
  // any loop thread exists so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  chat::Server server(*settings);
  // The metrics and health endpoint: bound first, so a taken address stops
  // chatd before it serves anyone; served (on its own thread) once the
  // loops run. An address the operator chose must work; the default one is
  // best effort, so a second chatd on one machine still starts.
  chat::metrics::HttpServer http;
  bool http_on = false;
  if (!settings->http.empty()) {
    if (chat::Status st = http.listen(settings->http_host, settings->http_port); !st) {
      if (settings->http_set) {
        std::fprintf(stderr, "chatd: http endpoint: %s\n", st.message().c_str());
        return 1;
      }
      spdlog::warn("metrics endpoint off: {} (set --http to a free HOST:PORT, or \"\" for none)",
                   st.message());
    } else {
      http_on = true;
    }
  }
  if (chat::Status st = server.start(); !st) {
    std::fprintf(stderr, "chatd: %s\n", st.message().c_str());
    return 1;
  }
  const chat::Settings& cfg = server.settings();
  spdlog::info(
      "chatd {} listening on {}:{} with {} threads; max_connections {}, max_frame {}, lobby "
      "'{}', auth {}",
      CHATD_VERSION, cfg.host, server.port(), cfg.threads, server.max_connections(), cfg.max_frame,
      cfg.lobby, cfg.jwt_secret.empty() ? "off" : "on (JWT HS256)");
  if (server.web_port() != 0) {
    spdlog::info("chat page on http://{}:{}/ (WebSocket at /ws)", cfg.web_host, server.web_port());
  }
  if (http_on) {
    chat::install_metrics_routes(http, server, CHATD_VERSION);
    http.start();
    spdlog::info("metrics on http://{}:{}/metrics (also /healthz, /readyz, /stats)", cfg.http_host,
                 http.port());
  }

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("chatd: signal {} received; shutting down (grace {} s)", sig, cfg.shutdown_grace);
  server.shutdown();
  server.wait();
  http.stop();
  spdlog::info("chatd: stopped");
  return 0;
}
