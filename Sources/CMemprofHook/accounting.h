// Private: the accounting every hook calls. Inline so the hot path is one TLS load, a few
// owner-only adds and one compare.
#ifndef MEMPROF_ACCOUNTING_H
#define MEMPROF_ACCOUNTING_H
#include <malloc.h>
#include "state.h"
#include "live_table.h"

#define SLOT_NONE ((memprof_slot *)1)
/// A thread whose calls all go through the type census (type_census.c): its slot is kept
/// aside (memprof_thread_slot). Values up to SLOT_SENTINEL_MAX are not slots.
#define SLOT_CENSUS ((memprof_slot *)2)
#define SLOT_SENTINEL_MAX 2

extern __thread memprof_slot *memprof_t_slot __attribute__((tls_model("initial-exec"))) HIDDEN;
extern int memprof_g_chunk_header HIDDEN;

// glibc's own entry points, which the hooks forward to.
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/// The profiler's own mmapped blocks (own_blocks.c): remembered when a thread doing the
/// profiler's work gets one from glibc, so that their free does not move glibc's dynamic mmap
/// threshold. `take` forgets p and says whether it was one.
HIDDEN void memprof_own_block_add(void *p);
HIDDEN int memprof_own_block_take(void *p);
/// glibc's free, except for the profiler's own mmapped blocks (see own_blocks.c).
HIDDEN void memprof_libc_free(void *p);

/// Takes a slot for this thread. `block`, when not NULL, is a block of the program's that
/// the header check may use.
HIDDEN memprof_slot *memprof_acquire_slot(void *block);
HIDDEN void memprof_forget_if_sampled(void *p);
/// realloc's first half of memprof_forget_if_sampled (see memprof_sample_detach).
HIDDEN int memprof_detach_if_sampled(void *p, mp_live_info *info);
HIDDEN void memprof_publish_live(memprof_state *st, int64_t delta);
HIDDEN void memprof_account_failed(void);
HIDDEN memprof_slot *memprof_census_slot(void);

/// This thread's slot, or a value <= 1 (NULL, SLOT_NONE) when it has none.
static inline memprof_slot *memprof_thread_slot(void) {
  memprof_slot *s = memprof_t_slot;
  return UNLIKELY(s == SLOT_CENSUS) ? memprof_census_slot() : s;
}

/// glibc's chunk header: the size field just below the block; its low 3 bits are flags.
static inline size_t memprof_chunk_head(const void *p) { return ((const size_t *)p)[-1]; }
/// Bit 1 of the header: the chunk has its own mapping (read those with malloc_usable_size:
/// they are rare, and their header is never trusted without a check).
#define MEMPROF_CHUNK_MMAPPED ((size_t)2)

/// Usable size of a chunk of an arena (not mmapped), from its header.
static inline size_t memprof_chunk_usable(size_t head) { return (head & ~(size_t)7) - sizeof(size_t); }

static inline size_t memprof_block_size(void *p) {
  if (LIKELY(memprof_g_chunk_header)) {
    size_t head = memprof_chunk_head(p);
    if (LIKELY(!(head & MEMPROF_CHUNK_MMAPPED))) return memprof_chunk_usable(head);
  }
  return malloc_usable_size(p);
}

/// Checks the header read against malloc_usable_size on a block the program itself
/// allocated (the hook allocates nothing of its own to test it: see counters.c).
HIDDEN void memprof_verify_chunk_header(void *p);

// The hot path. A thread has a slot only when sizes can be read from the chunk header (see
// memprof_acquire_slot); otherwise every call takes the slow path with malloc_usable_size,
// and so do mmapped chunks.
// Shape chosen for the machine code: one TLS load decides between the fast
// path and a slow one, and every rare case (no slot yet, flush, new peak) is a tail call, so
// the fast path saves no registers and calls nothing but glibc. It touches one line of its
// own slot and nothing another thread writes.

HIDDEN void memprof_sample(void *p, size_t usable, memprof_slot *s, uintptr_t frame, void *ret);

/// Slow path of an allocation: no slot (first call of a thread, re-entry, exiting thread),
/// or sizes read with malloc_usable_size.
HIDDEN void *memprof_alloc_slow(void *p, size_t requested, void *ret);
/// While a thread's allocations climb to a new peak, its slot's unflushed_live and flush_at
/// are both lowered by MP_CLIMB_BIAS: allocations stay on the fast path up to the flush limit,
/// and the next release sees a value below -MEMPROF_FLUSH_BYTES, which sends it to the slow
/// path (memprof_release_settle) to write the peak first. No fast path changes for it.
#define MP_CLIMB_BIAS ((int64_t)1 << 62)
static inline int memprof_climbing(int64_t unflushed) { return unflushed < -(MP_CLIMB_BIAS / 2); }

/// An allocation took unflushed_live above the slot's flush_at: starts a climb at a new
/// peak, publishes the change once it reaches MEMPROF_FLUSH_BYTES, and sets flush_at again
/// from the room left below the peak. The peak is exact for one thread; with several, each
/// one's unpublished change (< MEMPROF_FLUSH_BYTES) may be missing from it.
HIDDEN void *memprof_alloc_settle(void *p, memprof_slot *s, int64_t unflushed);
/// A release took unflushed_live (now `unflushed`, s->unflushed_live still the value before)
/// to -MEMPROF_FLUSH_BYTES or below, or ended a climb: writes the climb's peak, publishes.
HIDDEN void memprof_release_settle(memprof_slot *s, int64_t unflushed);
/// The slow paths without the census (which calls them after its own work).
HIDDEN void *memprof_alloc_plain(void *p, size_t requested, void *ret);
HIDDEN void memprof_free_plain(void *p);
/// Slow path of free: no slot, or sizes read with malloc_usable_size. Frees the block.
HIDDEN void memprof_free_slow(void *p);
HIDDEN void memprof_free_flush(void *p, memprof_slot *s, int64_t unflushed);
/// Free of a block the sample filter may hold, by a thread with slot `s`: takes it out of the
/// live sampled blocks if it is one, then accounts and frees it (the census's path if on).
HIDDEN void memprof_free_sampled(void *p, memprof_slot *s);
/// A sampled allocation: records it with its stack, then finishes the accounting.
HIDDEN void *memprof_alloc_sampled(void *p, memprof_slot *s, void *ret);

/// Accounts a block glibc just returned (p may be NULL) and returns it.
HOOK_TEXT static inline __attribute__((always_inline)) void *memprof_account_alloc(void *p, size_t requested) {
  // The interposer's return address is the caller even when its code has no frame pointer.
  if (UNLIKELY(p == NULL)) return memprof_alloc_slow(p, requested, __builtin_return_address(0));
  memprof_slot *s = memprof_t_slot;
  if (UNLIKELY((uintptr_t)s <= SLOT_SENTINEL_MAX)) return memprof_alloc_slow(p, requested, __builtin_return_address(0));
  size_t head = memprof_chunk_head(p);
  if (UNLIKELY(head & MEMPROF_CHUNK_MMAPPED))
    return memprof_alloc_slow(p, requested, __builtin_return_address(0));
  size_t usable = memprof_chunk_usable(head);
  BUMP(&s->allocations, 1);
  BUMP(&s->requested_bytes, requested);
  BUMP(&s->allocated_bytes, usable);
  int64_t u = s->unflushed_live + (int64_t)usable;
  int64_t left = s->until_sample - (int64_t)usable;
  s->until_sample = left;
  if (UNLIKELY(left < 0)) return memprof_alloc_sampled(p, s, __builtin_return_address(0));
  // One compare for both rare events, flush and new peak: flush_at is the lower of the two
  // limits (see memprof_alloc_settle), so the fast path reads no shared line.
  if (UNLIKELY(u > s->flush_at)) return memprof_alloc_settle(p, s, u);
  s->unflushed_live = u;
  return p;
}

/// Accounts a block about to be given back, then gives it back to glibc.
HOOK_TEXT static inline __attribute__((always_inline)) void memprof_account_free_and_free(void *p) {
  if (UNLIKELY(p == NULL)) {
    __libc_free(p);
    return;
  }
  memprof_slot *s = memprof_t_slot;
  if (UNLIKELY((uintptr_t)s <= SLOT_SENTINEL_MAX)) {
    memprof_free_slow(p);
    return;
  }
  // A block the filter may hold as a live sampled block may be one: the sampled path looks.
  uint16_t word = memprof_g_sample_filter[memprof_filter_slot(p)];
  if (UNLIKELY(word != 0) && memprof_filter_word_may_hold(word, p)) {
    memprof_free_sampled(p, s);
    return;
  }
  size_t head = memprof_chunk_head(p);
  if (UNLIKELY(head & MEMPROF_CHUNK_MMAPPED)) {
    memprof_free_slow(p);
    return;
  }
  size_t usable = memprof_chunk_usable(head);
  BUMP(&s->frees, 1);
  BUMP(&s->freed_bytes, usable);
  int64_t u = s->unflushed_live - (int64_t)usable;
  if (UNLIKELY(u <= -MEMPROF_FLUSH_BYTES)) {
    memprof_free_flush(p, s, u);
    return;
  }
  s->unflushed_live = u;
  __libc_free(p);
}

/// Accounting without the allocator call, for realloc: a block given back.
HIDDEN void memprof_account_release(size_t usable);
/// Accounting without the allocator call, for realloc: a block handed out.
HIDDEN void memprof_account_new(void *p, size_t requested, size_t usable, void *ret);
#endif
