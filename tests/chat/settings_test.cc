#include "chat/settings.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace chat {
namespace {

class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "chatd_settings_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const auto& f : files_) std::remove(f.c_str());
    ::rmdir(dir_.c_str());
  }

  // Writes `text` to a file in the test's temp dir and returns its path.
  std::string write_file(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    files_.push_back(path);
    return path;
  }

  Result<Settings> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "chatd");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    out_ = "left over";
    auto r = parse_settings(static_cast<int>(args.size()), argv.data(), &out_, "1.2.3");
    if (r && args.size() == 1) {
      EXPECT_TRUE(out_.empty());
    }
    return r;
  }

  // Expects a refusal whose message contains every one of `words`.
  void expect_refused(std::vector<std::string> args, std::vector<std::string> words) {
    auto r = parse(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    ASSERT_FALSE(r) << "accepted: " << joined;
    const std::string& msg = r.status().message();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& w : words) EXPECT_NE(msg.find(w), std::string::npos) << msg << " lacks " << w;
  }

  void expect_file_refused(const std::string& toml, std::vector<std::string> words) {
    const std::string path = write_file("bad.toml", toml);
    words.push_back(path);
    expect_refused({"--config", path}, words);
  }

  std::string dir_;
  std::vector<std::string> files_;
  std::string out_;
};

TEST_F(SettingsTest, Defaults) {
  auto r = parse({});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_TRUE(out_.empty());
  const Settings& s = *r;
  EXPECT_EQ(s.max_frame, 65536u);
  EXPECT_EQ(s.max_body, 4096u);
  EXPECT_EQ(s.login_timeout, 10u);
  EXPECT_EQ(s.max_sessions, 8u);
  EXPECT_EQ(s.lobby, "lobby");
  EXPECT_EQ(s.heartbeat, 30u);
  EXPECT_EQ(s.timeout, 60u);
  EXPECT_EQ(s.max_watch, 1024u);
  EXPECT_EQ(s.history, 100u);
  EXPECT_EQ(s.room_event_limit, 1000u);
  EXPECT_EQ(s.max_outbound, 262144u);
  EXPECT_EQ(s.rate, 50u);
  EXPECT_EQ(s.burst, 100u);
  EXPECT_EQ(s.max_rooms, 64u);
  EXPECT_EQ(s.max_connections, 0u);
  EXPECT_EQ(s.listen, "127.0.0.1:7000");
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 7000);
  EXPECT_EQ(s.threads, default_thread_count());
  EXPECT_GE(s.threads, 1u);
  EXPECT_LE(s.threads, 256u);
  EXPECT_EQ(s.jwt_secret, "");
  EXPECT_EQ(s.jwt_secret_file, "");
  EXPECT_EQ(s.shutdown_grace, 5u);
  EXPECT_EQ(s.log_level, "info");
  EXPECT_EQ(s.log_format, "text");
  EXPECT_EQ(s.config, "");
  EXPECT_TRUE(validate_settings(s));
}

TEST_F(SettingsTest, EveryNumberFlag) {
  auto r = parse({"--max-frame",
                  "70000",
                  "--max-body",
                  "5000",
                  "--login-timeout",
                  "7",
                  "--max-sessions",
                  "3",
                  "--heartbeat",
                  "11",
                  "--timeout",
                  "22",
                  "--max-watch",
                  "5",
                  "--history",
                  "0",
                  "--room-event-limit",
                  "9",
                  "--max-outbound",
                  "100000",
                  "--rate",
                  "4",
                  "--burst",
                  "6",
                  "--max-rooms",
                  "2",
                  "--max-connections",
                  "500",
                  "--threads",
                  "3",
                  "--shutdown-grace",
                  "0"});
  ASSERT_TRUE(r) << r.status().message();
  const Settings& s = *r;
  EXPECT_EQ(s.max_frame, 70000u);
  EXPECT_EQ(s.max_body, 5000u);
  EXPECT_EQ(s.login_timeout, 7u);
  EXPECT_EQ(s.max_sessions, 3u);
  EXPECT_EQ(s.heartbeat, 11u);
  EXPECT_EQ(s.timeout, 22u);
  EXPECT_EQ(s.max_watch, 5u);
  EXPECT_EQ(s.history, 0u);
  EXPECT_EQ(s.room_event_limit, 9u);
  EXPECT_EQ(s.max_outbound, 100000u);
  EXPECT_EQ(s.rate, 4u);
  EXPECT_EQ(s.burst, 6u);
  EXPECT_EQ(s.max_rooms, 2u);
  EXPECT_EQ(s.max_connections, 500u);
  EXPECT_EQ(s.threads, 3u);
  EXPECT_EQ(s.shutdown_grace, 0u);
}

TEST_F(SettingsTest, EveryStringFlag) {
  auto r = parse({"--lobby", "general", "--listen", "0.0.0.0:8080", "--jwt-secret", "s3cret",
                  "--log-level", "debug", "--log-format", "json"});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->lobby, "general");
  EXPECT_EQ(r->listen, "0.0.0.0:8080");
  EXPECT_EQ(r->host, "0.0.0.0");
  EXPECT_EQ(r->port, 8080);
  EXPECT_EQ(r->jwt_secret, "s3cret");
  EXPECT_EQ(r->log_level, "debug");
  EXPECT_EQ(r->log_format, "json");
}

TEST_F(SettingsTest, EqualsFormAndEmptyLobby) {
  auto r = parse({"--max-frame=70000", "--lobby="});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->max_frame, 70000u);
  EXPECT_EQ(r->lobby, "");
  r = parse({"--lobby", ""});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->lobby, "");
}

TEST_F(SettingsTest, LastOfARepeatedFlagWins) {
  auto r = parse({"--rate", "1", "--rate", "2"});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->rate, 2u);
}

TEST_F(SettingsTest, ListenAcceptsLocalhostAndLimits) {
  auto r = parse({"--listen", "localhost:1"});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->host, "127.0.0.1");
  EXPECT_EQ(r->port, 1);
  EXPECT_EQ(r->listen, "localhost:1");
  r = parse({"--listen", "10.1.2.3:65535"});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->host, "10.1.2.3");
  EXPECT_EQ(r->port, 65535);
}

TEST_F(SettingsTest, JwtSecretFileIsReadWithoutTrailingNewline) {
  const std::string path = write_file("secret", "top secret value\n");
  auto r = parse({"--jwt-secret-file", path});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->jwt_secret, "top secret value");
  EXPECT_EQ(r->jwt_secret_file, path);
  const std::string crlf = write_file("secret_crlf", "abc\r\n");
  r = parse({"--jwt-secret-file", crlf});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->jwt_secret, "abc");
  const std::string bare = write_file("secret_bare", "no newline");
  r = parse({"--jwt-secret-file", bare});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->jwt_secret, "no newline");
}

TEST_F(SettingsTest, HelpListsEveryFlagWithItsDefault) {
  auto r = parse({"--help"});
  ASSERT_TRUE(r) << r.status().message();
  for (const char* flag :
       {"--max-frame", "--max-body",         "--login-timeout",   "--max-sessions",
        "--lobby",     "--heartbeat",        "--timeout",         "--max-watch",
        "--history",   "--room-event-limit", "--max-outbound",    "--rate",
        "--burst",     "--max-rooms",        "--max-connections", "--listen",
        "--threads",   "--jwt-secret",       "--jwt-secret-file", "--shutdown-grace",
        "--log-level", "--log-format",       "--config",          "--version",
        "--help"}) {
    EXPECT_NE(out_.find(flag), std::string::npos) << "help lacks " << flag;
  }
  for (const char* def : {"65536", "4096", "262144", "127.0.0.1:7000", "lobby", "info", "text"}) {
    EXPECT_NE(out_.find(def), std::string::npos) << "help lacks default " << def;
  }
  // -h too, and help wins over other (even bad) flags.
  r = parse({"--max-frame", "1", "-h"});
  ASSERT_TRUE(r);
  EXPECT_NE(out_.find("--max-frame"), std::string::npos);
}

TEST_F(SettingsTest, Version) {
  auto r = parse({"--version"});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(out_, "chatd 1.2.3\n");
}

TEST_F(SettingsTest, FileSetsEveryKey) {
  const std::string secret = write_file("secret", "from-file\n");
  const std::string path = write_file("all.toml", R"(# every key
max_frame = 70000
max_body = 5000
login_timeout = 7
max_sessions = 3
lobby = "hall"
heartbeat = 11
timeout = 22
max_watch = 5
history = 10
room_event_limit = 9
max_outbound = 100000
rate = 4
burst = 6
max_rooms = 2
max_connections = 500
listen = "127.0.0.2:9000"
threads = 3
jwt_secret_file = ")" + secret + R"("
shutdown_grace = 1
log_level = "warn"
log_format = "json"
)");
  auto r = parse({"--config", path});
  ASSERT_TRUE(r) << r.status().message();
  const Settings& s = *r;
  EXPECT_EQ(s.config, path);
  EXPECT_EQ(s.max_frame, 70000u);
  EXPECT_EQ(s.max_body, 5000u);
  EXPECT_EQ(s.login_timeout, 7u);
  EXPECT_EQ(s.max_sessions, 3u);
  EXPECT_EQ(s.lobby, "hall");
  EXPECT_EQ(s.heartbeat, 11u);
  EXPECT_EQ(s.timeout, 22u);
  EXPECT_EQ(s.max_watch, 5u);
  EXPECT_EQ(s.history, 10u);
  EXPECT_EQ(s.room_event_limit, 9u);
  EXPECT_EQ(s.max_outbound, 100000u);
  EXPECT_EQ(s.rate, 4u);
  EXPECT_EQ(s.burst, 6u);
  EXPECT_EQ(s.max_rooms, 2u);
  EXPECT_EQ(s.max_connections, 500u);
  EXPECT_EQ(s.host, "127.0.0.2");
  EXPECT_EQ(s.port, 9000);
  EXPECT_EQ(s.threads, 3u);
  EXPECT_EQ(s.jwt_secret, "from-file");
  EXPECT_EQ(s.shutdown_grace, 1u);
  EXPECT_EQ(s.log_level, "warn");
  EXPECT_EQ(s.log_format, "json");
}

TEST_F(SettingsTest, FlagOverridesFile) {
  const std::string path = write_file("c.toml", "max_body = 1000\nlobby = \"\"\nrate = 7\n");
  auto r = parse({"--rate", "9", "--config", path, "--lobby", "main"});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->max_body, 1000u);  // from the file
  EXPECT_EQ(r->rate, 9u);         // the flag wins, wherever it stands
  EXPECT_EQ(r->lobby, "main");
  r = parse({"--config", path});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->lobby, "");  // the file may turn the lobby off
  EXPECT_EQ(r->rate, 7u);
}

TEST_F(SettingsTest, CrossChecksSeeFileAndFlagsTogether) {
  // The file alone breaks max_frame >= max_body + 256; the flag repairs it.
  const std::string path = write_file("c.toml", "max_frame = 1000\n");
  expect_refused({"--config", path}, {"max_frame", "max_body + 256"});
  auto r = parse({"--config", path, "--max-body", "744"});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->max_frame, 1000u);
}

TEST_F(SettingsTest, RefusesBadFlags) {
  expect_refused({"--nope", "1"}, {"--nope"});
  expect_refused({"extra"}, {"extra"});
  expect_refused({"--max-frame"}, {"--max-frame"});
  expect_refused({"--max-frame", "abc"}, {"--max-frame", "whole number", "abc"});
  expect_refused({"--max-frame", "1.5"}, {"--max-frame", "whole number"});
  expect_refused({"--max-frame", ""}, {"--max-frame", "whole number"});
  expect_refused({"--max-frame=-5"}, {"--max-frame", "negative"});
  expect_refused({"--history", "99999999999999999999999"}, {"--history", "at most"});
  expect_refused({"--history", "100001"}, {"--history", "at most 100000"});
  expect_refused({"--heartbeat", "65536"}, {"--heartbeat", "at most 65535"});
  expect_refused({"--timeout", "70000"}, {"--timeout", "65535"});
  expect_refused({"--timeout", "0"}, {"--timeout", "at least 1"});
  expect_refused({"--threads", "0"}, {"--threads", "at least 1"});
  expect_refused({"--threads", "257"}, {"--threads", "at most 256"});
  expect_refused({"--rate", "0"}, {"--rate", "at least 1"});
  expect_refused({"--burst", "0"}, {"--burst", "at least 1"});
  expect_refused({"--max-rooms", "0"}, {"--max-rooms"});
  expect_refused({"--max-sessions", "0"}, {"--max-sessions"});
  expect_refused({"--login-timeout", "0"}, {"--login-timeout"});
  expect_refused({"--max-body", "65536"}, {"--max-body", "65535"});
  expect_refused({"--max-body", "0"}, {"--max-body"});
  expect_refused({"--max-frame", "99999999"}, {"--max-frame", "at most"});
  expect_refused({"--max-connections", "4294967296"}, {"--max-connections"});
  expect_refused({"--shutdown-grace", "3601"}, {"--shutdown-grace"});
  expect_refused({"--log-level", "loud"}, {"--log-level", "loud"});
  expect_refused({"--log-format", "xml"}, {"--log-format", "xml"});
}

TEST_F(SettingsTest, RefusesBadListen) {
  expect_refused({"--listen", "127.0.0.1"}, {"--listen", "HOST:PORT"});
  expect_refused({"--listen", "127.0.0.1:0"}, {"--listen", "port"});
  expect_refused({"--listen", "127.0.0.1:65536"}, {"--listen", "port"});
  expect_refused({"--listen", "127.0.0.1:"}, {"--listen", "port"});
  expect_refused({"--listen", "127.0.0.1:80x"}, {"--listen", "port"});
  expect_refused({"--listen", "127.0.0.1:-1"}, {"--listen", "port"});
  expect_refused({"--listen", "example.com:7000"}, {"--listen", "IPv4"});
  expect_refused({"--listen", "256.1.1.1:7000"}, {"--listen", "IPv4"});
  expect_refused({"--listen", ":7000"}, {"--listen", "IPv4"});
  expect_refused({"--listen", "::1:7000"}, {"--listen", "IPv4"});
}

TEST_F(SettingsTest, RefusesBadLobbyNames) {
  expect_refused({"--lobby", "two words"}, {"--lobby", "room name"});
  expect_refused({"--lobby", "tab\there"}, {"--lobby"});
  expect_refused({"--lobby", "bell\x07"}, {"--lobby"});
  expect_refused({"--lobby", "del\x7f"}, {"--lobby"});
  expect_refused({"--lobby", std::string(65, 'a')}, {"--lobby"});
  expect_refused({"--lobby", "bad\xff"}, {"--lobby"});
  auto r = parse({"--lobby", std::string(64, 'a')});
  EXPECT_TRUE(r) << r.status().message();
  r = parse({"--lobby", "café"});
  EXPECT_TRUE(r) << r.status().message();
}

TEST_F(SettingsTest, RefusesInconsistentSettings) {
  expect_refused({"--max-frame", "4351"}, {"max_frame (4351)", "max_body + 256 (4352)"});
  EXPECT_TRUE(parse({"--max-frame", "4352"}));
  expect_refused({"--max-body", "65535"}, {"max_frame", "max_body + 256"});
  // Only max_frame vs max_body is a hard rule (PROTOCOL.md §8); these are
  // legal (tests shorten the timeout alone, or shrink the output bound).
  EXPECT_TRUE(parse({"--timeout", "2"}));
  EXPECT_TRUE(parse({"--max-outbound", "1024"}));
}

TEST_F(SettingsTest, RefusesBadJwtSources) {
  const std::string secret = write_file("secret", "abc\n");
  expect_refused({"--jwt-secret", "x", "--jwt-secret-file", secret},
                 {"jwt_secret", "jwt_secret_file", "not both"});
  expect_refused({"--jwt-secret-file", dir_ + "/missing"}, {"jwt_secret_file", "missing"});
  const std::string empty = write_file("empty", "\n");
  expect_refused({"--jwt-secret-file", empty}, {"jwt_secret_file", "empty"});
  const std::string huge = write_file("huge", std::string(70'000, 'k'));
  expect_refused({"--jwt-secret-file", huge}, {"jwt_secret_file", "larger"});
}

TEST_F(SettingsTest, RefusesBadFiles) {
  expect_refused({"--config", dir_ + "/missing.toml"}, {"config", "missing.toml", "cannot open"});
  expect_file_refused("max_frame = \n", {"line 1"});
  expect_file_refused("max_frame = 1\nmax_frame = 2\n", {"line 2"});
  expect_file_refused("\nmax_frames = 70000\n", {"line 2", "unknown key 'max_frames'"});
  expect_file_refused("max-frame = 70000\n", {"unknown key 'max-frame'"});
  expect_file_refused("config = \"other.toml\"\n", {"unknown key 'config'"});
  expect_file_refused("[server]\nmax_frame = 70000\n", {"unknown key 'server'"});
  expect_file_refused("max_frame = \"70000\"\n", {"max_frame", "whole number", "string"});
  expect_file_refused("max_frame = 70000.0\n", {"max_frame", "whole number", "float"});
  expect_file_refused("max_frame = true\n", {"max_frame", "whole number", "boolean"});
  expect_file_refused("max_frame = [1]\n", {"max_frame", "whole number", "array"});
  expect_file_refused("lobby = 5\n", {"lobby", "string", "integer"});
  expect_file_refused("listen = { host = \"x\" }\n", {"listen", "string", "table"});
  expect_file_refused("rate = -1\n", {"rate", "negative"});
  expect_file_refused("heartbeat = 65536\n", {"heartbeat", "at most 65535"});
  expect_file_refused("threads = 0\n", {"line 1", "threads", "at least 1"});
  expect_file_refused("history = 100001\n", {"history"});
  expect_file_refused("lobby = \"a b\"\n", {"lobby", "room name"});
  expect_file_refused("listen = \"localhost\"\n", {"listen", "HOST:PORT"});
  expect_file_refused("log_format = \"yaml\"\n", {"log_format"});
  expect_file_refused("max_connections = 9999999999\n", {"max_connections", "at most"});
}

TEST_F(SettingsTest, HttpEndpointFromDefaultFlagAndFile) {
  auto r = parse({});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->http, "127.0.0.1:7001");
  EXPECT_EQ(r->http_host, "127.0.0.1");
  EXPECT_EQ(r->http_port, 7001);
  EXPECT_FALSE(r->http_set);

  r = parse({"--http", "localhost:9100"});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->http, "localhost:9100");
  EXPECT_EQ(r->http_host, "127.0.0.1");
  EXPECT_EQ(r->http_port, 9100);
  EXPECT_TRUE(r->http_set);

  r = parse({"--http="});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->http, "");
  EXPECT_TRUE(r->http_set);

  const std::string path = write_file("http.toml", "http = \"0.0.0.0:9200\"\n");
  r = parse({"--config", path});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->http_host, "0.0.0.0");
  EXPECT_EQ(r->http_port, 9200);
  EXPECT_TRUE(r->http_set);

  expect_refused({"--http", "127.0.0.1"}, {"--http", "HOST:PORT"});
  expect_refused({"--http", "127.0.0.1:0"}, {"--http", "port"});
  expect_refused({"--http", "example.com:80"}, {"--http", "IPv4"});
  expect_file_refused("http = 7001\n", {"http", "string"});

  r = parse({"--help"});
  ASSERT_TRUE(r);
  EXPECT_NE(out_.find("--http"), std::string::npos);
  EXPECT_NE(out_.find("127.0.0.1:7001"), std::string::npos);
}

TEST_F(SettingsTest, WebListenerAndOrigins) {
  auto r = parse({});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->web, "127.0.0.1:7080");
  EXPECT_EQ(r->web_port, 7080);
  EXPECT_FALSE(r->web_set);
  EXPECT_EQ(r->web_origins, "");

  r = parse({"--web", "localhost:8080", "--web-origins", "http://a.example:80, https://b.example"});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->web_host, "127.0.0.1");
  EXPECT_EQ(r->web_port, 8080);
  EXPECT_TRUE(r->web_set);
  EXPECT_EQ(r->web_origins, "http://a.example:80, https://b.example");

  r = parse({"--web="});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->web, "");
  EXPECT_TRUE(r->web_set);

  const std::string path =
      write_file("web.toml", "web = \"127.0.0.1:9300\"\nweb_origins = \"http://x.example\"\n");
  r = parse({"--config", path});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->web_port, 9300);
  EXPECT_EQ(r->web_origins, "http://x.example");

  expect_refused({"--web", "7080"}, {"--web", "HOST:PORT"});
  expect_refused({"--web-origins", "chat.example"}, {"--web-origins", "scheme://"});
  expect_refused({"--web-origins", "http://a.example/page"}, {"--web-origins"});
  expect_file_refused("web_origins = 1\n", {"web_origins", "string"});
}

TEST_F(SettingsTest, ClusterSettings) {
  auto r = parse({});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->cluster, "");
  EXPECT_EQ(r->node_id, "") << "standalone: no node name";
  EXPECT_EQ(r->cluster_ttl, 10u);

  r = parse({"--cluster", "redis://localhost:6380", "--cluster-ttl", "2"});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->cluster_host, "127.0.0.1");
  EXPECT_EQ(r->cluster_port, 6380);
  EXPECT_EQ(r->cluster_ttl, 2u);
  EXPECT_FALSE(r->node_id.empty()) << "HOSTNAME-PID by default";

  const std::string path =
      write_file("cluster.toml", "cluster = \"redis://127.0.0.1:7777\"\nnode_id = \"n1\"\n");
  r = parse({"--config", path});
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->cluster_port, 7777);
  EXPECT_EQ(r->node_id, "n1");

  expect_refused({"--cluster", "127.0.0.1:6379"}, {"--cluster", "redis://"});
  expect_refused({"--cluster", "redis://h:99999"}, {"--cluster", "port"});
  expect_refused({"--node-id", "a b"}, {"--node-id"});
  expect_refused({"--cluster-ttl", "0"}, {"--cluster-ttl", "at least 1"});
}

TEST(MaxConnectionsTest, ExplicitValueWins) {
  Settings s;
  s.max_connections = 123;
  EXPECT_EQ(effective_max_connections(s, 4), 123u);
}

TEST(MaxConnectionsTest, AutoLeavesAReserveBelowTheOpenFilesLimit) {
  EXPECT_EQ(max_connections_for_open_files(1024, 2), 1024u - 32 - 8);
  EXPECT_EQ(max_connections_for_open_files(1'048'576, 8), 1'048'576u - 32 - 32);
  EXPECT_EQ(max_connections_for_open_files(40, 2), 1u);  // never 0
  EXPECT_EQ(max_connections_for_open_files(10, 2), 1u);
  EXPECT_EQ(max_connections_for_open_files(uint64_t{1} << 40, 1), 4294967295u);
  Settings s;
  const uint32_t n = effective_max_connections(s, 2);
  EXPECT_GE(n, 1u);
}

}  // namespace
}  // namespace chat
