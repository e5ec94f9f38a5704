// Private: a thread's last stack walk, kept so that the next walk can stop at the first
// frame the two share and take the callers from it (stack_capture.c).
//
// A walk is a function of the registers it starts from, the unwind rules of the code it
// meets and the stack words it reads. Two walks that reach the same frame state (pc, rsp,
// rbp) go on identically as long as every word the earlier one read beyond that frame
// still holds what it read then, under the same rules (same module generation, same
// stack). So the memo keeps, for each frame, its state and where its words were read:
// checking them costs a load and a compare a frame, against a rule lookup and a step.
// The frames start at the hook's own (the first state of the walk): a sample from the same
// place as the last one checks the words and copies the last result.
// Only walks made of the fast step (MP_RULE_SIMPLE) that ended on their own are kept; a
// walk through a signal frame, an alternate stack or cut at MP_MAX_DEPTH is not.
#ifndef MEMPROF_STACK_MEMO_H
#define MEMPROF_STACK_MEMO_H
#include <stdint.h>
#include "state.h"
#include "sampler.h"

/// Slots with a memo (a thread on a later slot walks in full every time).
#define MP_MEMO_SLOTS 256
/// rbp_read of a frame whose step did not read rbp from the stack (never a valid offset:
/// those are negative multiples of 8).
#define MP_MEMO_NO_READ 1

/// One frame state of a walk: `pc` was read at sp - 8; rbp at sp + rbp_read unless
/// rbp_read is MP_MEMO_NO_READ.
typedef struct mp_memo_frame {
  uint64_t pc, sp, fp;
  int32_t rbp_read;
  uint32_t pad;
} mp_memo_frame;

typedef struct mp_stack_memo {
  uint32_t n;              // frames in f, outermost first; 0 = none
  uint32_t generation;     // memprof_g_module_generation of the walk
  uint64_t top;            // the stack top it was walked under
  uint64_t caller;         // the interposer's return address it was taken with
  uint64_t end_sp, end_pc; // where the last step read the return address that ended it
                           // (end_sp == the outermost frame's sp: the step read none)
  uint32_t stack_id;       // the sampler's id of this stack (0: not known)
  uint32_t epoch;          // memprof_g_intern_epoch when stack_id was set
  uint32_t depth;          // the walk's result: depth return addresses in pcs
  uint32_t touched;        // 1 once a walk used it (for the footprint)
  uint64_t pcs[MP_MAX_DEPTH];
  mp_memo_frame f[MP_MAX_DEPTH];
  mp_memo_frame fresh[MP_MAX_DEPTH];  // the current walk's frames, leaf first
} mp_stack_memo;

extern mp_stack_memo *memprof_g_memos HIDDEN;  // MP_MEMO_SLOTS of them, or NULL until needed
/// Maps the memo table (first use): the memo of slot `index`, NULL without memory.
HIDDEN mp_stack_memo *memprof_stack_memo_map(uintptr_t index);
/// This slot's memo, NULL when it has none (slot beyond MP_MEMO_SLOTS, no memory).
static inline mp_stack_memo *memprof_stack_memo(memprof_slot *s) {
  memprof_state *st = memprof_g_state;
  if (s == NULL || st == NULL) return NULL;
  uintptr_t index = (uintptr_t)(s - st->slots);
  if (index >= MP_MEMO_SLOTS) return NULL;
  mp_stack_memo *memos = __atomic_load_n(&memprof_g_memos, __ATOMIC_ACQUIRE);
  return LIKELY(memos != NULL) ? &memos[index] : memprof_stack_memo_map(index);
}
/// The memo frame with state (pc, sp, fp), searched from *at down (a walk's sp only grows,
/// the memo's frames are outermost first): its index, or -1.
static inline int memprof_memo_find(const mp_stack_memo *m, int *at, uint64_t pc, uint64_t sp, uint64_t fp) {
  int i = *at;
  while (i >= 0 && m->f[i].sp < sp) i--;
  *at = i;
  return i >= 0 && m->f[i].sp == sp && m->f[i].pc == pc && m->f[i].fp == fp ? i : -1;
}

/// Adds a frame state of the current walk (leaf first) to m->fresh; *fresh counts them.
static inline void memprof_memo_push(mp_stack_memo *m, uint32_t *fresh, uint64_t pc, uint64_t sp, uint64_t fp,
                                     int32_t rbp_read) {
  if (*fresh < MP_MAX_DEPTH) m->fresh[*fresh] = (mp_memo_frame){.pc = pc, .sp = sp, .fp = fp, .rbp_read = rbp_read};
  (*fresh)++;
}

/// 1 when every word the memo's walk read outside its frames f[0..i) still holds what it
/// read (the words are on the calling thread's stack, between its sp and its top).
HIDDEN int memprof_memo_still_holds(const mp_stack_memo *m, uint32_t i);
/// After a walk that met the memo at f[i] (fresh[fresh - 1] is that frame), with result pcs:
/// the memo becomes f[0..i] and this walk's frames below it. Returns 1 when the stack is the
/// memo's previous one.
HIDDEN int memprof_memo_join(mp_stack_memo *m, uint32_t i, uint32_t fresh, uintptr_t caller, const uint64_t *pcs,
                             uint32_t depth);
/// After a walk that ended on its own, made of fast steps: the memo becomes that walk (its
/// last step read a return address at end_sp - 8 that was end_pc, unless end_sp is the
/// outermost frame's sp).
HIDDEN void memprof_memo_store(mp_stack_memo *m, uint32_t fresh, uint64_t end_sp, uint64_t end_pc, uintptr_t top,
                               uint32_t generation, uintptr_t caller, const uint64_t *pcs, uint32_t depth);
/// A new thread takes slot s: its memo describes the stack of the thread before.
HIDDEN void memprof_stack_memo_reset(memprof_slot *s);
/// Bytes of the memo table (mapped, and in use by threads that sampled).
HIDDEN uint64_t memprof_stack_memo_mapped(void);
HIDDEN uint64_t memprof_stack_memo_used(void);
/// One more each time the sampler's ids stop being valid (a forked child's forgotten indexes).
extern uint32_t memprof_g_intern_epoch HIDDEN;
#endif
