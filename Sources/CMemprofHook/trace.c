// MEMPROF_TRACE: one line per interval on stderr, like GODEBUG=gctrace=1, and a final line
// at exit. Works linked in and under LD_PRELOAD alike, so it is C: no Swift runs in an
// unmodified program. Format (documented in the README):
//   memprof N @T.TTTs: live L MB (+D MB), total A MB (R MB/s), M mallocs, F frees,
//   rss S MB, virt V MB, heap Y sys, I idle, Z released MB
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include "memprof_hook.h"

static uint64_t g_interval_ns;
static uint64_t g_start_ns, g_last_ns, g_last_live, g_last_total, g_seq;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_started;
static int g_fd = 2;  // a copy of stderr: programs such as coreutils close fd 2 at exit

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// "1" -> 1 s; "500ms", "2s", "1m", "250us"; 0 for off or unreadable values.
static uint64_t parse_interval(const char *s) {
  if (s == NULL || *s == 0 || strcmp(s, "0") == 0) return 0;
  if (strcmp(s, "1") == 0) return 1000000000ull;
  char *end;
  double v = strtod(s, &end);
  if (end == s || v <= 0) return 0;
  double unit = 1e9;
  if (strcmp(end, "ms") == 0) unit = 1e6;
  else if (strcmp(end, "us") == 0) unit = 1e3;
  else if (strcmp(end, "m") == 0) unit = 60e9;
  else if (strcmp(end, "s") != 0 && *end != 0) return 0;
  double ns = v * unit;
  return ns < 1e6 ? 1000000ull : (uint64_t)ns;  // at most one line per millisecond
}

// Megabytes (10^6, as gctrace) with one decimal, into buf; signed when asked.
static void fmt_mb(char *buf, size_t cap, double bytes, int sign) {
  snprintf(buf, cap, sign ? "%+.1f" : "%.1f", bytes / 1e6);
}

static int g_finished;  // the exit line is out: no line after it

void memprof_trace_line(int final_line) {
  pthread_mutex_lock(&g_lock);
  if (g_finished) {
    pthread_mutex_unlock(&g_lock);
    return;
  }
  g_finished = final_line;
  memprof_counters c;
  memprof_read_counters(&c);
  memprof_heap_stats h;
  memprof_read_heap_stats(&h);
  uint64_t rss = 0, virt = 0;
  memprof_read_rss_virt(&rss, &virt);
  uint64_t t = now_ns();
  double dt = (double)(t - g_last_ns) / 1e9;
  double rate = dt > 0 ? (double)(c.allocated_bytes - g_last_total) / dt : 0;
  char live[32], delta[32], total[32], mbs[32], r[32], v[32], sys[32], idle[32], rel[32];
  fmt_mb(live, sizeof live, (double)c.live_bytes, 0);
  fmt_mb(delta, sizeof delta, (double)c.live_bytes - (double)g_last_live, 1);
  fmt_mb(total, sizeof total, (double)c.allocated_bytes, 0);
  fmt_mb(mbs, sizeof mbs, rate, 0);
  fmt_mb(r, sizeof r, (double)rss, 0);
  fmt_mb(v, sizeof v, (double)virt, 0);
  fmt_mb(sys, sizeof sys, (double)h.heap_sys, 0);
  fmt_mb(idle, sizeof idle, (double)h.heap_idle, 0);
  fmt_mb(rel, sizeof rel, (double)h.heap_released, 0);
  char line[512];
  int n = snprintf(line, sizeof line,
                   "memprof %llu @%.3fs: live %s MB (%s MB), total %s MB (%s MB/s), %llu mallocs, "
                   "%llu frees, rss %s MB, virt %s MB, heap %s sys, %s idle, %s released MB%s\n",
                   (unsigned long long)++g_seq, (double)(t - g_start_ns) / 1e9, live, delta, total,
                   mbs, (unsigned long long)c.allocations, (unsigned long long)c.frees, r, v, sys,
                   idle, rel, final_line ? " (exit)" : "");
  if (n > 0) {
    ssize_t ignored = write(g_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)ignored;
  }
  g_last_ns = t;
  g_last_live = c.live_bytes;
  g_last_total = c.allocated_bytes;
  pthread_mutex_unlock(&g_lock);
}

static void *trace_loop(void *unused) {
  (void)unused;
  for (;;) {
    struct timespec ts = {(time_t)(g_interval_ns / 1000000000ull), (long)(g_interval_ns % 1000000000ull)};
    while (nanosleep(&ts, &ts) != 0) {}
    memprof_trace_line(0);
  }
  return NULL;
}

static void trace_at_exit(void) { memprof_trace_line(1); }

// A forked child has no trace thread, and may have been forked while that thread held the
// lock: it must not wait for it at exit. Children do not trace (an exec'd program starts
// its own trace from the environment).
static void trace_in_child(void) {
  pthread_mutex_init(&g_lock, NULL);
  g_finished = 1;
}

void memprof_trace_start(void) {
  if (__atomic_exchange_n(&g_started, 1, __ATOMIC_ACQ_REL)) return;
  g_interval_ns = parse_interval(getenv("MEMPROF_TRACE"));
  if (g_interval_ns == 0) return;
  g_start_ns = g_last_ns = now_ns();
  int copy = fcntl(2, F_DUPFD_CLOEXEC, 100);
  if (copy >= 0) g_fd = copy;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  // Signals belong to the program's threads, not ours.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, trace_loop, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc == 0) {
    atexit(trace_at_exit);
    pthread_atfork(NULL, NULL, trace_in_child);
  }
}

__attribute__((constructor)) static void memprof_trace_constructor(void) { memprof_trace_start(); }
