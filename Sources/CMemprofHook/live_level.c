// The live level and its peak: each thread's change of live bytes stays in its slot until
// it reaches MEMPROF_FLUSH_BYTES, then is published into the shared level; the peak is raised
// at publishing, and for one thread exactly at the top of each climb (accounting.h says how
// a climb is marked without a fast-path instruction).
#include "state.h"
#include "accounting.h"
#include "sampler.h"

void memprof_raise_peak(memprof_state *st, int64_t candidate) {
  int64_t peak = LOAD(&st->peak_live);
  while (candidate > peak &&
         !__atomic_compare_exchange_n(&st->peak_live, &peak, candidate, 1, __ATOMIC_RELAXED,
                                      __ATOMIC_RELAXED)) {}
}

void memprof_publish_live(memprof_state *st, int64_t delta) {
  int64_t now = ADD(&st->flushed_live, delta) + delta;
  if (delta > 0) {
    memprof_raise_peak(st, now);
    memprof_peak_check(now);
    if (UNLIKELY(memprof_g_threshold != 0)) memprof_check_threshold(now);
  }
}

// flush_at from the room left below the peak, read after this thread's own change: at a
// peak it is `unflushed` itself.
static void set_flush_limit(memprof_state *st, memprof_slot *s, int64_t unflushed) {
  int64_t room = LOAD(&st->peak_live) - LOAD(&st->flushed_live);
  s->flush_at = room < MEMPROF_FLUSH_BYTES ? (room > unflushed ? room : unflushed) : MEMPROF_FLUSH_BYTES - 1;
}

void *memprof_alloc_settle(void *p, memprof_slot *s, int64_t unflushed) {
  memprof_state *st = memprof_g_state;
  // A climb that reached the flush limit (both values biased): publishing raises the peak.
  if (memprof_climbing(unflushed)) unflushed += MP_CLIMB_BIAS;
  if (unflushed >= MEMPROF_FLUSH_BYTES) {
    s->unflushed_live = 0;
    memprof_publish_live(st, unflushed);  // raises the peak too
    unflushed = 0;
  } else if (LOAD(&st->flushed_live) + unflushed > LOAD(&st->peak_live)) {
    // A new peak. The heap is climbing: the peak is written when the climb ends (the next
    // release, flush or thread exit) instead of at every allocation on the way up; readers
    // take the larger of the peak and the live bytes meanwhile.
    s->unflushed_live = unflushed - MP_CLIMB_BIAS;
    s->flush_at = MEMPROF_FLUSH_BYTES - 1 - MP_CLIMB_BIAS;
    return p;
  } else {
    s->unflushed_live = unflushed;
  }
  set_flush_limit(st, s, unflushed);
  return p;
}

void memprof_release_settle(memprof_slot *s, int64_t unflushed) {
  memprof_state *st = memprof_g_state;
  int64_t before = s->unflushed_live;
  int climbed = memprof_climbing(before);
  if (climbed) {
    // The top of the climb is the level before this release.
    memprof_raise_peak(st, LOAD(&st->flushed_live) + before + MP_CLIMB_BIAS);
    unflushed += MP_CLIMB_BIAS;
  }
  if (unflushed <= -MEMPROF_FLUSH_BYTES) {
    s->unflushed_live = 0;
    memprof_publish_live(st, unflushed);
    unflushed = 0;
  } else {
    s->unflushed_live = unflushed;
  }
  if (climbed) set_flush_limit(st, s, unflushed);
}

void memprof_free_flush(void *p, memprof_slot *s, int64_t unflushed) {
  memprof_release_settle(s, unflushed);
  __libc_free(p);
}
