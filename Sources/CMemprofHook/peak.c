// The heap at its high-water mark. Each time the exact live bytes exceed the last copy by
// 2%, every bucket's live sample count (allocs - frees) is copied into its peak_inuse: a
// copy costs one pass over the buckets, not over the live blocks, and the copied heap is
// within 2% of the true peak (plus one 64 KiB flush per thread allocating at the moment).
// At most log(2)/log(1.02) = 35 copies per doubling of the heap; none while it shrinks.
#include <time.h>
#include "sampler.h"

void memprof_peak_check(int64_t live) {
  memprof_sampler *sp = __atomic_load_n(&memprof_g_sampler, __ATOMIC_ACQUIRE);
  if (sp == NULL || live <= 0) return;
  int64_t copied = LOAD(&sp->peak_copied_live);
  if (live * 50 <= copied * 51) return;  // within 2% of the last copy
  // One copier at a time; a thread that finds it busy goes on (the copier is near the top).
  if (__atomic_exchange_n(&sp->peak_lock.taken, 1, __ATOMIC_ACQUIRE)) return;
  if (live * 50 > LOAD(&sp->peak_copied_live) * 51) {
    uint64_t n = __atomic_load_n(&sp->buckets_used, __ATOMIC_ACQUIRE);
    for (uint64_t i = 0; i < n; i++) {
      mp_bucket *b = &sp->buckets[i];
      uint64_t frees = LOAD(&b->frees), allocs = LOAD(&b->allocs);
      STORE(&b->peak_inuse, allocs > frees ? allocs - frees : 0);
    }
    // Buckets added after the copy started were not live at the peak: they stay 0 until the
    // next copy, which rewrites every bucket up to the count it reads.
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    STORE(&sp->peak_time_ns, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
    STORE(&sp->peak_copied_live, live);
  }
  mp_lock_give(&sp->peak_lock);
}
