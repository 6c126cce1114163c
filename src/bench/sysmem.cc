#include "bench/sysmem.h"

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
