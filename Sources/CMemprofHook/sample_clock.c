// The clock of sampled blocks' lifetimes: microseconds on CLOCK_MONOTONIC. Each sample reads
// it twice (at the allocation and at the free), and clock_gettime costs 23 ns here against
// 10 ns for the TSC: at rate 1 the two calls were a fifth of the profiler's time. So where
// the TSC is invariant (CPUID: it ticks at one rate in every power state), microseconds are
// counted from it: the first sample pairs a TSC reading with CLOCK_MONOTONIC, and once 5 ms
// have passed a second pair gives the TSC's rate. Until then, and on CPUs without an
// invariant TSC, clock_gettime answers. Both give the same microseconds, so a lifetime may
// start on one and end on the other.
#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>
#include "sampler.h"
#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

#define CALIBRATION_NS 5000000ull

static uint64_t clock_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

#if defined(__x86_64__)
static int g_state;            // 0 not looked at, 1 being set up, 2 start pair taken, 3 no invariant TSC
static uint64_t g_tsc0, g_ns0; // the start pair (written before g_state = 2)
static uint64_t g_scale;       // microseconds per TSC tick << 32; 0 until calibrated

static int invariant_tsc(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return 0;
  __get_cpuid(0x80000007u, &a, &b, &c, &d);
  return (d >> 8) & 1;
}

static uint64_t ns_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t memprof_sample_clock_us(void) {
  uint64_t scale = __atomic_load_n(&g_scale, __ATOMIC_ACQUIRE);
  if (LIKELY(scale != 0)) {
    uint64_t ticks = __rdtsc() - g_tsc0;
    return g_ns0 / 1000 + (uint64_t)(((unsigned __int128)ticks * scale) >> 32);
  }
  int state = __atomic_load_n(&g_state, __ATOMIC_ACQUIRE);
  if (state == 0 && __atomic_compare_exchange_n(&g_state, &state, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    if (!invariant_tsc()) {
      __atomic_store_n(&g_state, 3, __ATOMIC_RELEASE);
      return clock_us();
    }
    g_ns0 = ns_now();
    g_tsc0 = __rdtsc();
    __atomic_store_n(&g_state, 2, __ATOMIC_RELEASE);
    return g_ns0 / 1000;
  }
  uint64_t ns = ns_now();
  if (state == 2) {
    uint64_t tsc = __rdtsc();
    if (ns - g_ns0 >= CALIBRATION_NS && tsc > g_tsc0) {
      // (elapsed us << 32) / ticks; elapsed stays far below 2^31 us when this runs.
      uint64_t s = (uint64_t)((((unsigned __int128)(ns - g_ns0)) << 32) / 1000 / (tsc - g_tsc0));
      uint64_t expected = 0;
      if (s != 0) __atomic_compare_exchange_n(&g_scale, &expected, s, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
    }
  }
  return ns / 1000;
}
#else
uint64_t memprof_sample_clock_us(void) { return clock_us(); }
#endif
