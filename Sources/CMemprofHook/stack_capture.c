// Stack capture for sampled allocations: the return addresses of the calling thread, leaf
// first, without the hook's own frames. Runs only when a sample is taken.
//
// On x86_64 the walk follows the CFI of each frame's code (`.eh_frame`, through the rule
// cache of unwind_cache.c), so it goes on through code built without frame pointers (glibc,
// most C libraries) and through signal frames. Every stack word read is inside the
// window the walk is in: [the current sp, the thread's stack top), or the thread's
// alternate signal stack while the walk is on it. Elsewhere it walks frame pointers.
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <ucontext.h>
#include "state.h"
#include "sampler.h"
#include "stack_capture.h"
#include "unwind_cache.h"
#include "stack_memo.h"

// Bounds of the hook's code, per module (hidden: a preloaded copy and a linked-in copy each
// see their own).
extern char __start_memprof_hook_text[] __attribute__((visibility("hidden")));
extern char __stop_memprof_hook_text[] __attribute__((visibility("hidden")));

// A thread's stack is at most this far below its top (larger windows are not trusted).
#define MAX_STACK ((uintptr_t)512 << 20)

#if defined(__x86_64__)

// The thread's alternate signal stack, asked once per thread and again whenever the stack
// pointer is not where the thread's stack should be (a thread may install one later).
static __thread uintptr_t t_alt_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t t_alt_hi __attribute__((tls_model("initial-exec")));
static __thread int t_alt_known __attribute__((tls_model("initial-exec")));

static void alt_refresh(void) {
  stack_t ss;
  t_alt_lo = t_alt_hi = 0;
  if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE) && ss.ss_size > 0) {
    t_alt_lo = (uintptr_t)ss.ss_sp;
    t_alt_hi = (uintptr_t)ss.ss_sp + ss.ss_size;
  }
  t_alt_known = 1;
}

static inline int on_thread_stack(uintptr_t sp, uintptr_t top) { return sp < top && top - sp <= MAX_STACK; }

typedef struct window { uintptr_t lo, hi, top; int alt; } window;

static inline int read_word(const window *w, uintptr_t addr, uintptr_t *out) {
  if (addr < w->lo || addr > w->hi - 8 || (addr & 7)) return 0;
  *out = *(const uintptr_t *)addr;
  return 1;
}

// The window of a stack pointer: the thread's stack, or its alternate signal stack.
static int window_for(window *w, uintptr_t sp) {
  int unexpected = !on_thread_stack(sp, w->top) || w->top - sp > ((uintptr_t)8 << 20);
  if (!t_alt_known || (unexpected && !(sp >= t_alt_lo && sp < t_alt_hi))) alt_refresh();
  if (sp >= t_alt_lo && sp < t_alt_hi) {
    w->lo = sp;
    w->hi = t_alt_hi;
    w->alt = 1;
    return 1;
  }
  if (!on_thread_stack(sp, w->top)) return 0;
  w->lo = sp;
  w->hi = w->top;
  w->alt = 0;
  return 1;
}

// Registers of a frame: the pc (a return address, or exact after a signal frame), rsp, rbp.
typedef struct regs { uintptr_t pc, sp, fp; int exact; } regs;

// One step to the caller, for any rule. Returns 0 when the stack ends (or cannot be
// followed further). The walk below inlines the common rules and calls this for the rest.
__attribute__((noinline)) static int step(window *w, regs *r, uint64_t rule) {
  intptr_t cfa_off = (int32_t)(uint32_t)(rule >> 32);
  intptr_t rbp_off = (int16_t)(uint16_t)(rule >> 16);
  intptr_t ra_off = (int8_t)(uint8_t)(rule >> 8);
  uintptr_t cfa, ra, fp = r->fp;
  switch (rule & 7) {
  case MP_CFA_RSP: cfa = r->sp + cfa_off; break;
  case MP_CFA_RBP: if (r->fp == 0) return 0; cfa = r->fp + cfa_off; break;
  case MP_CFA_DEREF_RBP: if (r->fp == 0 || !read_word(w, r->fp + cfa_off, &cfa)) return 0; break;
  case MP_CFA_DEREF_RSP: if (!read_word(w, r->sp + cfa_off, &cfa)) return 0; break;
  case MP_CFA_SIGNAL: {
    // rsp points at the ucontext the kernel saved when the signal arrived.
    uintptr_t uc = r->sp, pc, sp;
    if (!read_word(w, uc + __builtin_offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]), &pc) ||
        !read_word(w, uc + __builtin_offsetof(ucontext_t, uc_mcontext.gregs[REG_RSP]), &sp) ||
        !read_word(w, uc + __builtin_offsetof(ucontext_t, uc_mcontext.gregs[REG_RBP]), &fp))
      return 0;
    if (sp >= w->lo && sp < w->hi) {
      if (sp <= uc) return 0;  // the interrupted frames are above the handler's
      w->lo = sp;
    } else if (!w->alt || !window_for(w, sp) || w->alt) {
      return 0;  // only a handler on the alternate stack interrupts code on another stack
    }
    *r = (regs){.pc = pc, .sp = sp, .fp = fp, .exact = 1};
    return pc >= 4096;
  }
  default: return 0;  // MP_CFA_END (the outermost frame) or no usable rule
  }
  if (cfa <= r->sp || cfa > w->hi || !read_word(w, cfa + ra_off, &ra)) return 0;
  switch ((rule >> 3) & 7) {
  case MP_RBP_SAME: break;
  case MP_RBP_AT_CFA: if (!read_word(w, cfa + rbp_off, &fp)) fp = 0; break;
  case MP_RBP_AT_RBP: if (r->fp == 0 || !read_word(w, r->fp + rbp_off, &fp)) fp = 0; break;
  case MP_RBP_AT_RSP: if (!read_word(w, r->sp + rbp_off, &fp)) fp = 0; break;
  case MP_RBP_VAL_CFA: fp = cfa + rbp_off; break;
  default: fp = 0; break;
  }
  w->lo = cfa;
  r->pc = ra;
  r->sp = cfa;
  r->fp = fp;
  r->exact = 0;
  return ra >= 4096;
}

// The walk's state: `pc` is the address reported for the frame (a return address, or an
// interrupted pc + 1 after a signal frame, while sp == exact_sp), rsp, rbp, and the window
// [sp, hi) the next words are read from (the thread's stack, or its alternate signal stack
// while `alt`).
typedef struct walk { uintptr_t pc, sp, fp, hi, exact_sp, top; int alt; } walk;

// The step of any other rule, through step() (its own copy of the state: the walk's stays
// in registers).
__attribute__((noinline)) static int slow_step(walk *k, uint64_t rule) {
  uintptr_t exact = k->sp == k->exact_sp;
  window w = {.lo = k->sp, .hi = k->hi, .top = k->top, .alt = k->alt};
  regs r = {.pc = k->pc - exact, .sp = k->sp, .fp = k->fp, .exact = (int)exact};
  if (!step(&w, &r, rule)) return 0;
  k->pc = r.pc + (uintptr_t)r.exact;
  k->sp = r.sp;
  k->exact_sp = r.exact ? r.sp : 0;
  k->fp = r.fp;
  k->hi = w.hi;
  k->alt = w.alt;
  return 1;
}

// How a step went (unwind_one).
enum {
  STEP_ENDED = 0,       // no caller: the state says so (rule, bounds), no word was read
  STEP_ENDED_READ = -1, // no caller: the return address read at k->sp - 8 is not code
  STEP_ENDED_OTHER = -2,// no caller, found by the general step
  STEP_FAST = 1,        // to the caller, by the fast step (*rbp_read: where rbp was read)
  STEP_OTHER = 2,       // to the caller, by the general step
};

// One step to the caller (> 0), or the end of the stack (<= 0). Inlines the step of
// MP_RULE_SIMPLE rules (nearly every frame): the window's lower end is the frame's rsp (the
// CFA of the frame below it), so one compare with the CFA bounds both words read.
static inline __attribute__((always_inline)) int unwind_one(walk *k, int32_t *rbp_read) {
  uintptr_t pc = k->pc, sp = k->sp;
  uint64_t rule;
  if (UNLIKELY(!mp_unwind_lookup(pc - 1, &rule))) rule = memprof_unwind_rule_slow(pc - 1, sp == k->exact_sp ? 0 : pc);
  if (LIKELY(rule & MP_RULE_SIMPLE)) {
    uintptr_t cfa = ((rule & MP_CFA_RSP) ? sp : k->fp) + (intptr_t)(int32_t)(uint32_t)(rule >> 32);
    // cfa > sp, 8-aligned, and cfa <= hi: CFA - 8 and CFA + rbp_off (< 0, aligned) are
    // below hi; CFA - 8 >= sp; CFA + rbp_off is checked against sp.
    if (cfa <= sp || cfa > k->hi || (cfa & 7)) return STEP_ENDED;
    *rbp_read = MP_MEMO_NO_READ;
    if (rule & ((uint64_t)MP_RBP_AT_CFA << 3)) {
      intptr_t off = (intptr_t)(int16_t)(uint16_t)(rule >> 16);
      uintptr_t at = cfa + off;
      if (at >= sp) {
        k->fp = *(const uintptr_t *)at;
        *rbp_read = (int32_t)off;
      } else {
        k->fp = 0;
      }
    }
    k->pc = *(const uintptr_t *)(cfa - 8);
    k->sp = cfa;  // (past exact_sp: the next frame is a caller's)
    return k->pc >= 4096 ? STEP_FAST : STEP_ENDED_READ;
  }
  if ((rule & 7) == MP_CFA_END || (rule & 7) == MP_CFA_NONE) return STEP_ENDED;
  walk copy = *k;
  if (!slow_step(&copy, rule)) return STEP_ENDED_OTHER;
  *k = copy;
  return STEP_OTHER;
}

// A walk that ends before it can become the memo leaves the memo describing nothing: record()
// stores this sample's stack id in it, which must not pass for the memo's stack.
static inline uint32_t forget_memo(mp_stack_memo *memo, uint32_t depth) {
  if (memo) memo->n = 0;
  return depth;
}

// `frame` is the frame address of a hook function (it keeps a frame pointer): the state
// after it returns is pc = frame[1], rsp = frame + 16, rbp = frame[0].
uint32_t memprof_capture_stack(uintptr_t frame, uintptr_t top, uintptr_t caller, uint64_t *pcs, mp_stack_memo *memo,
                               int *same_as_memo) {
  const uintptr_t hook_lo = (uintptr_t)__start_memprof_hook_text;
  const uintptr_t hook_len = (uintptr_t)__stop_memprof_hook_text - hook_lo;
  uint32_t depth = 0;
  int32_t rbp_read;
  *same_as_memo = 0;
  if (caller >= 4096 && caller - hook_lo >= hook_len) pcs[depth++] = caller;
  uintptr_t sp;
  __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
  if (top == 0) return forget_memo(memo, depth);
  uintptr_t lo = sp;
  walk k = {.hi = top, .top = top};
  // The window of the first stack pointer: without a call in the common case (the thread's
  // own stack, no alternate signal stack around it).
  if (UNLIKELY(!t_alt_known || !on_thread_stack(sp, top) || top - sp > ((uintptr_t)8 << 20) ||
               (sp >= t_alt_lo && sp < t_alt_hi))) {
    window w = {.top = top};
    if (!window_for(&w, sp)) return forget_memo(memo, depth);
    lo = w.lo, k.hi = w.hi, k.alt = w.alt;
  }
  if (frame < lo || frame > k.hi - 16 || (frame & 7)) return forget_memo(memo, depth);
  k.fp = ((const uintptr_t *)frame)[0];
  k.pc = ((const uintptr_t *)frame)[1];
  k.sp = frame + 16;
  if (k.pc < 4096) return forget_memo(memo, depth);
  uint32_t generation = __atomic_load_n(&memprof_g_module_generation, __ATOMIC_ACQUIRE);
  int keep = memo != NULL && !k.alt;  // this walk may become the memo
  int at = keep && memo->n && memo->top == top && memo->generation == generation ? (int)memo->n - 1 : -1;
  // From the same place as the last sample, with the same words on the stack: the same stack.
  if (at >= 0 && memo->caller == caller && memprof_memo_find(memo, &at, k.pc, k.sp, k.fp) == (int)memo->n - 1 &&
      memprof_memo_still_holds(memo, memo->n - 1)) {
    // pcs stays unwritten: the memo's stack id names the stack, and memo->pcs holds it.
    *same_as_memo = 2;
    return memo->depth;
  }
  uint32_t fresh = 0;
  int step = STEP_FAST;
  if (keep) memprof_memo_push(memo, &fresh, k.pc, k.sp, k.fp, MP_MEMO_NO_READ);
  // The hook's own frames (a few), then the first frame outside it, which is the caller
  // when the interposer kept a frame (not repeated).
  for (int steps = 0; k.pc - hook_lo < hook_len; steps++) {
    if (steps == 16 || (step = unwind_one(&k, &rbp_read)) <= 0) {
      return forget_memo(memo, depth);
    }
    if (step != STEP_FAST) keep = 0;
    if (keep) memprof_memo_push(memo, &fresh, k.pc, k.sp, k.fp, rbp_read);
  }
  if (k.pc != caller) pcs[depth++] = k.pc;
  for (;;) {
    int i = at >= 0 ? memprof_memo_find(memo, &at, k.pc, k.sp, k.fp) : -1;
    if (i >= 0) {
      if (keep && memprof_memo_still_holds(memo, (uint32_t)i)) {
        for (int j = i - 1; j >= 0 && depth < MP_MAX_DEPTH; j--) pcs[depth++] = memo->f[j].pc;
        *same_as_memo = memprof_memo_join(memo, (uint32_t)i, fresh, caller, pcs, depth);
        return depth;
      }
      at = -1;  // the memo's callers changed: walk on
    }
    if (depth == MP_MAX_DEPTH) {
      keep = 0;  // cut: not a whole walk
      break;
    }
    step = unwind_one(&k, &rbp_read);
    if (step <= 0) break;
    pcs[depth++] = k.pc;
    if (step != STEP_FAST) {
      keep = 0;
      at = -1;
    }
    if (keep) memprof_memo_push(memo, &fresh, k.pc, k.sp, k.fp, rbp_read);
  }
  if (memo != NULL) {
    if (keep && step != STEP_ENDED_OTHER) {
      memprof_memo_store(memo, fresh, k.sp, k.pc, top, generation, caller, pcs, depth);
    } else {
      memo->n = 0;
    }
  }
  return depth;
}

#else

static inline int in_hook(uintptr_t pc) {
  return pc >= (uintptr_t)__start_memprof_hook_text && pc < (uintptr_t)__stop_memprof_hook_text;
}

// Walks frame pointers from `fp`, within [fp, top): every address read is on this thread's
// stack, so a frame without a frame pointer ends the walk or yields odd return addresses,
// never a fault. `caller` is the interposer's own return address: first, and not repeated
// when the walk finds it too (it does when the interposer kept a frame).
uint32_t memprof_capture_stack(uintptr_t fp, uintptr_t top, uintptr_t caller, uint64_t *pcs, mp_stack_memo *memo,
                               int *same_as_memo) {
  (void)memo;
  *same_as_memo = 0;
  uint32_t depth = 0;
  if (caller >= 4096 && !in_hook(caller)) pcs[depth++] = caller;
  uintptr_t lo = fp;
  if (top <= lo || top - lo > MAX_STACK) return depth;
  int first = 1;
  while (depth < MP_MAX_DEPTH && fp >= lo && fp + 16 <= top && (fp & 7) == 0) {
    uintptr_t ret = ((uintptr_t *)fp)[1];
    uintptr_t next = ((uintptr_t *)fp)[0];
    if (ret < 4096) break;
    if (!in_hook(ret)) {
      if (!(first && ret == caller)) pcs[depth++] = ret;
      first = 0;
    }
    if (next <= fp) break;
    fp = next;
  }
  return depth;
}
#endif
