// chatbench against real servers: each scenario's counts in the JSON it
// prints must add up exactly (every expected delivery arrives once, in
// order), with one and two worker processes, and the Redis driver against a
// real redis-server. Small loads; no timing assertions.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster_fixture.h"
#include "harness.h"
#include "mini_json.h"
#include "redis_fixture.h"

namespace chat::itest {
namespace {

constexpr Ms kBenchTimeout{120'000};

std::string chatbench_binary() { return std::string(CHATD_BUILD_DIR) + "/chatbench"; }

// The exit status and standard output of a finished child.
struct RunOutput {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] with `args`, its output in files, bounded by `timeout`.
RunOutput run_program(const std::vector<std::string>& argv_s, Ms timeout) {
  static int counter = 0;
  std::string base =
      "/tmp/chatbench-it-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  std::string out_path = base + ".out";
  std::string err_path = base + ".err";
  std::vector<char*> argv;
  std::vector<std::string> copy = argv_s;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  RunOutput r;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  if (pid > 0) {
    auto deadline = Clock::now() + timeout;
    int status = 0;
    for (;;) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (Clock::now() >= deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        r.status = -1;
        break;
      }
      std::this_thread::sleep_for(Ms(20));
    }
  }
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  return r;
}

// The JSON object on the last line of chatbench's output.
class BenchResult {
 public:
  explicit BenchResult(const RunOutput& run) : run_(run) {
    std::string text = run.out;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    size_t nl = text.rfind('\n');
    std::string last = nl == std::string::npos ? text : text.substr(nl + 1);
    std::string error;
    auto parsed = parse_json(last, &error);
    if (parsed) json_ = *parsed;
    ok_ = parsed.has_value() && json_.kind == JsonValue::Kind::kObject;
  }
  bool ok() const { return ok_; }
  double num(const std::string& key) const {
    const JsonValue* v = json_.find(key);
    return v != nullptr ? v->number : -1;
  }
  const JsonValue& json() const { return json_; }
  std::string describe() const {
    return "exit " + std::to_string(run_.status) + "\nstdout:\n" + run_.out + "\nstderr:\n" +
           run_.err.substr(run_.err.size() > 4000 ? run_.err.size() - 4000 : 0);
  }

 private:
  RunOutput run_;
  JsonValue json_;
  bool ok_ = false;
};

// Every expected delivery arrived exactly once, in order.
void expect_exact(const BenchResult& r) {
  EXPECT_EQ(r.num("established"), r.num("requested")) << r.describe();
  EXPECT_EQ(r.num("failed_total"), 0) << r.describe();
  EXPECT_GT(r.num("expected"), 0) << r.describe();
  EXPECT_EQ(r.num("delivered"), r.num("expected")) << r.describe();
  EXPECT_EQ(r.num("unique"), r.num("expected")) << r.describe();
  EXPECT_EQ(r.num("lost"), 0) << r.describe();
  EXPECT_EQ(r.num("duplicates"), 0) << r.describe();
  EXPECT_EQ(r.num("gaps"), 0) << r.describe();
  EXPECT_EQ(r.num("out_of_order"), 0) << r.describe();
  EXPECT_EQ(r.num("published"), r.num("acked")) << r.describe();
  EXPECT_EQ(r.num("workers_lost"), 0) << r.describe();
  const JsonValue* errors = r.json().find("errors");
  ASSERT_NE(errors, nullptr);
  EXPECT_TRUE(errors->fields.empty()) << r.describe();
}

class BenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // High rate limits: the benchmark measures the server, not its limiter.
    ASSERT_TRUE(server_.start({{"rate", "1000000"}, {"burst", "1000000"}, {"lobby", ""}}, 2));
  }
  void TearDown() override { EXPECT_EQ(server_.stop(), 0); }

  BenchResult bench(std::vector<std::string> args) {
    std::vector<std::string> argv = {chatbench_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--server");
    argv.push_back("127.0.0.1:" + std::to_string(server_.port()));
    argv.push_back("--quiet");
    BenchResult r(run_program(argv, kBenchTimeout));
    EXPECT_TRUE(r.ok()) << r.describe();
    return r;
  }

  ServerProcess server_;
};

TEST_F(BenchTest, ConnectHoldsThreeHundredConnections) {
  auto r = bench({"connect", "--conns", "300", "--rate", "1000", "--hold", "1", "--server-pid",
                  std::to_string(server_.pid())});
  EXPECT_EQ(r.num("requested"), 300) << r.describe();
  EXPECT_EQ(r.num("established"), 300) << r.describe();
  EXPECT_EQ(r.num("failed_total"), 0) << r.describe();
  EXPECT_EQ(r.num("closed"), 300) << r.describe();
  EXPECT_EQ(r.json().find("login_latency_us")->find("count")->number, 300) << r.describe();
  const JsonValue* rss = r.json().find("server_rss_bytes_per_conn");
  ASSERT_NE(rss, nullptr);
  EXPECT_EQ(rss->kind, JsonValue::Kind::kNumber) << r.describe();
}

TEST_F(BenchTest, FanoutToFiftySubscribersDeliversEveryMessageOnce) {
  auto r = bench({"fanout", "--subs", "50", "--rate", "200", "--duration", "1", "--drain", "10"});
  expect_exact(r);
  EXPECT_EQ(r.num("requested"), 51) << r.describe();
  EXPECT_EQ(r.num("expected"), r.num("acked") * 50) << r.describe();
}

TEST_F(BenchTest, FanoutAsFastAsTheWindowAllows) {
  auto r = bench({"fanout", "--subs", "20", "--window", "4", "--duration", "1", "--drain", "10"});
  expect_exact(r);
  EXPECT_EQ(r.num("expected"), r.num("acked") * 20) << r.describe();
}

TEST_F(BenchTest, PairsOfTwoHundredUsersDeliverEveryWhisperOnce) {
  auto r = bench({"pairs", "--conns", "200", "--rate", "400", "--duration", "1", "--drain", "10"});
  expect_exact(r);
  EXPECT_EQ(r.num("expected"), r.num("acked")) << r.describe();
}

TEST_F(BenchTest, StepsReportEachStepExactly) {
  auto r = bench({"steps", "--steps", "10,50", "--step-seconds", "1", "--user-rate", "2",
                  "--room-size", "10", "--drain", "10"});
  expect_exact(r);
  const JsonValue* steps = r.json().find("steps");
  ASSERT_NE(steps, nullptr);
  ASSERT_EQ(steps->items.size(), 2u) << r.describe();
  EXPECT_EQ(steps->items[0].find("users")->number, 10);
  EXPECT_EQ(steps->items[1].find("users")->number, 50);
  for (const auto& s : steps->items) {
    EXPECT_GT(s.find("expected")->number, 0) << r.describe();
    EXPECT_EQ(s.find("delivered")->number, s.find("expected")->number) << r.describe();
    EXPECT_EQ(s.find("lost")->number, 0) << r.describe();
    EXPECT_EQ(s.find("error_rate")->number, 0) << r.describe();
  }
}

TEST_F(BenchTest, RoomsWithMembersSendingToEachOther) {
  auto r = bench({"rooms", "--rooms", "5", "--room-size", "8", "--rate", "200", "--duration", "1",
                  "--drain", "10"});
  expect_exact(r);
  // Each message reaches the 7 other members of its room.
  EXPECT_EQ(r.num("expected"), r.num("acked") * 7) << r.describe();
}

TEST_F(BenchTest, TwoWorkerProcessesMergeTheirCounts) {
  auto one = bench({"fanout", "--subs", "40", "--pubs", "2", "--rate", "200", "--duration", "1",
                    "--drain", "10"});
  auto two = bench({"fanout", "--subs", "40", "--pubs", "2", "--rate", "200", "--duration", "1",
                    "--drain", "10", "--procs", "2"});
  expect_exact(one);
  expect_exact(two);
  EXPECT_EQ(two.num("procs"), 2);
  EXPECT_EQ(two.num("established"), 42) << two.describe();
  // Subscribers in both workers count the publishers of both.
  EXPECT_EQ(two.num("expected"), two.num("acked") * 40) << two.describe();
  EXPECT_EQ(two.json().find("latency_us")->find("count")->number, two.num("delivered"))
      << two.describe();
  auto pairs = bench({"pairs", "--conns", "100", "--rate", "200", "--duration", "1", "--drain",
                      "10", "--procs", "2"});
  expect_exact(pairs);
  EXPECT_EQ(pairs.num("established"), 100) << pairs.describe();
}

TEST(BenchPeerTest, FanoutAgainstRealRedis) {
  if (RedisProcess::binary().empty()) GTEST_SKIP() << "redis-server is not installed";
  RedisProcess redis;
  ASSERT_TRUE(redis.start()) << "redis-server did not come up";
  std::vector<std::string> argv = {chatbench_binary(), "fanout",
                                   "--target",         "redis",
                                   "--server",         "127.0.0.1:" + std::to_string(redis.port()),
                                   "--subs",           "20",
                                   "--rate",           "200",
                                   "--duration",       "1",
                                   "--drain",          "10",
                                   "--quiet"};
  BenchResult r(run_program(argv, kBenchTimeout));
  ASSERT_TRUE(r.ok()) << r.describe();
  expect_exact(r);
  EXPECT_EQ(r.num("expected"), r.num("acked") * 20) << r.describe();
}

// chatbench spreading its users over three nodes of one cluster
// (--server a,b,c): every message still reaches every member exactly once,
// in room order, whichever node each member is on.
class ClusterBenchTest : public ClusterTest {
 protected:
  BenchResult bench(std::vector<std::string> args) {
    servers_.clear();
    for (const auto& n : nodes_) {
      if (!servers_.empty()) servers_ += ",";
      servers_ += "127.0.0.1:" + std::to_string(n->port());
    }
    std::vector<std::string> argv = {chatbench_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--server", servers_, "--quiet"});
    BenchResult r(run_program(argv, kBenchTimeout));
    EXPECT_TRUE(r.ok()) << r.describe();
    return r;
  }
  std::string servers_;
};

TEST_P(ClusterBenchTest, FanoutAndPairsAcrossThreeNodes) {
  auto fanout = bench({"fanout", "--subs", "30", "--pubs", "3", "--rate", "150", "--duration", "1",
                       "--drain", "10"});
  expect_exact(fanout);
  EXPECT_EQ(fanout.json().str("server"), servers_) << "the report names every node";
  auto pairs =
      bench({"pairs", "--conns", "60", "--rate", "200", "--duration", "1", "--drain", "10"});
  expect_exact(pairs);
  EXPECT_EQ(pairs.num("established"), 60) << pairs.describe();
}

INSTANTIATE_TEST_SUITE_P(Threads, ClusterBenchTest, ::testing::Values(1), ThreadsParamName);

}  // namespace
}  // namespace chat::itest
