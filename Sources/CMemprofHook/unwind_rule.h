// Private: how to step from one x86_64 frame to its caller, packed in 64 bits so that a
// rule fits one word of the lock-free rule cache (unwind_cache.c). A rule is what the
// CFA program of a frame's FDE says at one address, reduced to the three registers a stack
// walk needs: the CFA (the caller's rsp), the return address and rbp.
#ifndef MEMPROF_UNWIND_RULE_H
#define MEMPROF_UNWIND_RULE_H
#include <stdint.h>

// How the CFA is found (bits 0-2).
enum {
  MP_CFA_NONE = 0,       // no usable rule: the stack ends here
  MP_CFA_RSP = 1,        // rsp + cfa_off
  MP_CFA_RBP = 2,        // rbp + cfa_off
  MP_CFA_DEREF_RBP = 3,  // *(rbp + cfa_off)   (gcc's realigned frames)
  MP_CFA_DEREF_RSP = 4,  // *(rsp + cfa_off)
  MP_CFA_SIGNAL = 5,     // a signal trampoline: rsp points at the interrupted ucontext
  MP_CFA_END = 6,        // the return address is undefined: the outermost frame (_start)
};

// Where the caller's rbp is (bits 3-5).
enum {
  MP_RBP_SAME = 0,       // unchanged
  MP_RBP_AT_CFA = 1,     // saved at CFA + rbp_off
  MP_RBP_AT_RBP = 2,     // saved at rbp + rbp_off
  MP_RBP_AT_RSP = 3,     // saved at rsp + rbp_off
  MP_RBP_VAL_CFA = 4,    // equal to CFA + rbp_off
  MP_RBP_UNKNOWN = 5,    // undefined or not expressible: rbp-based rules above it fail
};

#define MP_RULE_PERMANENT (1ull << 6)  // the code is in a module loaded at start-up
// The walk's fast step applies (bit 7): the CFA is rsp or rbp + cfa_off, the return address
// at CFA - 8, rbp unchanged or saved at CFA + rbp_off (a negative multiple of 8). Nearly
// every call site of compiled code has such a rule, with or without a frame pointer.
#define MP_RULE_SIMPLE (1ull << 7)

/// A decoded rule. The return address is always read at CFA + ra_off.
typedef struct mp_unwind_rule {
  uint8_t cfa_kind, rbp_kind;
  int8_t ra_off;
  int16_t rbp_off;
  int32_t cfa_off;
} mp_unwind_rule;

/// Packs a rule (its fields are already narrowed to the packed widths).
static inline uint64_t mp_rule_pack(const mp_unwind_rule *r, int permanent) {
  int simple = (r->cfa_kind == MP_CFA_RSP || r->cfa_kind == MP_CFA_RBP) && r->ra_off == -8 &&
               (r->rbp_kind == MP_RBP_SAME || (r->rbp_kind == MP_RBP_AT_CFA && r->rbp_off < 0 && r->rbp_off % 8 == 0));
  return (simple ? MP_RULE_SIMPLE : 0) | (uint64_t)r->cfa_kind | (uint64_t)r->rbp_kind << 3 | (permanent ? MP_RULE_PERMANENT : 0) |
         (uint64_t)(uint8_t)r->ra_off << 8 | (uint64_t)(uint16_t)r->rbp_off << 16 |
         (uint64_t)(uint32_t)r->cfa_off << 32;
}

static inline mp_unwind_rule mp_rule_unpack(uint64_t w) {
  mp_unwind_rule r;
  r.cfa_kind = (uint8_t)(w & 7);
  r.rbp_kind = (uint8_t)((w >> 3) & 7);
  r.ra_off = (int8_t)(uint8_t)(w >> 8);
  r.rbp_off = (int16_t)(uint16_t)(w >> 16);
  r.cfa_off = (int32_t)(uint32_t)(w >> 32);
  return r;
}

/// The rule of code without CFI that keeps a frame pointer: push rbp; mov rsp, rbp.
static inline mp_unwind_rule mp_rule_frame_pointer(void) {
  mp_unwind_rule r = {.cfa_kind = MP_CFA_RBP, .cfa_off = 16, .ra_off = -8,
                      .rbp_kind = MP_RBP_AT_CFA, .rbp_off = -16};
  return r;
}
#endif
