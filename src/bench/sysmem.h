// Memory readings from /proc for the per-connection figures: a process's
// resident set, and the kernel's slab plus TCP socket buffers.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace chat::bench {

// VmRSS of `pid` in bytes, or -1 when it cannot be read.
int64_t process_rss_bytes(pid_t pid);
// User plus system CPU time `pid` has used (all its threads), in
// microseconds, or -1 when it cannot be read.
int64_t process_cpu_us(pid_t pid);
// The same for the calling process.
int64_t self_cpu_us();
// CPU time every process on the machine has used since boot (user, nice,
// system, irq, softirq, steal from /proc/stat), in microseconds, or -1.
int64_t machine_busy_cpu_us();
// The 1-minute load average, or -1.
double load_average();

struct KernelMemory {
  int64_t slab_bytes = -1;  // Slab in /proc/meminfo
  int64_t tcp_bytes = -1;   // "TCP: ... mem N" pages in /proc/net/sockstat
  int64_t total() const { return slab_bytes < 0 || tcp_bytes < 0 ? -1 : slab_bytes + tcp_bytes; }
};
KernelMemory kernel_memory();

}  // namespace chat::bench
