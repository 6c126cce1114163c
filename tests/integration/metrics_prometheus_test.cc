// chatd's metrics against the real tools: promtool lints a real scrape and
// checks and unit-tests the alert rules; a real Prometheus scrapes chatd and
// answers queries about it; and every metric the alerts and the dashboard
// name exists in a real scrape. Skipped (with a reason) when promtool or
// prometheus is not installed (scripts/install-deps.sh --test installs them).
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "harness.h"
#include "metrics_helpers.h"
#include "mini_json.h"

namespace chat::itest {
namespace {

const std::string kDeploy = std::string(CHATD_SOURCE_DIR) + "/deploy";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Metric names (chatd_*, process_*) a file mentions.
std::set<std::string> metric_names_in(const std::string& text) {
  static const std::regex kName(R"(\b(chatd|process)_[a-z0-9_]+)");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

// The PromQL expressions of every dashboard panel, with the $instance
// variable resolved to "any".
std::vector<std::string> dashboard_exprs() {
  std::string error;
  auto dash = load_json_file(kDeploy + "/grafana/chatd.json", &error);
  EXPECT_TRUE(dash) << error;
  std::vector<std::string> out;
  if (!dash) return out;
  for (const JsonValue& panel : dash->find("panels")->items) {
    const JsonValue* targets = panel.find("targets");
    if (targets == nullptr) continue;
    for (const JsonValue& t : targets->items) {
      std::string e = t.str("expr");
      for (size_t pos; (pos = e.find("$instance")) != std::string::npos;) e.replace(pos, 9, ".*");
      out.push_back(e);
    }
  }
  return out;
}

TEST(AlertRulesTest, PromtoolChecksAndUnitTestsEveryAlert) {
  if (!have_program("promtool")) GTEST_SKIP() << "promtool not installed";
  std::string out;
  EXPECT_EQ(run_command("promtool check rules " + kDeploy + "/prometheus/alerts.yml", &out), 0)
      << out;
  EXPECT_EQ(run_command("promtool check config " + kDeploy + "/prometheus/prometheus.yml", &out), 0)
      << out;
  EXPECT_EQ(
      run_command("cd " + kDeploy + "/prometheus && promtool test rules alerts_test.yml", &out), 0)
      << out;
  // Every alert has a unit test.
  const std::string rules = read_file(kDeploy + "/prometheus/alerts.yml");
  const std::string tests = read_file(kDeploy + "/prometheus/alerts_test.yml");
  static const std::regex kAlert(R"(- alert: (\w+))");
  int alerts = 0;
  for (auto it = std::sregex_iterator(rules.begin(), rules.end(), kAlert);
       it != std::sregex_iterator(); ++it) {
    ++alerts;
    const std::string name = (*it)[1];
    EXPECT_NE(tests.find("alertname: " + name + "\n        exp_alerts:\n          - exp_labels"),
              std::string::npos)
        << name << " has no test where it fires";
    EXPECT_NE(tests.find("alertname: " + name + "\n        exp_alerts: []"), std::string::npos)
        << name << " has no test where it stays quiet";
  }
  EXPECT_GE(alerts, 6);
}

class MetricsToolsTest : public ServerTest {
 protected:
  void start_with_traffic() {
    http_port_ = free_local_port();
    start_server({{"http", "127.0.0.1:" + std::to_string(http_port_)}, {"lobby", "lobby"}});
    ASSERT_TRUE(wait_until([&] { return http_get(http_port_, "/readyz").has_value(); }, Ms(5000)));
    for (const char* name : {"ann", "bob", "cid"}) clients_.push_back(login(name));
    clients_[0]->join("room");
    clients_[1]->join("room");
    clients_[0]->say("room", "hello");
    const uint32_t req = clients_[2]->next_req();
    clients_[2]->send(proto::Say{req, "nowhere", "hi"});
    clients_[2]->expect_error(proto::ErrorCode::kNotInRoom, req);
    // The per-room series appear at the loops' next once-a-second refresh.
    ASSERT_TRUE(wait_until(
        [&] {
          return parse_scrape(scrape_text()).get("chatd_room_messages_total{room=\"room\"}") ==
                 std::optional<double>(1);
        },
        Ms(5000)));
  }
  std::string scrape_text() {
    auto r = http_get(http_port_, "/metrics");
    EXPECT_TRUE(r && r->status == 200);
    return r ? r->body : "";
  }

  uint16_t http_port_ = 0;
  std::vector<std::unique_ptr<TestClient>> clients_;
};

TEST_P(MetricsToolsTest, PromtoolAcceptsARealScrape) {
  if (!have_program("promtool")) GTEST_SKIP() << "promtool not installed";
  start_with_traffic();
  TempDir dir;
  const std::string path = dir.path() + "/scrape.txt";
  std::ofstream(path) << scrape_text();
  std::string out;
  EXPECT_EQ(run_command("promtool check metrics < " + path, &out), 0) << out;
  EXPECT_EQ(out, "") << "promtool lint findings:\n" << out;
}

TEST_P(MetricsToolsTest, AlertsAndDashboardUseOnlyMetricsChatdExports) {
  start_with_traffic();
  const Scrape scrape = parse_scrape(scrape_text());
  ASSERT_FALSE(scrape.names.empty());
  for (const char* file :
       {"/prometheus/alerts.yml", "/prometheus/alerts_test.yml", "/grafana/chatd.json"}) {
    const std::set<std::string> used = metric_names_in(read_file(kDeploy + file));
    EXPECT_GE(used.size(), 5u) << file;
    for (const std::string& name : used) {
      EXPECT_TRUE(scrape.names.count(name))
          << file << " uses " << name << ", which a scrape of chatd does not have";
    }
  }
  // The dashboard shows what the issue asks for.
  std::string all;
  for (const std::string& e : dashboard_exprs()) all += e + "\n";
  for (const char* needed :
       {"chatd_connections", "chatd_users_online", "chatd_messages_accepted_total",
        "chatd_deliveries_total", "histogram_quantile(0.5", "histogram_quantile(0.99",
        "chatd_loop_iteration_seconds", "chatd_errors_sent_total", "chatd_slow_consumer",
        "process_cpu_seconds_total", "process_resident_memory_bytes"}) {
    EXPECT_NE(all.find(needed), std::string::npos) << "the dashboard lacks " << needed;
  }
}

// A real Prometheus, started here with a 1 s scrape interval and the alert
// rules, scrapes chatd; its HTTP API must report chatd_connections == 3, load
// every rule healthy, and evaluate every dashboard query.
TEST_P(MetricsToolsTest, PrometheusScrapesChatd) {
  if (!have_program("prometheus")) GTEST_SKIP() << "prometheus not installed";
  start_with_traffic();
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const uint16_t prom_port = free_local_port();
  std::ofstream(dir.path() + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "rule_files:\n  - " << kDeploy << "/prometheus/alerts.yml\n"
      << "scrape_configs:\n  - job_name: chatd\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << http_port_ << "']\n";
  ChildProcess prom;
  ASSERT_TRUE(prom.start(
      {"prometheus", "--config.file=" + dir.path() + "/prometheus.yml",
       "--storage.tsdb.path=" + dir.path() + "/data",
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
      dir.path() + "/prometheus.log"));
  const auto query = [&](const std::string& promql) -> std::optional<JsonValue> {
    auto r = http_get(prom_port, "/api/v1/query?query=" + url_encode(promql), Ms(3000));
    if (!r || r->status != 200) return std::nullopt;
    std::string error;
    return parse_json(r->body, &error);
  };
  std::string last = "(no answer)";
  const bool seen = wait_until(
      [&] {
        auto r = http_get(prom_port, "/api/v1/query?query=chatd_connections", Ms(3000));
        if (!r) return false;
        last = r->body;
        std::string error;
        auto j = parse_json(r->body, &error);
        if (!j || j->str("status") != "success") return false;
        const auto& result = j->find("data")->find("result")->items;
        return result.size() == 1 && result[0].find("value")->items.size() == 2 &&
               result[0].find("value")->items[1].text == "3";
      },
      Ms(60000));
  ASSERT_TRUE(seen) << "Prometheus never reported chatd_connections 3; last answer: " << last
                    << "\nprometheus log:\n"
                    << prom.read_log();

  // The target is up, and the labels are what the alerts expect.
  auto up = query("up{job=\"chatd\"}");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->find("data")->find("result")->items.size(), 1u);
  EXPECT_EQ(up->find("data")->find("result")->items[0].find("value")->items[1].text, "1");

  // Every rule of alerts.yml is loaded and evaluates without error.
  auto rules = http_get(prom_port, "/api/v1/rules", Ms(3000));
  ASSERT_TRUE(rules);
  std::string error;
  auto rj = parse_json(rules->body, &error);
  ASSERT_TRUE(rj) << error;
  size_t rule_count = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        rules = http_get(prom_port, "/api/v1/rules", Ms(3000));
        if (!rules) return false;
        rj = parse_json(rules->body, &error);
        if (!rj) return false;
        rule_count = 0;
        bool all_ok = true;
        for (const JsonValue& g : rj->find("data")->find("groups")->items) {
          for (const JsonValue& rule : g.find("rules")->items) {
            ++rule_count;
            all_ok = all_ok && rule.str("health") == "ok";
          }
        }
        return rule_count >= 6 && all_ok;
      },
      Ms(10000)))
      << rules->body;

  // Every dashboard query is valid PromQL that Prometheus evaluates.
  for (const std::string& e : dashboard_exprs()) {
    auto r = query(e);
    ASSERT_TRUE(r) << "query failed: " << e;
    EXPECT_EQ(r->str("status"), "success") << e;
  }
  // Histograms survive the trip: a quantile over the delivery latency.
  auto p99 = query("histogram_quantile(0.99, sum by (le) (chatd_delivery_latency_seconds_bucket))");
  ASSERT_TRUE(p99);
  EXPECT_EQ(p99->find("data")->find("result")->items.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Threads, MetricsToolsTest, ::testing::Values(2),
                         ::chat::itest::ThreadsParamName);

}  // namespace
}  // namespace chat::itest
