#include "metrics/process_stats.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chat::metrics {
namespace {

TEST(ProcessStatsTest, ParsesProcStatEvenWithAnOddCommandName) {
  // Fields 1..24 of proc(5); the command holds a space and a ')'.
  const std::string text =
      "4242 (chat d) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 "
      "150 50 0 0 20 0 6 0 123456 987654321 2048 18446744073709551615\n";
  auto st = parse_proc_stat(text);
  ASSERT_TRUE(st) << st.status().message();
  EXPECT_EQ(st->utime_ticks, 150u);
  EXPECT_EQ(st->stime_ticks, 50u);
  EXPECT_EQ(st->num_threads, 6u);
  EXPECT_EQ(st->start_ticks, 123456u);
  EXPECT_EQ(st->vsize_bytes, 987654321u);
  EXPECT_EQ(st->rss_pages, 2048u);
}

TEST(ProcessStatsTest, RefusesBrokenProcStat) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 2 3"));
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 50 0 0 20 0 6 0 1 2 3 4\n"));
}

TEST(ProcessStatsTest, ParsesBootTime) {
  auto bt = parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n");
  ASSERT_TRUE(bt);
  EXPECT_EQ(*bt, 1700000000u);
  EXPECT_FALSE(parse_boot_time("cpu 1\n"));
  EXPECT_FALSE(parse_boot_time("btime soon\n"));
}

TEST(ProcessStatsTest, ReadsThisProcess) {
  auto st = read_process_stats();
  ASSERT_TRUE(st) << st.status().message();
  EXPECT_GT(st->resident_bytes, 1u << 20);  // a test binary is bigger than 1 MiB
  EXPECT_GE(st->virtual_bytes, st->resident_bytes);
  EXPECT_GE(st->threads, 1u);
  EXPECT_GT(st->max_fds, 0u);
  EXPECT_GE(st->open_fds, 3u);  // stdin, stdout, stderr
  // Opening descriptors shows.
  std::vector<int> fds;
  for (int i = 0; i < 10; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto more = read_process_stats();
  ASSERT_TRUE(more);
  EXPECT_GE(more->open_fds, st->open_fds + 10);
  for (int fd : fds) ::close(fd);
  // CPU time grows with work.
  volatile uint64_t x = 0;
  const double cpu0 = more->cpu_seconds;
  timespec t0{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  for (;;) {
    for (int i = 0; i < 1'000'000; ++i) x = x + static_cast<uint64_t>(i);
    timespec t1{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    const double spent = static_cast<double>(t1.tv_sec - t0.tv_sec) +
                         static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (spent >= 1.0) break;  // a second of CPU: many clock ticks
  }
  auto after = read_process_stats();
  ASSERT_TRUE(after);
  EXPECT_GT(after->cpu_seconds, cpu0 + 0.5);
  // Started within the last hour and not in the future.
  const double now = static_cast<double>(::time(nullptr));
  EXPECT_LE(st->start_time_seconds, now + 2);
  EXPECT_GT(st->start_time_seconds, now - 3600);
}

}  // namespace
}  // namespace chat::metrics
