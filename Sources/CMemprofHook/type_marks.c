// The census's marks (type_marks.h): a two-level map, the top table mapped at the first
// Swift object, each leaf at the first object in its GiB. Mappings are never given back.
#define _GNU_SOURCE
#include <sys/mman.h>
#include "type_marks.h"
#include "table_memory.h"

uint64_t **memprof_g_marks;
static uint64_t g_tops, g_leaves;

static void *map_zeroed(size_t bytes) {
  return memprof_map_table(bytes);
}

// Two threads may map the same piece at once: one wins the exchange, the other unmaps.
static void *install(void **at, size_t bytes, uint64_t *count) {
  void *m = map_zeroed(bytes);
  if (m == NULL) return NULL;
  void *expected = NULL;
  if (__atomic_compare_exchange_n(at, &expected, m, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    ADD(count, 1);
    return m;
  }
  memprof_unmap_table(m, bytes);
  return expected;
}

uint64_t *memprof_mark_grow(uintptr_t p) {
  uintptr_t top = p >> MP_MARK_LEAF_SHIFT;
  if (top >= MP_MARK_TOP) return NULL;  // beyond 47 bits: never marked
  uint64_t **marks = __atomic_load_n(&memprof_g_marks, __ATOMIC_ACQUIRE);
  if (marks == NULL) {
    marks = install((void **)&memprof_g_marks, MP_MARK_TOP * sizeof(uint64_t *), &g_tops);
    if (marks == NULL) return NULL;
  }
  uint64_t *leaf = __atomic_load_n(&marks[top], __ATOMIC_ACQUIRE);
  if (leaf == NULL) leaf = install((void **)&marks[top], MP_MARK_LEAF_WORDS * sizeof(uint64_t), &g_leaves);
  return leaf;
}

uint64_t memprof_marks_bytes(void) {
  if (__atomic_load_n(&memprof_g_marks, __ATOMIC_ACQUIRE) == NULL) return 0;
  return MP_MARK_TOP * sizeof(uint64_t *) + LOAD(&g_leaves) * MP_MARK_LEAF_WORDS * sizeof(uint64_t);
}
