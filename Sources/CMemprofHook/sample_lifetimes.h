// Private: a sampled block's lifetime, for the sampler (sampler.c): when it is born (or that
// it is not timed: see MP_TIME_ALL_RATE) and the power-of-ten class of how long it lived.
#ifndef MEMPROF_SAMPLE_LIFETIMES_H
#define MEMPROF_SAMPLE_LIFETIMES_H
#include "sampler.h"
#include "live_table.h"

// Lifetime classes by powers of ten of microseconds: < 1 us, 1-10 us, ..., >= 100 s. The
// class of us >= 1 is its number of decimal digits, found from its bit length and one compare
// (a loop over the bounds took 27 instructions a free at rate 1; this takes about 8).
static inline unsigned lifetime_class(uint64_t us) {
  static const uint64_t powers[20] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
                                      10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
                                      100000000000ull, 1000000000000ull, 10000000000000ull,
                                      100000000000000ull, 1000000000000000ull, 10000000000000000ull,
                                      100000000000000000ull, 1000000000000000000ull,
                                      10000000000000000000ull};
  if (us == 0) return 0;
  // t is floor(log10(us)) or one more (1233 / 4096 ~ log10(2)).
  unsigned t = (unsigned)((64 - __builtin_clzll(us)) * 1233) >> 12;
  unsigned digits = t + (us >= powers[t]);
  return digits < MEMPROF_LIFETIME_CLASSES - 1 ? digits : MEMPROF_LIFETIME_CLASSES - 1;
}

// When a block of `bucket` is born, or MP_BORN_UNTIMED when its lifetime is not measured
// (sampler.h: dense samples time one block in MP_TIME_ONE_IN after their bucket's first).
static inline uint64_t birth_time(memprof_sampler *sp, uint32_t bucket, memprof_slot *s, int64_t rate) {
  if (rate < MP_TIME_ALL_RATE && s != NULL && LOAD(&sp->buckets[bucket - 1].allocs) >= MP_TIME_FIRST &&
      memprof_slot_random(&s->rng) % MP_TIME_ONE_IN != 0)
    return MP_BORN_UNTIMED;
  uint64_t t = memprof_sample_clock_us() & MP_BORN_MASK;
  return t == MP_BORN_UNTIMED ? t - 1 : t;
}
#endif
