// Private: two bits per 16-byte granule of the address space, for the type census: "typed"
// (a Swift object counted at its allocation: its free is counted too) and "pending" (its
// type is not read yet). Leaves are mapped on first use; the map is the process's own (a
// `memprof run` parent never reads it).
#ifndef MEMPROF_TYPE_MARKS_H
#define MEMPROF_TYPE_MARKS_H
#include <stdint.h>
#include "state.h"

#define MP_MARK_TYPED 1ull
#define MP_MARK_PENDING 2ull
#define MP_MARK_LEAF_SHIFT 30            // one leaf per GiB of address space
#define MP_MARK_TOP (1ull << (47 - MP_MARK_LEAF_SHIFT))
#define MP_MARK_LEAF_WORDS ((1ull << (MP_MARK_LEAF_SHIFT - 4)) / 32)

extern uint64_t **memprof_g_marks HIDDEN;  // MP_MARK_TOP leaf pointers, or NULL

/// Maps p's leaf (and the top table) if needed: NULL if that failed or p is beyond 47 bits.
HIDDEN uint64_t *memprof_mark_grow(uintptr_t p);

/// The word holding p's marks (NULL when p's leaf is not mapped and `create` is 0, or the
/// leaf could not be mapped), and the shift of p's two bits in it.
static inline uint64_t *memprof_mark_word(uintptr_t p, int create, unsigned *shift) {
  uintptr_t top = p >> MP_MARK_LEAF_SHIFT;
  uint64_t **marks = __atomic_load_n(&memprof_g_marks, __ATOMIC_ACQUIRE);
  uint64_t *leaf = LIKELY(marks != NULL && top < MP_MARK_TOP) ? __atomic_load_n(&marks[top], __ATOMIC_ACQUIRE) : NULL;
  if (UNLIKELY(leaf == NULL)) {
    if (!create || (leaf = memprof_mark_grow(p)) == NULL) return NULL;
  }
  uintptr_t granule = (p & ((1ull << MP_MARK_LEAF_SHIFT) - 1)) >> 4;
  *shift = (unsigned)(granule & 31) * 2;
  return &leaf[granule >> 5];
}
/// Bytes mapped for the marks (the top table and the leaves).
HIDDEN uint64_t memprof_marks_bytes(void);

/// Sets `bits` for p; 0 if the map could not grow (p is then not marked).
static inline int memprof_mark_set(void *p, uint64_t bits) {
  unsigned shift;
  uint64_t *w = memprof_mark_word((uintptr_t)p, 1, &shift);
  if (w == NULL) return 0;
  __atomic_fetch_or(w, bits << shift, __ATOMIC_RELAXED);
  return 1;
}

/// Clears `bits` for p and returns which of them were set.
static inline uint64_t memprof_mark_take(void *p, uint64_t bits) {
  unsigned shift;
  uint64_t *w = memprof_mark_word((uintptr_t)p, 0, &shift);
  if (w == NULL || !((LOAD(w) >> shift) & bits)) return 0;
  return (__atomic_fetch_and(w, ~(bits << shift), __ATOMIC_ACQ_REL) >> shift) & bits;
}
#endif
