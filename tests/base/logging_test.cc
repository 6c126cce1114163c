#include "base/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace chat {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Restores spdlog's default logger after each test that replaces it.
class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = spdlog::default_logger(); }
  void TearDown() override { spdlog::set_default_logger(saved_); }

  std::shared_ptr<spdlog::logger> saved_;
  std::ostringstream out_;
};

TEST_F(LoggingTest, ParsesLevels) {
  EXPECT_EQ(*parse_log_level("trace"), spdlog::level::trace);
  EXPECT_EQ(*parse_log_level("debug"), spdlog::level::debug);
  EXPECT_EQ(*parse_log_level("info"), spdlog::level::info);
  EXPECT_EQ(*parse_log_level("warn"), spdlog::level::warn);
  EXPECT_EQ(*parse_log_level("warning"), spdlog::level::warn);
  EXPECT_EQ(*parse_log_level("error"), spdlog::level::err);
  EXPECT_EQ(*parse_log_level("critical"), spdlog::level::critical);
  EXPECT_EQ(*parse_log_level("off"), spdlog::level::off);
  auto bad = parse_log_level("loud");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.status().message().find("log_level"), std::string::npos);
  EXPECT_NE(bad.status().message().find("loud"), std::string::npos);
}

TEST_F(LoggingTest, RefusesBadArgumentsAndKeepsTheLogger) {
  auto before = spdlog::default_logger();
  Status s = init_logging("verbose", "text");
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("log_level"), std::string::npos);
  s = init_logging("info", "xml");
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("log_format"), std::string::npos);
  EXPECT_EQ(spdlog::default_logger(), before);
}

TEST_F(LoggingTest, TextFormatFiltersByLevel) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
  ASSERT_TRUE(init_logging("warn", "text", sink));
  spdlog::info("hidden");
  spdlog::warn("shown {}", 42);
  const auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("shown 42"), std::string::npos);
  EXPECT_NE(lines[0].find(" W "), std::string::npos);
}

TEST_F(LoggingTest, JsonFormatIsOneObjectPerLine) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
  ASSERT_TRUE(init_logging("info", "json", sink));
  spdlog::info("hello {}", "world");
  spdlog::error("quote \" backslash \\ newline \n tab \t bell \x07 del \x7f");
  const auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 2u);
  // {"time":"YYYY-MM-DDTHH:MM:SS.mmmZ","level":"info","msg":"hello world"}
  EXPECT_EQ(lines[0].rfind("{\"time\":\"", 0), 0u);
  EXPECT_EQ(lines[0].find("Z\",\"level\":\"info\",\"msg\":\"hello world\"}"), 32u) << lines[0];
  EXPECT_EQ(lines[0][19], 'T');
  EXPECT_EQ(lines[0][28], '.');
  EXPECT_NE(lines[1].find(R"("level":"error")"), std::string::npos);
  EXPECT_NE(
      lines[1].find(R"("msg":"quote \" backslash \\ newline \n tab \t bell \u0007 del \u007f"})"),
      std::string::npos)
      << lines[1];
}

TEST_F(LoggingTest, JsonReplacesInvalidUtf8) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
  ASSERT_TRUE(init_logging("info", "json", sink));
  // Valid: é (2 bytes), € (3), 😀 (4). Invalid: lone continuation, truncated
  // sequence, overlong '/', surrogate.
  spdlog::info("ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 bad \x80|\xe2\x82|\xc0\xaf|\xed\xa0\x80.");
  const auto lines = lines_of(out_.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"msg\":\"ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 bad \\ufffd|"
                          "\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd.\"}"),
            std::string::npos)
      << lines[0];
}

class RateLimitedLogTest : public ::testing::Test {
 protected:
  RateLimitedLogTest()
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_st>(out_)), logger_("test", sink_) {
    logger_.set_pattern("%v");
    logger_.set_level(spdlog::level::trace);
  }
  std::vector<std::string> take_lines() {
    auto lines = lines_of(out_.str());
    out_.str("");
    return lines;
  }

  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_st> sink_;
  spdlog::logger logger_;
};

TEST_F(RateLimitedLogTest, AllowsNPerSecondThenOneSummary) {
  RateLimitedLog rl(3, &logger_);
  int written = 0;
  for (int i = 0; i < 1000; ++i) {
    written += rl.log(10'000 + static_cast<uint64_t>(i) % 500, "bad_frame", spdlog::level::warn,
                      "bad frame " + std::to_string(i))
                   ? 1
                   : 0;
  }
  EXPECT_EQ(written, 3);
  EXPECT_EQ(take_lines(), (std::vector<std::string>{"bad frame 0", "bad frame 1", "bad frame 2"}));

  // Next window: the summary comes first, once, then the line.
  EXPECT_TRUE(rl.log(11'000, "bad_frame", spdlog::level::warn, "again"));
  EXPECT_EQ(take_lines(), (std::vector<std::string>{
                              "bad_frame: suppressed 997 lines in the last window", "again"}));
  EXPECT_TRUE(rl.log(11'001, "bad_frame", spdlog::level::warn, "more"));
  EXPECT_EQ(take_lines(), (std::vector<std::string>{"more"}));
}

TEST_F(RateLimitedLogTest, KeysHaveSeparateBudgets) {
  RateLimitedLog rl(1, &logger_);
  EXPECT_TRUE(rl.log(0, "a", spdlog::level::info, "a1"));
  EXPECT_FALSE(rl.log(1, "a", spdlog::level::info, "a2"));
  EXPECT_TRUE(rl.log(2, "b", spdlog::level::info, "b1"));
  EXPECT_FALSE(rl.log(3, "b", spdlog::level::info, "b2"));
  EXPECT_EQ(take_lines(), (std::vector<std::string>{"a1", "b1"}));
}

TEST_F(RateLimitedLogTest, FlushWritesSummariesOfEndedWindowsOnly) {
  RateLimitedLog rl(1, &logger_);
  rl.log(0, "a", spdlog::level::info, "a1");
  rl.log(10, "a", spdlog::level::info, "a2");
  rl.log(20, "a", spdlog::level::info, "a3");
  take_lines();
  rl.flush(999);  // window still open
  EXPECT_TRUE(take_lines().empty());
  rl.flush(1000);
  EXPECT_EQ(take_lines(), (std::vector<std::string>{"a: suppressed 2 lines in the last window"}));
  rl.flush(5000);  // nothing more to say
  EXPECT_TRUE(take_lines().empty());
}

TEST_F(RateLimitedLogTest, LogfFormatsOnlyWhenAdmitted) {
  RateLimitedLog rl(1, &logger_);
  EXPECT_TRUE(rl.logf(0, "k", spdlog::level::info, "x={} y={}", 1, "two"));
  EXPECT_FALSE(rl.logf(1, "k", spdlog::level::info, "x={}", 3));
  EXPECT_EQ(take_lines(), (std::vector<std::string>{"x=1 y=two"}));
}

TEST_F(RateLimitedLogTest, ManyDistinctKeysShareOneOverflowBudget) {
  RateLimitedLog rl(2, &logger_);
  for (size_t i = 0; i < RateLimitedLog::kMaxKeys; ++i) {
    EXPECT_TRUE(rl.admit(0, "key" + std::to_string(i)));
  }
  // Every further key counts against "(other keys)": 2 lines, then silence.
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += rl.admit(1, "peer" + std::to_string(i)) ? 1 : 0;
  EXPECT_EQ(admitted, 2);
  rl.flush(2000);
  EXPECT_EQ(take_lines(),
            (std::vector<std::string>{"(other keys): suppressed 998 lines in the last window"}));
}

TEST_F(RateLimitedLogTest, ZeroLinesPerSecondWritesOnlySummaries) {
  RateLimitedLog rl(0, &logger_);
  EXPECT_FALSE(rl.log(0, "k", spdlog::level::info, "x"));
  EXPECT_FALSE(rl.log(1, "k", spdlog::level::info, "y"));
  EXPECT_FALSE(rl.log(1500, "k", spdlog::level::info, "z"));
  EXPECT_EQ(take_lines(), (std::vector<std::string>{"k: suppressed 2 lines in the last window"}));
}

}  // namespace
}  // namespace chat
