// The sampling heap profiler: Poisson-sampled allocations with their stacks, tracked until
// freed. Only sampled allocations (one per `rate` bytes on average) and frees of blocks whose
// address hashes to a filter slot of a live sampled block come here; everything else stays on
// the fast path. Nothing here waits in the kernel: see sampler.h for who locks what.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "accounting.h"
#include "sampler.h"
#include "stack_capture.h"
#include "live_table.h"
#include "unwind_cache.h"
#include "table_memory.h"
#include "stack_memo.h"
#include "sample_lifetimes.h"

memprof_sampler *memprof_g_sampler;
static memprof_sampler *g_shared_sampler;  // inside the shared file, if any
// Set while this thread holds the sampler lock: a signal handler that allocates then must
// not wait for the lock its own thread holds (it is counted, not sampled).
static __thread int t_in_sampler __attribute__((tls_model("initial-exec")));
// MEMPROF_STACK_MEMO=0: every sample walks its whole stack (to check the memo against).
static int g_memo_off;
// The thread's errno, found once (errno is a call into libc each time it is named).
static __thread int *t_errno __attribute__((tls_model("initial-exec")));
static inline int *errno_slot(void) {
  int *e = t_errno;
  if (UNLIKELY(e == NULL)) t_errno = e = &errno;
  return e;
}
extern void *__libc_stack_end;

// ---- fork: every lock is taken before and given back after, in parent and child, so a
// child never inherits a lock some other thread of its parent held.

static void before_fork(void) {
  if (memprof_g_sampler) mp_lock_take(&memprof_g_sampler->intern);
  memprof_live_lock_all();
}
static void after_fork(void) {
  memprof_live_unlock_all();
  if (memprof_g_sampler) mp_lock_give(&memprof_g_sampler->intern);
}
static void after_fork_child(void) {
  // A child must not write samples into its parent's shared file, nor touch its lock: the
  // file is already unmapped here (shared_state.c's child handler ran first).
  if (memprof_g_sampler && memprof_g_sampler == g_shared_sampler) {
    memprof_g_sampler = NULL;
    g_shared_sampler = NULL;
    memprof_g_rate = 0;
    memprof_intern_forget_indexes();  // their ids are the parent's file's
  }
  after_fork();
}

// ---- tables

static memprof_sampler *sampler_for_writing(void) {
  memprof_sampler *s = memprof_g_sampler;
  if (s) return s;
  // First sample in this process: map the tables (sparse: pages are touched as used).
  void *m = memprof_map_table(sizeof(memprof_sampler));
  if (m == NULL) return NULL;
  memprof_sampler *fresh = m;
  fresh->magic = MP_SAMPLER_MAGIC;
  memprof_sampler *expected = NULL;
  if (!__atomic_compare_exchange_n(&memprof_g_sampler, &expected, fresh, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE)) {
    memprof_unmap_table(m, sizeof(memprof_sampler));
    return expected;
  }
  return fresh;
}

// ---- the sampled paths

static void drop(memprof_sampler *sp, size_t usable) {
  ADD(&sp->dropped_samples, 1);
  ADD(&sp->dropped_bytes, usable);
}

// `s` is the allocating thread's slot (NULL for a call made without one).
static void record(void *p, size_t usable, memprof_slot *s, uintptr_t top, uintptr_t frame, void *ret) {
  if (UNLIKELY(LOAD(&memprof_g_live_table_large)))  // the entry's line loads during the walk
    memprof_live_prefetch((uint64_t)(uintptr_t)p, memprof_live_hash((uint64_t)(uintptr_t)p));
  int *err = errno_slot();
  int saved_errno = *err;
  t_in_sampler = 1;
  uint64_t pcs[MP_MAX_DEPTH];
  mp_stack_memo *memo = g_memo_off ? NULL : memprof_stack_memo(s);
  int same = 0;
  uint32_t depth = memprof_capture_stack(frame, top, (uintptr_t)ret, pcs, memo, &same);
  memprof_sampler *sp = sampler_for_writing();
  if (sp != NULL) {
    if (UNLIKELY(LOAD(&sp->start_time_ns) == 0)) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      uint64_t zero = 0;
      __atomic_compare_exchange_n(&sp->start_time_ns, &zero, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
                                  0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    }
    // Written only when it changed: every thread reads this line on every sample.
    int64_t rate = LOAD(&memprof_g_rate);
    if (UNLIKELY(LOAD(&sp->rate) != rate)) STORE(&sp->rate, rate);
    // The same stack as this thread's last sample (stack_memo.h): the same id, unless the
    // ids were forgotten since (a forked child).
    uint32_t epoch = __atomic_load_n(&memprof_g_intern_epoch, __ATOMIC_ACQUIRE);
    int id_holds = same && memo->stack_id && memo->epoch == epoch;
    if (same == 2 && !id_holds) memcpy(pcs, memo->pcs, depth * sizeof pcs[0]);
    uint32_t stack = id_holds ? memo->stack_id : memprof_intern_stack(sp, pcs, depth);
    if (memo) {
      memo->stack_id = memo->n ? stack : 0;
      memo->epoch = epoch;
      if (UNLIKELY(!memo->touched)) memo->touched = 1;
    }
    uint32_t bucket = stack ? memprof_intern_bucket(sp, stack, usable, memprof_thread_label(sp, s), 0) : 0;
    memprof_state *st = memprof_g_state;
    mp_live_info info = {
      .bucket = bucket,
      .slot = s ? (uint16_t)(s - st->slots) : MP_NO_SLOT,
      .serial = s ? (uint16_t)s->allocations : 0,
      .born_us = bucket ? birth_time(sp, bucket, s, rate) : 0,
    };
    mp_live_info previous;
    int put = bucket ? memprof_live_put((uint64_t)(uintptr_t)p, memprof_live_hash((uint64_t)(uintptr_t)p), &info, &previous,
                                        rate == 1)
                     : -1;
    if (put < 0) {
      drop(sp, usable);
    } else {
      // The block was handed out again after a free we did not see: that free counts now
      // (its lifetime unknown: not in the lifetime classes).
      if (put == 1) ADD(&sp->buckets[previous.bucket - 1].frees, 1);
      ADD(&sp->buckets[bucket - 1].allocs, 1);
    }
  }
  t_in_sampler = 0;
  *err = saved_errno;
}

void memprof_sample_set_type(void *p, uint64_t metadata) {
  memprof_sampler *sp = memprof_g_sampler;
  if (sp == NULL || t_in_sampler) return;
  t_in_sampler = 1;
  mp_live_info info, previous;
  // Nobody frees p meanwhile: the census holds p's claim while it types it.
  if (memprof_live_take((uint64_t)(uintptr_t)p, &info)) {
    const mp_bucket *from = &sp->buckets[info.bucket - 1];
    uint32_t to = memprof_intern_bucket(sp, from->stack_plus_one, from->size, from->thread, metadata);
    if (to) {
      ADD(&sp->buckets[info.bucket - 1].allocs, (uint64_t)-1);
      ADD(&sp->buckets[to - 1].allocs, 1);
      info.bucket = to;
    }
    memprof_live_put((uint64_t)(uintptr_t)p, memprof_live_hash((uint64_t)(uintptr_t)p), &info, &previous, 0);
  }
  t_in_sampler = 0;
}

// A signal handler allocating while its thread samples: the tables may be held by the code it
// interrupted, so the sample is only counted (it stays in the alloc totals, under
// `[memprof: dropped samples]`; whether it is still live is not known, so not in inuse).
static void drop_in_handler(size_t usable) {
  memprof_sampler *sp = memprof_g_sampler;
  if (sp == NULL) return;
  ADD(&sp->handler_samples, 1);
  ADD(&sp->handler_bytes, usable);
}

// The countdown after `left` (this allocation of `usable` bytes taken off) went below 0, drawn
// with s's generator; *sample says whether this allocation is a sample. After MP_REDRAW (a rate
// change, or the unslotted countdown's start) the interval just drawn starts at this
// allocation, which is a sample only if it reaches past it, as with any other countdown:
// sampling it outright would give a block weight 1/p it did not have the chance p of.
static int64_t next_countdown(memprof_slot *s, int64_t left, size_t usable, int *sample) {
  int64_t next = memprof_next_interval(s);
  *sample = next != INT64_MAX;  // sampling was just turned off: not a sample
  if (*sample && UNLIKELY(left < MP_REDRAW / 2)) {
    next -= (int64_t)usable;
    if (next >= 0) *sample = 0;
    else next = memprof_next_interval(s);
  }
  return next;
}

HOOK_TEXT __attribute__((noinline)) void memprof_sample(void *p, size_t usable, memprof_slot *s, uintptr_t frame, void *ret) {
  if (UNLIKELY(s->sampling_paused)) {  // a rate change reset the countdown of a paused thread
    s->until_sample = INT64_MAX;
    return;
  }
  int sample;
  s->until_sample = next_countdown(s, s->until_sample, usable, &sample);
  if (!sample) return;
  if (UNLIKELY(t_in_sampler)) {
    drop_in_handler(usable);
    return;
  }
  record(p, usable, s, s->stack_top, frame, ret);
}

// Calls made without a slot (a thread's first calls, before the chunk header is checked,
// while a thread exits) are sampled too, from one shared countdown: at rate 1 every
// allocation of the process is in the profile.
static memprof_slot g_unslotted;  // only its rng is used, racily
// Starts as a request for a first draw (as after a rate change), not at 0: a countdown of 0
// would make every process's first allocation a sample.
int64_t memprof_g_unslotted_until = MP_REDRAW;

HOOK_TEXT __attribute__((noinline)) void memprof_sample_unslotted(void *p, size_t usable, void *ret) {
  int64_t rate = LOAD(&memprof_g_rate);
  if (rate <= 0) return;
  if (rate > 1) {
    int64_t left = __atomic_sub_fetch(&memprof_g_unslotted_until, (int64_t)usable, __ATOMIC_RELAXED);
    if (left >= 0) return;
    if (g_unslotted.rng == 0) g_unslotted.rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)p;
    int sample;
    STORE(&memprof_g_unslotted_until, next_countdown(&g_unslotted, left, usable, &sample));
    if (!sample) return;
  }
  if (UNLIKELY(t_in_sampler)) {
    drop_in_handler(usable);
    return;
  }
  // The same bounds as a slot's: the main thread's stack ends at __libc_stack_end, another
  // thread's at its descriptor, which glibc keeps at the top of the thread's stack block.
  uintptr_t top = syscall(SYS_gettid) == getpid() ? (uintptr_t)__libc_stack_end : (uintptr_t)pthread_self();
  record(p, usable, NULL, top, (uintptr_t)__builtin_frame_address(0), ret);
}

// The free of a sampled block taken out of the table: its lifetime (if it was timed), and
// whether it was a temporary (freed by the thread that allocated it before it allocated
// anything else).
static void count_free(memprof_sampler *sp, const mp_live_info *info) {
  mp_bucket *b = &sp->buckets[info->bucket - 1];
  memprof_slot *s = memprof_thread_slot();
  memprof_state *st = memprof_g_state;
  int temporary = (uintptr_t)s > 1 && info->slot != MP_NO_SLOT && s == &st->slots[info->slot] &&
                  (uint16_t)s->allocations == info->serial;
  if (info->born_us == MP_BORN_UNTIMED) {
    ADD(&b->untimed_freed, 1);
    if (temporary) ADD(&b->untimed_temporaries, 1);
  } else {
    unsigned c = lifetime_class((memprof_sample_clock_us() - info->born_us) & MP_BORN_MASK);
    ADD(&b->by_lifetime[c].freed, 1);
    if (temporary) ADD(&b->by_lifetime[c].temporaries, 1);
  }
  ADD(&b->frees, 1);
}

static inline __attribute__((always_inline)) int detach(void *p, mp_live_info *info) {
  if (memprof_g_sampler == NULL) return 0;
  int in_sampler = t_in_sampler;
  t_in_sampler = 1;
  // A signal handler's free while its thread samples: the code it interrupted may hold the
  // shard's lock. Then the entry stays, and the next sample at this address counts the free
  // (its lifetime unknown), as for a free the hook did not see.
  int found = in_sampler ? memprof_live_take_nowait((uint64_t)(uintptr_t)p, info)
                         : memprof_live_take((uint64_t)(uintptr_t)p, info);
  t_in_sampler = in_sampler;
  return found == 1;
}

static inline __attribute__((always_inline)) void end_detached(void *p, const mp_live_info *info, int freed) {
  memprof_sampler *sp = memprof_g_sampler;
  if (sp == NULL) return;
  int in_sampler = t_in_sampler;
  t_in_sampler = 1;
  mp_live_info previous;
  // Back in the table (its lock may be held by the code a signal handler interrupted: then
  // the block leaves the profile as freed, and its allocation stays counted).
  int put = !freed && !in_sampler
                ? memprof_live_put((uint64_t)(uintptr_t)p, memprof_live_hash((uint64_t)(uintptr_t)p), info, &previous, 0)
                : -1;
  if (put < 0) count_free(sp, info);
  else if (put == 1) ADD(&sp->buckets[previous.bucket - 1].frees, 1);  // an entry there meanwhile: as in record()
  t_in_sampler = in_sampler;
}

int memprof_sample_detach(void *p, mp_live_info *info) { return detach(p, info); }

void memprof_sample_end_detached(void *p, const mp_live_info *info, int freed) { end_detached(p, info, freed); }

int memprof_sample_forget(void *p) {
  mp_live_info info;
  if (!detach(p, &info)) return 0;
  end_detached(p, &info, 1);
  return 1;
}

void memprof_sampler_filter_recount(void) {
  // A signal handler changing the rate while its thread samples: that thread may hold a
  // shard's lock, so the words stay stuck (only slower).
  if (t_in_sampler) return;
  // Marked as sampling while every shard is locked: a signal handler that allocates or frees
  // on this thread meanwhile is counted without the table, as during any sample.
  t_in_sampler = 1;
  memprof_filter_recount();
  t_in_sampler = 0;
}

void memprof_sampler_init(memprof_sampler *in_shared_file) {
  const char *env = getenv("MEMPROF_RATE");
  if (env && *env) {
    char *end;
    long long v = strtoll(env, &end, 10);
    if (*end == 0 && v >= 0) memprof_g_rate = v;
  }
  const char *memo = getenv("MEMPROF_STACK_MEMO");
  g_memo_off = memo != NULL && strcmp(memo, "0") == 0;
  if (in_shared_file) {
    in_shared_file->magic = MP_SAMPLER_MAGIC;
    g_shared_sampler = memprof_g_sampler = in_shared_file;
  }
  pthread_atfork(before_fork, after_fork, after_fork_child);
}
