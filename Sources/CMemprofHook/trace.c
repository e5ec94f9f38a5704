// MEMPROF_TRACE: one line per interval on stderr, like GODEBUG=gctrace=1, and a final line
// at exit. Works linked in and under LD_PRELOAD alike, so it is C: no Swift runs in an
// unmodified program. Format (documented in the README):
//   memprof N @T.TTTs pid P: live L MB (+D MB), total A MB (R MB/s), M mallocs, F frees,
//   rss S MB, virt V MB, heap Y sys, I idle, Z released MB
// Under `memprof run` the child prints the periodic lines and the parent the exit line, from
// the final counters in the shared state (see memprof_trace_exit_line).
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
#include "state.h"

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

typedef struct trace_figures {
  uint64_t seq, live, last_live, total, last_total, mallocs, frees, rss, virt, sys, idle, rel;
  double seconds, interval;
} trace_figures;

static int format_line(char *line, size_t cap, const trace_figures *f, int32_t pid, int final_line) {
  double rate = f->interval > 0 ? (double)(f->total - f->last_total) / f->interval : 0;
  char live[32], delta[32], total[32], mbs[32], r[32], v[32], sys[32], idle[32], rel[32];
  fmt_mb(live, sizeof live, (double)f->live, 0);
  fmt_mb(delta, sizeof delta, (double)f->live - (double)f->last_live, 1);
  fmt_mb(total, sizeof total, (double)f->total, 0);
  fmt_mb(mbs, sizeof mbs, rate, 0);
  fmt_mb(r, sizeof r, (double)f->rss, 0);
  fmt_mb(v, sizeof v, (double)f->virt, 0);
  fmt_mb(sys, sizeof sys, (double)f->sys, 0);
  fmt_mb(idle, sizeof idle, (double)f->idle, 0);
  fmt_mb(rel, sizeof rel, (double)f->rel, 0);
  int n = snprintf(line, cap,
                   "memprof %llu @%.3fs pid %d: live %s MB (%s MB), total %s MB (%s MB/s), %llu mallocs, "
                   "%llu frees, rss %s MB, virt %s MB, heap %s sys, %s idle, %s released MB%s\n",
                   (unsigned long long)f->seq, f->seconds, (int)pid, live, delta, total, mbs,
                   (unsigned long long)f->mallocs, (unsigned long long)f->frees, r, v, sys, idle, rel,
                   final_line ? " (exit)" : "");
  return n < 0 ? 0 : (size_t)n < cap ? n : (int)cap - 1;
}

void memprof_trace_line(int final_line) {
  pthread_mutex_lock(&g_lock);
  if (g_finished) {
    pthread_mutex_unlock(&g_lock);
    return;
  }
  g_finished = final_line;
  memprof_trace_block *shared = memprof_shared_trace_block();
  memprof_heap_stats h;
  memprof_read_heap_stats(&h);
  uint64_t rss = 0, virt = 0;
  memprof_read_rss_virt(&rss, &virt);
  if (final_line && shared) {
    // Under `memprof run` the parent writes the exit line from the final counters (they
    // include what is allocated after this handler); it takes the sizes measured now.
    shared->rss = rss;
    shared->virt = virt;
    shared->heap_sys = h.heap_sys;
    shared->heap_idle = h.heap_idle;
    shared->heap_released = h.heap_released;
    pthread_mutex_unlock(&g_lock);
    return;
  }
  memprof_counters c;
  memprof_read_counters(&c);
  uint64_t t = now_ns();
  trace_figures f = {
    .seq = ++g_seq, .live = c.live_bytes, .last_live = g_last_live, .total = c.allocated_bytes,
    .last_total = g_last_total, .mallocs = c.allocations, .frees = c.frees, .rss = rss, .virt = virt,
    .sys = h.heap_sys, .idle = h.heap_idle, .rel = h.heap_released,
    .seconds = (double)(t - g_start_ns) / 1e9, .interval = (double)(t - g_last_ns) / 1e9,
  };
  char line[512];
  int n = format_line(line, sizeof line, &f, (int32_t)getpid(), final_line);
  if (n > 0) {
    ssize_t ignored = write(g_fd, line, (size_t)n);
    (void)ignored;
  }
  g_last_ns = t;
  g_last_live = c.live_bytes;
  g_last_total = c.allocated_bytes;
  if (shared) {
    memprof_trace_block b = {.lines = g_seq, .start_ns = g_start_ns, .last_ns = t, .last_live = c.live_bytes,
                             .last_total = c.allocated_bytes, .rss = rss, .virt = virt, .heap_sys = h.heap_sys,
                             .heap_idle = h.heap_idle, .heap_released = h.heap_released};
    *shared = b;
  }
  pthread_mutex_unlock(&g_lock);
}

int memprof_trace_exit_line(const void *state, size_t size, int32_t pid, char *buffer, size_t capacity) {
  memprof_counters c;
  if (capacity == 0 || memprof_read_shared_counters(state, size, &c) != 0) return -1;
  const memprof_trace_block *b = &((const memprof_state *)state)->trace;
  if (b->start_ns == 0) return 0;  // the child did not trace
  uint64_t t = now_ns();
  trace_figures f = {
    .seq = b->lines + 1, .live = c.live_bytes, .last_live = b->last_live, .total = c.allocated_bytes,
    .last_total = b->last_total, .mallocs = c.allocations, .frees = c.frees, .rss = b->rss, .virt = b->virt,
    .sys = b->heap_sys, .idle = b->heap_idle, .rel = b->heap_released,
    .seconds = (double)(t - b->start_ns) / 1e9, .interval = (double)(t - b->last_ns) / 1e9,
  };
  return format_line(buffer, capacity, &f, pid, 1);
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

// A program that runs others under the hook (the `memprof` command) defines this: the trace
// it is asked for is its children's, not its own.
extern int memprof_trace_opt_out(void) __attribute__((weak));

void memprof_trace_start(void) {
  if (__atomic_load_n(&g_started, __ATOMIC_ACQUIRE)) return;
  g_interval_ns = parse_interval(getenv("MEMPROF_TRACE"));
  if (g_interval_ns == 0) return;
  if (memprof_trace_opt_out && memprof_trace_opt_out()) return;
  // Only the copy of the hook in use traces; a copy that cannot tell yet is asked again by
  // its first malloc (counters.c).
  memprof_ensure_init();
  if (!memprof_copy_is_active()) return;
  if (__atomic_exchange_n(&g_started, 1, __ATOMIC_ACQ_REL)) return;
  g_start_ns = g_last_ns = now_ns();
  memprof_trace_block *shared = memprof_shared_trace_block();
  if (shared) {
    shared->start_ns = shared->last_ns = g_start_ns;
  }
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
