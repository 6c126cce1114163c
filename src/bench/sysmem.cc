#include "bench/sysmem.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace chat::bench {
namespace {

// The number after `key` on its line of `path`, or -1.
int64_t read_number_after(const char* path, const char* key) {
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) return -1;
  char line[512];
  int64_t value = -1;
  size_t key_len = std::strlen(key);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    const char* at = std::strstr(line, key);
    if (at == nullptr) continue;
    long long v = 0;
    if (std::sscanf(at + key_len, "%lld", &v) == 1) {
      value = v;
      break;
    }
  }
  std::fclose(f);
  return value;
}

}  // namespace

int64_t process_rss_bytes(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  int64_t kb = read_number_after(path.c_str(), "VmRSS:");
  return kb < 0 ? -1 : kb * 1024;
}

int64_t process_cpu_us(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return -1;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  // Fields after the command name, which is in parentheses and may hold spaces.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return -1;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                  &stime) != 2) {
    return -1;
  }
  long hz = ::sysconf(_SC_CLK_TCK);
  return static_cast<int64_t>((utime + stime) * 1'000'000ull / static_cast<unsigned long long>(hz));
}

int64_t self_cpu_us() {
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  auto us = [](const timeval& tv) {
    return static_cast<int64_t>(tv.tv_sec) * 1'000'000 + tv.tv_usec;
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

int64_t machine_busy_cpu_us() {
  FILE* f = std::fopen("/proc/stat", "re");
  if (f == nullptr) return -1;
  unsigned long long v[8] = {};
  int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                      &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  if (n != 8) return -1;
  // user nice system idle iowait irq softirq steal: all but idle and iowait.
  unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  long hz = ::sysconf(_SC_CLK_TCK);
  return static_cast<int64_t>(busy * 1'000'000ull / static_cast<unsigned long long>(hz));
}

double load_average() {
  FILE* f = std::fopen("/proc/loadavg", "re");
  if (f == nullptr) return -1;
  double load = -1;
  if (std::fscanf(f, "%lf", &load) != 1) load = -1;
  std::fclose(f);
  return load;
}

KernelMemory kernel_memory() {
  KernelMemory m;
  int64_t slab_kb = read_number_after("/proc/meminfo", "Slab:");
  if (slab_kb >= 0) m.slab_bytes = slab_kb * 1024;
  // "TCP: inuse 5 orphan 0 tw 0 alloc 7 mem 1": find the TCP line's "mem".
  FILE* f = std::fopen("/proc/net/sockstat", "re");
  if (f != nullptr) {
    char line[512];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      if (std::strncmp(line, "TCP:", 4) != 0) continue;
      const char* at = std::strstr(line, " mem ");
      long long pages = 0;
      if (at != nullptr && std::sscanf(at + 5, "%lld", &pages) == 1) {
        m.tcp_bytes = pages * ::sysconf(_SC_PAGESIZE);
      }
      break;
    }
    std::fclose(f);
  }
  return m;
}

}  // namespace chat::bench
