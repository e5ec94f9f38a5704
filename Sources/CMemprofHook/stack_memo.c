// The table of stack memos (stack_memo.h): one per slot for the first MP_MEMO_SLOTS slots,
// mapped at the first sample that needs one (sparse: a thread's memo is touched when it
// samples).
#define _GNU_SOURCE
#include <sys/mman.h>
#include "stack_memo.h"
#include "table_memory.h"

uint32_t memprof_g_intern_epoch;
mp_stack_memo *memprof_g_memos;

mp_stack_memo *memprof_stack_memo_map(uintptr_t index) {
  mp_stack_memo *memos = __atomic_load_n(&memprof_g_memos, __ATOMIC_ACQUIRE);
  if (memos == NULL) {
    void *m = memprof_map_table(sizeof(mp_stack_memo) * MP_MEMO_SLOTS);
    if (m == NULL) return NULL;
    mp_stack_memo *expected = NULL;
    if (__atomic_compare_exchange_n(&memprof_g_memos, &expected, (mp_stack_memo *)m, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
      memos = m;
    } else {
      munmap(m, sizeof(mp_stack_memo) * MP_MEMO_SLOTS);
      memos = expected;
    }
  }
  return &memos[index];
}

uint64_t memprof_stack_memo_mapped(void) {
  return __atomic_load_n(&memprof_g_memos, __ATOMIC_ACQUIRE) ? sizeof(mp_stack_memo) * MP_MEMO_SLOTS : 0;
}

// A memo in use has its stack top set (racy reads of other threads' memos: for reports; a
// memo never touched reads as the kernel's zero page).
uint64_t memprof_stack_memo_used(void) {
  mp_stack_memo *memos = __atomic_load_n(&memprof_g_memos, __ATOMIC_ACQUIRE);
  uint64_t n = 0;
  for (uint32_t i = 0; memos && i < MP_MEMO_SLOTS; i++) n += __atomic_load_n(&memos[i].top, __ATOMIC_RELAXED) != 0;
  return n * sizeof(mp_stack_memo);
}
