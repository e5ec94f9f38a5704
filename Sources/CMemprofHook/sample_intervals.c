// When each thread takes its next sample: Poisson intervals (exponential byte counts with
// mean `rate`, Go's MemProfileRate), the rate itself, and pausing a thread's sampling.
#define _GNU_SOURCE
#include <pthread.h>
#include <time.h>
#include "accounting.h"
#include "sampler.h"
#include "live_table.h"
#include "stack_memo.h"

int64_t memprof_g_rate = 524288;
extern void *__libc_stack_end;

// ln(x) for x in (0, 1], without libm: x = m * 2^e with m in [1, 2), then
// ln(m) = 2 atanh((m-1)/(m+1)) by its series (error below 1e-9 for m in [1, 2)).
static double log_unit(double x) {
  union { double d; uint64_t u; } v = {.d = x};
  int e = (int)((v.u >> 52) & 0x7ff) - 1023;
  v.u = (v.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
  double t = (v.d - 1) / (v.d + 1), t2 = t * t;
  double series = t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 * (1.0 / 11 + t2 / 13))))));
  return e * 0.6931471805599453 + 2 * series;
}

// Bytes until the next sample: exponential with mean `rate`, so every byte has the same
// chance 1/rate of triggering a sample (a block of S bytes is sampled with 1-exp(-S/rate)).
int64_t memprof_next_interval(memprof_slot *s) {
  int64_t rate = __atomic_load_n(&memprof_g_rate, __ATOMIC_RELAXED);
  if (rate <= 0) return INT64_MAX;
  if (rate == 1) return 0;
  double u = (double)((memprof_slot_random(&s->rng) >> 11) + 1) * (1.0 / 9007199254740992.0);
  double bytes = -log_unit(u) * (double)rate;
  return bytes > 9e18 ? INT64_MAX : (int64_t)bytes;
}

void memprof_slot_start_sampling(memprof_slot *s, int is_main_thread) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  s->rng = ((uint64_t)(uintptr_t)s * 0x9E3779B97F4A7C15ull) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
  if (s->rng == 0) s->rng = 1;
  // Glibc keeps a thread's descriptor at the top of its stack block; the main thread's
  // frames are all below __libc_stack_end.
  s->stack_top = is_main_thread ? (uintptr_t)__libc_stack_end : (uintptr_t)pthread_self();
  STORE(&s->sampling_paused, 0);
  s->until_sample = memprof_next_interval(s);
  s->reserved[0] = 0;  // thread label cache (thread_labels.c): the slot may have had an owner
  memprof_stack_memo_reset(s);  // and the last stack walk of that owner (stack_memo.h)
}

void memprof_set_thread_sampling(int enabled) {
  memprof_slot *s = memprof_thread_slot();
  if ((uintptr_t)s <= 1) return;
  // The flag first: a rate change that reads it before this store and resets until_sample
  // after the next one is undone by memprof_sample, which looks at the flag again.
  __atomic_store_n(&s->sampling_paused, enabled ? 0u : 1u, __ATOMIC_SEQ_CST);
  s->until_sample = enabled ? memprof_next_interval(s) : INT64_MAX;
}

int64_t memprof_sample_rate(void) { return __atomic_load_n(&memprof_g_rate, __ATOMIC_RELAXED); }

void memprof_set_sample_rate(int64_t rate) {
  if (rate < 0) rate = 0;
  int64_t before = __atomic_exchange_n(&memprof_g_rate, rate, __ATOMIC_RELAXED);
  // Rate 1 left the words of its samples' pages stuck (memprof_filter_stick).
  if (before == 1 && rate != 1) memprof_sampler_filter_recount();
  memprof_state *st = memprof_g_state;
  uint32_t n = __atomic_load_n(&st->slots_high_water, __ATOMIC_ACQUIRE);
  // Each thread draws its next interval at its next allocation (MP_REDRAW); a thread that
  // paused its sampling (memprof's own work, ProfilerWork) stays paused.
  for (uint32_t i = 0; i < n && i < MEMPROF_SLOTS; i++)
    if (!__atomic_load_n(&st->slots[i].sampling_paused, __ATOMIC_SEQ_CST)) STORE(&st->slots[i].until_sample, MP_REDRAW);
  STORE(&memprof_g_unslotted_until, MP_REDRAW);
}
