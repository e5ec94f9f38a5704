// Private: the accounting every hook calls. Inline so the hot path is one TLS load, a few
// owner-only adds and one compare.
#ifndef MEMPROF_ACCOUNTING_H
#define MEMPROF_ACCOUNTING_H
#include <malloc.h>
#include "state.h"

#define SLOT_NONE ((memprof_slot *)1)

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

HIDDEN memprof_slot *memprof_acquire_slot(void);
HIDDEN void memprof_publish_live(memprof_state *st, int64_t delta);
HIDDEN void memprof_account_alloc_shared(size_t requested, size_t usable);
HIDDEN void memprof_account_free_shared(size_t usable);
HIDDEN void memprof_account_failed(void);

/// Usable size from glibc's chunk header: size field below the block, low 3 bits are flags
/// (bit 1: mmapped, whose header is two words instead of one).
static inline size_t memprof_chunk_usable(const void *p) {
  size_t head = ((const size_t *)p)[-1];
  size_t chunk = head & ~(size_t)7;
  return chunk - ((head & 2) ? 2 * sizeof(size_t) : sizeof(size_t));
}

static inline size_t memprof_block_size(void *p) {
  return LIKELY(memprof_g_chunk_header) ? memprof_chunk_usable(p) : malloc_usable_size(p);
}

static inline memprof_slot *memprof_slot_for_thread(void) {
  memprof_slot *s = memprof_t_slot;
  if (LIKELY((uintptr_t)s > 1)) return s;
  return s == NULL ? memprof_acquire_slot() : NULL;
}

static inline void memprof_account_alloc(size_t requested, size_t usable) {
  memprof_slot *s = memprof_slot_for_thread();
  if (UNLIKELY(!s)) { memprof_account_alloc_shared(requested, usable); return; }
  BUMP(&s->allocations, 1);
  BUMP(&s->requested_bytes, requested);
  BUMP(&s->allocated_bytes, usable);
  int64_t u = s->unflushed_live + (int64_t)usable;
  if (UNLIKELY(u >= MEMPROF_FLUSH_BYTES)) {
    s->unflushed_live = 0;
    memprof_publish_live(memprof_g_state, u);
    return;
  }
  s->unflushed_live = u;
  memprof_state *st = memprof_g_state;
  int64_t candidate = LOAD(&st->flushed_live) + u;
  if (UNLIKELY(candidate > LOAD(&st->peak_live))) memprof_raise_peak(st, candidate);
}

static inline void memprof_account_free(size_t usable) {
  memprof_slot *s = memprof_slot_for_thread();
  if (UNLIKELY(!s)) { memprof_account_free_shared(usable); return; }
  BUMP(&s->frees, 1);
  BUMP(&s->freed_bytes, usable);
  int64_t u = s->unflushed_live - (int64_t)usable;
  if (UNLIKELY(u <= -MEMPROF_FLUSH_BYTES)) {
    s->unflushed_live = 0;
    memprof_publish_live(memprof_g_state, u);
    return;
  }
  s->unflushed_live = u;
}
#endif
