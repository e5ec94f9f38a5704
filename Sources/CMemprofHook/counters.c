// Per-thread exact counters: slot ownership, the accounting called by every hook, and the
// readers that sum all slots.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <malloc.h>
#include "state.h"
#include <sys/syscall.h>
#include <unistd.h>
#include "accounting.h"
#include "sampler.h"
#include "type_census.h"

// Zero-initialised so it stays in .bss (half a megabyte of slots, touched only as threads
// come); the header is filled in at the first call.
static memprof_state g_static_state;
memprof_state *memprof_g_state = &g_static_state;

// This thread's slot. NULL: not taken yet. SLOT_NONE: taking one right now, or released
// at thread exit, or none was free: count in the shared counters.
__thread memprof_slot *memprof_t_slot __attribute__((tls_model("initial-exec")));

int memprof_g_chunk_header;          // read sizes from glibc's chunk header
static int g_init_state;             // 0 not yet, 1 in progress, 2 done
static pthread_key_t g_key;
static int g_key_ok;

// The chunk-header read is checked against malloc_usable_size on the program's own blocks:
// the slow path (taken until a slot exists) checks every arena block it sees, and slots are
// handed out only after MEMPROF_HEADER_CHECKS agreements; one disagreement (another
// allocator, a debugging mode) means malloc_usable_size from then on. The hook never
// allocates to test it: freeing a block of its own, mmapped ones above all, would move
// glibc's dynamic mmap and trim thresholds for the whole program.
#define MEMPROF_HEADER_CHECKS 8
static int g_header_agreements;      // arena blocks seen to agree so far
static int g_header_disagreed;

void memprof_verify_chunk_header(void *p) {
  if (p == NULL || __atomic_load_n(&memprof_g_chunk_header, __ATOMIC_RELAXED) ||
      __atomic_load_n(&g_header_disagreed, __ATOMIC_RELAXED))
    return;
  size_t head = memprof_chunk_head(p);
  if (head & MEMPROF_CHUNK_MMAPPED) return;  // never read from the header: nothing to check
  if (memprof_chunk_usable(head) != malloc_usable_size(p)) {
    __atomic_store_n(&g_header_disagreed, 1, __ATOMIC_RELAXED);
    return;
  }
  if (__atomic_add_fetch(&g_header_agreements, 1, __ATOMIC_RELAXED) >= MEMPROF_HEADER_CHECKS &&
      !__atomic_load_n(&g_header_disagreed, __ATOMIC_RELAXED))
    __atomic_store_n(&memprof_g_chunk_header, 1, __ATOMIC_RELEASE);
}

static void release_slot(void *p) {
  memprof_slot *s = p;
  int64_t u = s->unflushed_live;
  if (memprof_climbing(u)) u += MP_CLIMB_BIAS;  // (publishing it raises the peak to the top)
  s->unflushed_live = 0;
  if (u) memprof_publish_live(memprof_g_state, u);
  __atomic_store_n(&s->in_use, 0, __ATOMIC_RELEASE);
  memprof_t_slot = SLOT_NONE;
  if (memprof_g_types) memprof_census_thread_exit();
}

static int g_active;  // this copy is the one the process's malloc reaches (see below)
static int copy_answers_malloc_lookups(void);

// `proven`: called from this copy's own malloc, so it is the copy in use. Without that proof
// (a constructor), a copy that cannot tell yet stays uninitialised: it claims nothing and
// starts no trace until its own malloc is first called, which an idle copy never is.
static void init_once(int proven) {
  if (!proven && !copy_answers_malloc_lookups()) return;
  // Only the first thread to get here initialises; a rare concurrent first caller simply
  // counts in the shared counters until it calls again.
  int expected = 0;
  if (!__atomic_compare_exchange_n(&g_init_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    return;
  __atomic_store_n(&g_active, 1, __ATOMIC_RELEASE);
  g_static_state.magic = MEMPROF_MAGIC;
  g_static_state.version = MEMPROF_VERSION;
  g_static_state.slot_count = MEMPROF_SLOTS;
  g_static_state.size = sizeof(memprof_state);
  memprof_sampler *shared_sampler = NULL;
  memprof_g_state = memprof_attach_shared_state(&g_static_state, (void **)&shared_sampler);
  memprof_own_ranges_init(memprof_g_state);
  memprof_sampler_init(shared_sampler);
  memprof_census_init(shared_sampler ? (memprof_census *)((char *)memprof_g_state + MEMPROF_CENSUS_OFFSET) : NULL);
  g_key_ok = pthread_key_create(&g_key, release_slot) == 0;
  __atomic_store_n(&g_init_state, 2, __ATOMIC_RELEASE);
  // A trace asked for before this copy knew it was the one in use starts now.
  if (proven) memprof_trace_start();
}

void memprof_ensure_init(void) {
  if (__atomic_load_n(&g_init_state, __ATOMIC_ACQUIRE) != 2) init_once(0);
}

memprof_slot *memprof_acquire_slot(void *block) {
  if (memprof_t_slot == SLOT_NONE) return NULL;  // re-entered, or thread is exiting
  memprof_t_slot = SLOT_NONE;                    // anything we call that allocates counts shared
  int saved_errno = errno;
  if (__atomic_load_n(&g_init_state, __ATOMIC_ACQUIRE) != 2) init_once(block != NULL);
  memprof_verify_chunk_header(block);
  // Without the fast size read, no slots: the slow path reads sizes with malloc_usable_size.
  // Not yet checked: try again at this thread's next call.
  if (__atomic_load_n(&g_init_state, __ATOMIC_ACQUIRE) != 2 ||
      !__atomic_load_n(&memprof_g_chunk_header, __ATOMIC_ACQUIRE)) {
    if (!__atomic_load_n(&g_header_disagreed, __ATOMIC_RELAXED)) memprof_t_slot = NULL;
    errno = saved_errno;
    return NULL;
  }
  memprof_state *st = memprof_g_state;
  memprof_slot *got = NULL;
  for (uint32_t i = 0; i < MEMPROF_SLOTS && !got; i++) {
    memprof_slot *s = &st->slots[i];
    uint32_t zero = 0;
    if (LOAD(&s->in_use) == 0 &&
        __atomic_compare_exchange_n(&s->in_use, &zero, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      got = s;
      uint32_t hw = LOAD(&st->slots_high_water);
      while (hw < i + 1 && !__atomic_compare_exchange_n(&st->slots_high_water, &hw, i + 1, 1,
                                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {}
    }
  }
  // Without a key we could not give the slot back at thread exit: then do not take one.
  if (got && !(g_key_ok && pthread_setspecific(g_key, got) == 0)) {
    __atomic_store_n(&got->in_use, 0, __ATOMIC_RELEASE);
    got = NULL;
  }
  if (got) {
    got->flush_at = 0;  // a former owner's limit: the first allocation sets it again
    memprof_slot_start_sampling(got, syscall(SYS_gettid) == getpid());
    memprof_t_slot = memprof_census_adopt(got);
  }
  errno = saved_errno;
  return got;
}

// The slow paths of accounting.h. A thread without a slot (none yet, re-entered, exiting,
// none free) counts in the shared counters with atomic adds.

static inline memprof_slot *slot_or_acquire(void *block) {
  memprof_slot *s = memprof_t_slot;
  if (LIKELY((uintptr_t)s > SLOT_SENTINEL_MAX)) return s;
  if (s == SLOT_CENSUS) return memprof_census_slot();
  return s == NULL ? memprof_acquire_slot(block) : NULL;
}

// A block given back, counted in the thread's own slot (the fast free of accounting.h does
// the same inline).
static inline void release_from_slot(memprof_slot *s, size_t usable) {
  BUMP(&s->frees, 1);
  BUMP(&s->freed_bytes, usable);
  int64_t u = s->unflushed_live - (int64_t)usable;
  if (UNLIKELY(u <= -MEMPROF_FLUSH_BYTES)) memprof_release_settle(s, u);
  else s->unflushed_live = u;
}

HOOK_TEXT void memprof_account_new(void *p, size_t requested, size_t usable, void *ret) {
  memprof_slot *s = slot_or_acquire(p);
  if (s == NULL) {
    memprof_state *st = memprof_g_state;
    ADD(&st->allocations, 1);
    ADD(&st->requested_bytes, requested);
    ADD(&st->allocated_bytes, usable);
    memprof_publish_live(st, (int64_t)usable);
    if (p != NULL && __atomic_load_n(&g_init_state, __ATOMIC_ACQUIRE) == 2) memprof_sample_unslotted(p, usable, ret);
    return;
  }
  BUMP(&s->allocations, 1);
  BUMP(&s->requested_bytes, requested);
  BUMP(&s->allocated_bytes, usable);
  // The profiler's own work (sampling paused) got a block of its own mapping.
  if (UNLIKELY(LOAD(&s->sampling_paused)) && p != NULL && (memprof_chunk_head(p) & MEMPROF_CHUNK_MMAPPED))
    memprof_own_block_add(p);
  s->until_sample -= (int64_t)usable;
  if (s->until_sample < 0 && p != NULL) memprof_sample(p, usable, s, (uintptr_t)__builtin_frame_address(0), ret);
  int64_t u = s->unflushed_live + (int64_t)usable;
  if (u > s->flush_at) memprof_alloc_settle(p, s, u);
  else s->unflushed_live = u;
}

HOOK_TEXT void memprof_account_release(size_t usable) {
  memprof_slot *s = slot_or_acquire(NULL);
  if (s == NULL) {
    memprof_state *st = memprof_g_state;
    ADD(&st->frees, 1);
    ADD(&st->freed_bytes, usable);
    memprof_publish_live(st, -(int64_t)usable);
    return;
  }
  release_from_slot(s, usable);
}

HOOK_TEXT void *memprof_alloc_slow(void *p, size_t requested, void *ret) {
  if (UNLIKELY(memprof_g_types)) return memprof_census_alloc(p, requested, ret);
  return memprof_alloc_plain(p, requested, ret);
}

HOOK_TEXT void *memprof_alloc_plain(void *p, size_t requested, void *ret) {
  if (p == NULL) {
    memprof_account_failed();
    return NULL;
  }
  memprof_account_new(p, requested, memprof_block_size(p), ret);
  return p;
}

void memprof_forget_if_sampled(void *p) {
  if (memprof_filter_may_hold(p)) memprof_sample_forget(p);
}

int memprof_detach_if_sampled(void *p, mp_live_info *info) {
  return memprof_filter_may_hold(p) && memprof_sample_detach(p, info);
}

HOOK_TEXT void memprof_free_slow(void *p) {
  if (UNLIKELY(memprof_g_types)) {
    memprof_census_free(p);
    return;
  }
  memprof_free_plain(p);
}

// A thread with a slot has passed the chunk-header check, and the filter was just read: the
// free goes straight to the live sampled blocks and then to the slot's counts.
HOOK_TEXT void memprof_free_sampled(void *p, memprof_slot *s) {
  if (UNLIKELY(memprof_g_types)) {
    memprof_census_free(p);
    return;
  }
  memprof_sample_forget(p);
  release_from_slot(s, memprof_block_size(p));
  memprof_libc_free(p);
}

HOOK_TEXT void memprof_free_plain(void *p) {
  if (p != NULL) {
    memprof_verify_chunk_header(p);
    memprof_forget_if_sampled(p);
    memprof_account_release(memprof_block_size(p));
  }
  memprof_libc_free(p);
}

HOOK_TEXT void *memprof_alloc_sampled(void *p, memprof_slot *s, void *ret) {
  size_t usable = memprof_chunk_usable(memprof_chunk_head(p));
  memprof_sample(p, usable, s, (uintptr_t)__builtin_frame_address(0), ret);
  // The live bytes read after the sample: a signal handler may have allocated or freed
  // meanwhile, and its change must not be written over.
  int64_t unflushed = s->unflushed_live + (int64_t)usable;
  if (unflushed > s->flush_at) return memprof_alloc_settle(p, s, unflushed);
  s->unflushed_live = unflushed;
  return p;
}

void memprof_account_failed(void) {
  memprof_slot *s = slot_or_acquire(NULL);
  if ((uintptr_t)s > 1) BUMP(&s->failed_allocations, 1);
  else ADD(&memprof_g_state->failed_allocations, 1);
}

void memprof_sum_state(const memprof_state *st, memprof_counters *out) {
  memprof_counters c = {
    .allocations = LOAD(&st->allocations), .frees = LOAD(&st->frees),
    .requested_bytes = LOAD(&st->requested_bytes), .allocated_bytes = LOAD(&st->allocated_bytes),
    .freed_bytes = LOAD(&st->freed_bytes), .failed_allocations = LOAD(&st->failed_allocations),
  };
  uint32_t n = __atomic_load_n(&st->slots_high_water, __ATOMIC_ACQUIRE);
  if (n > MEMPROF_SLOTS) n = MEMPROF_SLOTS;
  for (uint32_t i = 0; i < n; i++) {
    const memprof_slot *s = &st->slots[i];
    c.allocations += LOAD(&s->allocations);
    c.frees += LOAD(&s->frees);
    c.requested_bytes += LOAD(&s->requested_bytes);
    c.allocated_bytes += LOAD(&s->allocated_bytes);
    c.freed_bytes += LOAD(&s->freed_bytes);
    c.failed_allocations += LOAD(&s->failed_allocations);
  }
  // Loads race with other threads' updates; never report a negative live figure.
  c.live_bytes = c.allocated_bytes > c.freed_bytes ? c.allocated_bytes - c.freed_bytes : 0;
  c.live_objects = c.allocations > c.frees ? c.allocations - c.frees : 0;
  int64_t peak = LOAD(&st->peak_live);
  c.peak_live_bytes = peak > 0 && (uint64_t)peak > c.live_bytes ? (uint64_t)peak : c.live_bytes;
  *out = c;
}

// Thread readings need a slot; without the chunk-header fast path there is none (all counts
// are shared), and they read as zero.
void memprof_read_thread_counters(memprof_counters *out) {
  memprof_counters c = {0};
  memprof_slot *s = memprof_thread_slot();
  if (s == NULL) s = memprof_acquire_slot(NULL);
  if ((uintptr_t)s > 1) {
    c.allocations = s->allocations;
    c.frees = s->frees;
    c.requested_bytes = s->requested_bytes;
    c.allocated_bytes = s->allocated_bytes;
    c.freed_bytes = s->freed_bytes;
    c.failed_allocations = s->failed_allocations;
  }
  *out = c;
}

void memprof_read_counters(memprof_counters *out) {
  memprof_sum_state(memprof_g_state, out);
  // What a reader saw is a level the heap reached: the peak keeps it.
  memprof_raise_peak(memprof_g_state, (int64_t)out->live_bytes);
}

int memprof_uses_chunk_header(void) { return memprof_g_chunk_header; }

// Which copy of the hook the process uses. A program that links the hook and also runs
// with it preloaded has two; the process's malloc reaches one, the other idles. A copy knows
// it is in use when its own malloc is called, or, before that, when looking malloc up the
// way shared libraries bind to it finds this copy's (a hidden alias names this module's own
// definition). A non-PIE executable that takes malloc's address (Debian's python3) makes
// that lookup return its PLT entry: its copy learns at its first malloc instead.
extern void *memprof_own_malloc(size_t) __attribute__((weak, visibility("hidden")));

static int copy_answers_malloc_lookups(void) {
  return memprof_own_malloc != NULL && dlsym(RTLD_DEFAULT, "malloc") == (void *)memprof_own_malloc;
}

int memprof_copy_is_active(void) { return __atomic_load_n(&g_active, __ATOMIC_ACQUIRE); }


// A program that never allocates still gets its state set up (and a `memprof run` parent
// its shared file claimed), so "zero allocations" is told apart from "hook not loaded".
__attribute__((constructor)) static void memprof_init_at_load(void) {
  if (memprof_t_slot == NULL) memprof_acquire_slot(NULL);
}
