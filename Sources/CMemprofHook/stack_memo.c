// The table of stack memos (stack_memo.h): one per slot for the first MP_MEMO_SLOTS slots,
// mapped at the first sample that needs one (sparse: a thread's memo is touched when it
// samples).
#define _GNU_SOURCE
#include <sys/mman.h>
#include "stack_memo.h"
#include "table_memory.h"

uint32_t memprof_g_intern_epoch;
static mp_stack_memo *g_memos;
static uint64_t g_memos_used;  // memos touched (a slot's first use of its memo)
static uint8_t g_memo_touched[MP_MEMO_SLOTS];

mp_stack_memo *memprof_stack_memo(memprof_slot *s) {
  memprof_state *st = memprof_g_state;
  if (s == NULL || st == NULL) return NULL;
  uintptr_t index = (uintptr_t)(s - st->slots);
  if (index >= MP_MEMO_SLOTS) return NULL;
  mp_stack_memo *memos = __atomic_load_n(&g_memos, __ATOMIC_ACQUIRE);
  if (UNLIKELY(memos == NULL)) {
    void *m = memprof_map_table(sizeof(mp_stack_memo) * MP_MEMO_SLOTS);
    if (m == NULL) return NULL;
    mp_stack_memo *expected = NULL;
    if (__atomic_compare_exchange_n(&g_memos, &expected, (mp_stack_memo *)m, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      memos = m;
    } else {
      munmap(m, sizeof(mp_stack_memo) * MP_MEMO_SLOTS);
      memos = expected;
    }
  }
  // Only the slot's owner gets here for its index: a plain flag, a shared count.
  if (UNLIKELY(!g_memo_touched[index])) {
    g_memo_touched[index] = 1;
    __atomic_fetch_add(&g_memos_used, 1, __ATOMIC_RELAXED);
  }
  return &memos[index];
}

uint64_t memprof_stack_memo_mapped(void) {
  return __atomic_load_n(&g_memos, __ATOMIC_ACQUIRE) ? sizeof(mp_stack_memo) * MP_MEMO_SLOTS : 0;
}

uint64_t memprof_stack_memo_used(void) { return __atomic_load_n(&g_memos_used, __ATOMIC_RELAXED) * sizeof(mp_stack_memo); }
