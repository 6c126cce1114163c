#include "chat/metrics_view.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "chat/records.h"
#include "proto/types.h"

namespace chat {
namespace {

class MetricsViewTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kNowMs = 50'000;

  void SetUp() override {
    for (int i = 0; i < 2; ++i) shards_.push_back(std::make_unique<ShardStats>());
    ShardStats& a = *shards_[0];
    ShardStats& b = *shards_[1];
    a.accepted.add(5);
    b.accepted.add(2);
    b.refused_full.add(1);
    a.closed[static_cast<size_t>(CloseReason::kIdle)].add(2);
    b.closed[static_cast<size_t>(CloseReason::kSlowConsumer)].add(1);
    a.closed[static_cast<size_t>(CloseReason::kMigrated)].add(3);
    a.connections.set(2);
    b.connections.set(1);
    a.sessions_live.set(2);
    b.sessions_live.set(1);
    a.users_online.set(1);
    b.users_online.set(2);
    a.rooms.set(1);
    b.rooms.set(0);
    a.frames_in[static_cast<uint8_t>(proto::MsgType::kSay)].add(4);
    b.frames_in[static_cast<uint8_t>(proto::MsgType::kSay)].add(1);
    b.frames_in[0x7F].add(2);  // not a protocol type
    a.frames_out[static_cast<uint8_t>(proto::MsgType::kMessage)].add(9);
    a.says.add(5);
    b.whispers.add(1);
    a.deliveries.add(10);
    a.bytes_in.add(100);
    b.bytes_in.add(50);
    a.bytes_out.add(1000);
    a.errors_sent[static_cast<size_t>(proto::ErrorCode::kNotInRoom)].add(1);
    b.errors_sent[static_cast<size_t>(proto::ErrorCode::kNotInRoom)].add(2);
    a.rate_limited.add(7);
    a.outbound_bytes.set(300);
    b.outbound_bytes.set(200);
    a.outbound_largest.set(250);
    b.outbound_largest.set(200);
    a.delivery_latency.observe(300);
    b.delivery_latency.observe(300);
    a.loop_iteration.observe(20);
    b.loop_iteration.observe(40);
    b.loop_iteration.observe(40);
    a.last_iteration_mono_ms.set(static_cast<int64_t>(kNowMs - 100));
    b.last_iteration_mono_ms.set(static_cast<int64_t>(kNowMs - 500));
  }

  MetricsSource source() const {
    MetricsSource src;
    for (const auto& s : shards_) src.shards.push_back(s.get());
    src.open_connections = 3;
    src.max_connections = 100;
    src.ready = true;
    src.version = "1.2.3";
    return src;
  }

  static bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  }

  std::vector<std::unique_ptr<ShardStats>> shards_;
};

TEST_F(MetricsViewTest, SnapshotSumsTheLoops) {
  const ServerSnapshot s = take_snapshot(source(), kNowMs);
  EXPECT_EQ(s.accepted, 7u);
  EXPECT_EQ(s.connections, 3);
  EXPECT_EQ(s.sessions, 3);
  EXPECT_EQ(s.users_online, 3);
  EXPECT_EQ(s.rooms, 1);
  EXPECT_EQ(s.says, 5u);
  EXPECT_EQ(s.bytes_in, 150u);
  EXPECT_EQ(s.outbound_bytes, 500);
  EXPECT_EQ(s.outbound_largest, 250);  // the largest, not the sum
  EXPECT_EQ(s.delivery_latency.count(), 2u);
  ASSERT_EQ(s.loops.size(), 2u);
  EXPECT_EQ(s.loops[1].connections, 1);
  EXPECT_DOUBLE_EQ(s.loops[0].last_iteration_age_seconds, 0.1);
  EXPECT_DOUBLE_EQ(s.loops[1].last_iteration_age_seconds, 0.5);
  EXPECT_EQ(s.loops[1].iteration.count(), 2u);
  ASSERT_TRUE(s.process.has_value());
  EXPECT_GT(s.process->resident_bytes, 0u);
  EXPECT_FALSE(take_snapshot(source(), kNowMs, false).process.has_value());
}

TEST_F(MetricsViewTest, PrometheusTextHasEveryFigure) {
  const std::string t = "\n" + render_prometheus(take_snapshot(source(), kNowMs));
  for (const char* line : {
           "chatd_build_info{version=\"1.2.3\"} 1",
           "chatd_ready 1",
           "chatd_max_connections 100",
           "chatd_loop_threads 2",
           "chatd_connections 3",
           "chatd_connections_accepted_total 7",
           "chatd_connections_closed_total{reason=\"idle_timeout\"} 2",
           "chatd_connections_closed_total{reason=\"slow_consumer\"} 1",
           "chatd_connections_closed_total{reason=\"server_full\"} 1",
           "chatd_connections_closed_total{reason=\"bye\"} 0",
           "chatd_connections_migrated_total 3",
           "chatd_sessions 3",
           "chatd_users_online 3",
           "chatd_rooms 1",
           "chatd_frames_received_total{type=\"SAY\"} 5",
           "chatd_frames_received_total{type=\"HELLO\"} 0",
           "chatd_frames_received_total{type=\"UNKNOWN\"} 2",
           "chatd_frames_sent_total{type=\"MESSAGE\"} 9",
           "chatd_frames_sent_total{type=\"PING\"} 0",
           "chatd_messages_accepted_total{kind=\"say\"} 5",
           "chatd_messages_accepted_total{kind=\"whisper\"} 1",
           "chatd_deliveries_total 10",
           "chatd_bytes_received_total 150",
           "chatd_bytes_sent_total 1000",
           "chatd_errors_sent_total{code=\"NOT_IN_ROOM\"} 3",
           "chatd_errors_sent_total{code=\"BAD_FRAME\"} 0",
           "chatd_slow_consumer_disconnects_total 1",
           "chatd_rate_limited_total 7",
           "chatd_outbound_queue_bytes 500",
           "chatd_outbound_queue_largest_bytes 250",
           "chatd_delivery_latency_seconds_bucket{le=\"0.0005\"} 2",
           "chatd_delivery_latency_seconds_count 2",
           "chatd_delivery_latency_seconds_sum 0.0006",
           "chatd_loop_iteration_seconds_count{loop=\"0\"} 1",
           "chatd_loop_iteration_seconds_count{loop=\"1\"} 2",
           "chatd_loop_last_iteration_age_seconds{loop=\"0\"} 0.1",
           "chatd_loop_last_iteration_age_seconds{loop=\"1\"} 0.5",
           "chatd_loop_connections{loop=\"0\"} 2",
       }) {
    EXPECT_TRUE(has_line(t, line)) << "missing: " << line;
  }
  for (const char* family :
       {"# TYPE chatd_delivery_latency_seconds histogram",
        "# TYPE process_cpu_seconds_total counter", "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_open_fds gauge", "# TYPE process_max_fds gauge",
        "# TYPE process_start_time_seconds gauge"}) {
    EXPECT_TRUE(has_line(t, family)) << "missing: " << family;
  }
  // No migrated reason among the closes; no error code NONE.
  EXPECT_EQ(t.find("reason=\"migrated\""), std::string::npos);
  EXPECT_EQ(t.find("code=\"NONE\""), std::string::npos);
  // Every family is declared once.
  size_t pos = 0;
  std::vector<std::string> seen;
  while ((pos = t.find("# TYPE ", pos)) != std::string::npos) {
    pos += 7;
    const std::string name = t.substr(pos, t.find(' ', pos) - pos);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), name), 0) << name;
    seen.push_back(name);
  }
}

TEST_F(MetricsViewTest, StatsJsonHasTheSameFigures) {
  const std::string j = render_stats_json(take_snapshot(source(), kNowMs));
  for (const char* part : {
           "\"version\":\"1.2.3\"",
           "\"ready\":true",
           "\"healthy\":true",
           "\"open\":3",
           "\"max\":100",
           "\"accepted_total\":7",
           "\"migrated_total\":3",
           "\"idle_timeout\":2",
           "\"server_full\":1",
           "\"sessions\":3",
           "\"users_online\":3",
           "\"rooms\":1",
           "\"SAY\":5",
           "\"UNKNOWN\":2",
           "\"MESSAGE\":9",
           "\"say\":5",
           "\"whisper\":1",
           "\"deliveries_total\":10",
           "\"bytes_received_total\":150",
           "\"bytes_sent_total\":1000",
           "\"NOT_IN_ROOM\":3",
           "\"slow_consumer_disconnects_total\":1",
           "\"rate_limited_total\":7",
           "\"outbound_queue_bytes\":500",
           "\"outbound_queue_largest_bytes\":250",
           "\"delivery_latency_seconds\":{\"count\":2",
           "\"last_iteration_age_seconds\":0.5",
           "\"process\":{\"cpu_seconds_total\":",
       }) {
    EXPECT_NE(j.find(part), std::string::npos) << "missing " << part << " in " << j;
  }
  EXPECT_EQ(j.front(), '{');
  EXPECT_EQ(j.substr(j.size() - 2), "}\n");
}

TEST_F(MetricsViewTest, HealthFailsWhenALoopStalls) {
  EXPECT_TRUE(check_health(take_snapshot(source(), kNowMs)).ok);
  EXPECT_TRUE(check_health(take_snapshot(source(), kNowMs + 1400)).ok);    // loop 1: 1.9 s
  const Verdict v = check_health(take_snapshot(source(), kNowMs + 1600));  // loop 1: 2.1 s
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.text.find("loop 1 stalled"), std::string::npos) << v.text;
  EXPECT_EQ(v.text.find("loop 0"), std::string::npos) << v.text;
  shards_[0]->last_iteration_mono_ms.set(0);  // a loop that never ran
  EXPECT_FALSE(check_health(take_snapshot(source(), kNowMs)).ok);
  EXPECT_FALSE(check_health(take_snapshot(MetricsSource{}, kNowMs)).ok);  // no loops
}

TEST_F(MetricsViewTest, ReadyOnlyWhileListeningAndNotShuttingDown) {
  MetricsSource src = source();
  EXPECT_TRUE(check_ready(take_snapshot(src, kNowMs)).ok);
  src.shutting_down = true;
  const ServerSnapshot s = take_snapshot(src, kNowMs);
  EXPECT_FALSE(check_ready(s).ok);
  EXPECT_NE(check_ready(s).text.find("shutting down"), std::string::npos);
  EXPECT_TRUE(has_line("\n" + render_prometheus(s), "chatd_ready 0"));
  src.shutting_down = false;
  src.ready = false;
  EXPECT_FALSE(check_ready(take_snapshot(src, kNowMs)).ok);
}

TEST(CloseReasonLabelTest, EveryReasonHasASnakeCaseLabel) {
  for (size_t r = 0; r < kCloseReasons; ++r) {
    const std::string_view label = close_reason_label(r);
    EXPECT_NE(label, "unknown") << r;
    for (char c : label) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << label;
  }
}

}  // namespace
}  // namespace chat
