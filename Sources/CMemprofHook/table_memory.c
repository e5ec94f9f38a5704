// The hook's table memory away from the program's mappings (see table_memory.h).
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include "table_memory.h"

#define PAGE 4096u
#define BELOW_STACK ((uintptr_t)2 << 40)

static uintptr_t g_next;  // next hint; 0 until the first request, 1 when there are none

void *memprof_map_table(size_t bytes) {
  size_t len = (bytes + PAGE - 1) & ~(size_t)(PAGE - 1);
  uintptr_t next = __atomic_load_n(&g_next, __ATOMIC_RELAXED);
  if (next == 0) {
    uintptr_t stack = (uintptr_t)__builtin_frame_address(0);
    // (A small address space, where 2 TiB below the stack is not far from anything: no hints.)
    uintptr_t start = stack > BELOW_STACK * 2 ? (stack - BELOW_STACK) & ~(uintptr_t)(PAGE - 1) : 1;
    uintptr_t expected = 0;
    // Another thread may have set it meanwhile: then its value stands.
    __atomic_compare_exchange_n(&g_next, &expected, start, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    next = __atomic_load_n(&g_next, __ATOMIC_RELAXED);
  }
  // Each request takes its own range of hints.
  void *at = next == 1 ? NULL : (void *)__atomic_fetch_add(&g_next, len, __ATOMIC_RELAXED);
  void *m = mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return NULL;
  memprof_own_range_add(memprof_g_state, (uint64_t)(uintptr_t)m, len);
  return m;
}

void memprof_unmap_table(void *p, size_t bytes) {
  memprof_own_range_remove(memprof_g_state, (uint64_t)(uintptr_t)p);
  munmap(p, (bytes + PAGE - 1) & ~(size_t)(PAGE - 1));
}
