// chat: the terminal client of chatd. Parses the flags, then runs either the
// full-screen UI (apps/chat_tui.cc) or script mode (client/script_runner.h)
// on the client library.
#include <fcntl.h>
#include <unistd.h>

#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "base/clock.h"
#include "chat_tui.h"
#include "client/address.h"
#include "client/script_runner.h"
#include "client/session.h"
#include "proto/messages.h"

#ifndef CHATD_VERSION
#define CHATD_VERSION "dev"
#endif

namespace {

struct Flags {
  std::string server = "127.0.0.1:7000";
  std::string user;
  std::string token;
  std::string token_file;
  uint32_t retries = 3;
  std::string script;
  uint64_t linger_ms = 0;
};

chat::Result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return chat::Status::error("cannot read token file " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_ALL, "");  // UTF-8 display and input follow the user's locale
  std::signal(SIGPIPE, SIG_IGN);

  Flags flags;
  if (const char* user = std::getenv("USER")) flags.user = user;

  CLI::App app{
      "chat: the terminal client of chatd.\n"
      "Without --script it opens a full-screen UI; type /help there for the commands.\n"
      "With --script it reads the same commands one per line and writes every event as\n"
      "one JSON object per line (see docs/client.md).\n"
      "Exit status: 0 on /quit or end of script, 1 when it cannot connect or gives up\n"
      "reconnecting (one line on standard error says why), 2 for bad flags."};
  app.set_version_flag("--version", std::string("chat ") + CHATD_VERSION,
                       "Print the version and exit");
  app.add_option("--server", flags.server,
                 "Server address HOST:PORT; several, comma-separated, are tried in turn "
                 "when reconnecting (a:7000,b:7000)")
      ->type_name("HOST:PORT[,...]")
      ->capture_default_str();
  app.add_option("--user", flags.user, "User name to log in as (default: $USER)")
      ->type_name("NAME");
  auto* token = app.add_option("--token", flags.token,
                               "Login token (a JWT, when the server checks them; shows in ps: "
                               "prefer --token-file)")
                    ->type_name("TOKEN");
  app.add_option("--token-file", flags.token_file,
                 "File holding the login token (trailing newline ignored)")
      ->type_name("FILE")
      ->excludes(token);
  app.add_option("--retries", flags.retries,
                 "Reconnect attempts after a lost connection before giving up; 0 = forever")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--script", flags.script,
                 "Run without UI: read commands from FILE ('-' for standard input), print "
                 "events as JSON lines, exit 0 when input ends and every request is answered")
      ->type_name("FILE|-");
  app.add_option("--linger", flags.linger_ms,
                 "Script mode: after the input ends and everything is answered, keep "
                 "printing events for MS milliseconds before leaving")
      ->type_name("MS")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help and --version exit 0
  }

  chat::client::SessionConfig config;
  auto servers = chat::client::parse_server_list(flags.server);
  if (!servers) {
    std::fprintf(stderr, "chat: %s\n", servers.status().message().c_str());
    return 2;
  }
  config.servers = std::move(*servers);
  if (flags.user.empty()) {
    std::fprintf(stderr, "chat: no user name: pass --user NAME (or set $USER)\n");
    return 2;
  }
  if (!chat::proto::valid_name(flags.user)) {
    std::fprintf(stderr,
                 "chat: '%s' is not a valid user name: 1 to 64 bytes of UTF-8, no spaces or "
                 "control characters\n",
                 flags.user.c_str());
    return 2;
  }
  config.user = flags.user;
  config.token = flags.token;
  if (!flags.token_file.empty()) {
    auto t = read_token_file(flags.token_file);
    if (!t) {
      std::fprintf(stderr, "chat: %s\n", t.status().message().c_str());
      return 2;
    }
    config.token = std::move(*t);
  }
  if (config.token.size() > 65'535) {
    std::fprintf(stderr, "chat: the token is longer than 65535 bytes\n");
    return 2;
  }
  config.retries = flags.retries;
  config.client_id = chat::client::random_client_id();
  config.seed = std::random_device{}();

  chat::Clock& clock = chat::SystemClock::instance();
  if (!flags.script.empty()) {
    chat::client::ScriptOptions options;
    options.linger_ms = flags.linger_ms;
    if (flags.script != "-") {
      options.input_fd = ::open(flags.script.c_str(), O_RDONLY | O_CLOEXEC);
      if (options.input_fd < 0) {
        std::fprintf(stderr, "chat: cannot open script %s\n", flags.script.c_str());
        return 2;
      }
    }
    return chat::client::run_script(config, clock, options);
  }
  if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) {
    std::fprintf(stderr, "chat: the interactive UI needs a terminal; use --script for pipes\n");
    return 2;
  }
  return chat::apps::run_tui(config, clock);
}
