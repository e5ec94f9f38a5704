// The table of stack memos (stack_memo.h): one per slot for the first MP_MEMO_SLOTS slots,
// mapped at the first sample that needs one (sparse: a thread's memo is touched when it
// samples).
#define _GNU_SOURCE
#include <sys/mman.h>
#include "stack_memo.h"
#include "table_memory.h"

uint32_t memprof_g_intern_epoch;
mp_stack_memo *memprof_g_memos;
static int g_map_failed;  // no memory for the table once: walks go without memos (no retry
                          // on every sample)

mp_stack_memo *memprof_stack_memo_map(uintptr_t index) {
  mp_stack_memo *memos = __atomic_load_n(&memprof_g_memos, __ATOMIC_ACQUIRE);
  if (memos == NULL) {
    if (__atomic_load_n(&g_map_failed, __ATOMIC_RELAXED)) return NULL;
    void *m = memprof_map_table(sizeof(mp_stack_memo) * MP_MEMO_SLOTS);
    if (m == NULL) {
      __atomic_store_n(&g_map_failed, 1, __ATOMIC_RELAXED);
      return NULL;
    }
    mp_stack_memo *expected = NULL;
    if (__atomic_compare_exchange_n(&memprof_g_memos, &expected, (mp_stack_memo *)m, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
      memos = m;
    } else {
      memprof_unmap_table(m, sizeof(mp_stack_memo) * MP_MEMO_SLOTS);
      memos = expected;
    }
  }
  return &memos[index];
}

uint64_t memprof_stack_memo_mapped(void) {
  return __atomic_load_n(&memprof_g_memos, __ATOMIC_ACQUIRE) ? (sizeof(mp_stack_memo) * MP_MEMO_SLOTS + 4095) & ~4095ull : 0;
}

// Memos a walk has written to (their pages stay resident after their thread ends, until the
// slot's next thread reuses them). Racy reads of other threads' flags, for reports; a memo
// never touched reads as the kernel's zero page.
uint64_t memprof_stack_memo_used(void) {
  mp_stack_memo *memos = __atomic_load_n(&memprof_g_memos, __ATOMIC_ACQUIRE);
  uint64_t n = 0;
  for (uint32_t i = 0; memos && i < MP_MEMO_SLOTS; i++) n += __atomic_load_n(&memos[i].touched, __ATOMIC_RELAXED) != 0;
  return n * sizeof(mp_stack_memo);
}

void memprof_stack_memo_reset(memprof_slot *s) {
  mp_stack_memo *memos = __atomic_load_n(&memprof_g_memos, __ATOMIC_ACQUIRE);
  memprof_state *st = memprof_g_state;
  if (memos == NULL || st == NULL) return;
  uintptr_t index = (uintptr_t)(s - st->slots);
  if (index < MP_MEMO_SLOTS && memos[index].n) memos[index].n = 0;
}

int memprof_memo_still_holds(const mp_stack_memo *m, uint32_t i) {
  if (m->end_sp != m->f[0].sp && *(const uintptr_t *)(m->end_sp - 8) != m->end_pc) return 0;
  for (uint32_t j = 0; j < i; j++) {
    const mp_memo_frame *f = &m->f[j];
    if (*(const uintptr_t *)(f->sp - 8) != f->pc) return 0;
    if (f->rbp_read != MP_MEMO_NO_READ && *(const uintptr_t *)(f->sp + f->rbp_read) != f->fp) return 0;
  }
  return 1;
}

static void keep_result(mp_stack_memo *m, const uint64_t *pcs, uint32_t depth) {
  for (uint32_t i = 0; i < depth; i++) m->pcs[i] = pcs[i];
  m->depth = depth;
}

// The memo's frame count is cleared first and set last: a child forked in between (only the
// thread that forks goes on, but its memory is the parent's of that moment) finds no memo.

int memprof_memo_join(mp_stack_memo *m, uint32_t i, uint32_t fresh, uintptr_t caller, const uint64_t *pcs,
                      uint32_t depth) {
  uint32_t n = m->n;
  m->n = 0;
  if (fresh == 0 || fresh > MP_MAX_DEPTH) return 0;
  uint32_t inner = fresh - 1;
  int same = caller == m->caller && inner == n - 1 - i;
  for (uint32_t t = 0; same && t < inner; t++) same = m->fresh[t].pc == m->f[n - 1 - t].pc;
  if (i + 1 + inner > MP_MAX_DEPTH) return 0;
  // The frame where the walks met is this walk's now: the same state, reached by this
  // walk's step, so with where that step read rbp (the old walk's step may have read none).
  m->f[i] = m->fresh[inner];
  for (uint32_t t = 0; t < inner; t++) m->f[i + 1 + t] = m->fresh[inner - 1 - t];
  m->caller = caller;
  if (!same) m->stack_id = 0;
  keep_result(m, pcs, depth);
  m->n = i + 1 + inner;
  return same;
}

void memprof_memo_store(mp_stack_memo *m, uint32_t fresh, uint64_t end_sp, uint64_t end_pc, uintptr_t top,
                        uint32_t generation, uintptr_t caller, const uint64_t *pcs, uint32_t depth) {
  m->n = 0;
  if (fresh == 0 || fresh > MP_MAX_DEPTH) return;
  for (uint32_t t = 0; t < fresh; t++) m->f[t] = m->fresh[fresh - 1 - t];
  m->top = top;
  m->generation = generation;
  m->caller = caller;
  m->end_sp = end_sp;
  m->end_pc = end_pc;
  m->stack_id = 0;
  keep_result(m, pcs, depth);
  m->n = fresh;
}
