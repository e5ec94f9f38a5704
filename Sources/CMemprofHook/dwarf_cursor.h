// Private: reading DWARF call-frame data (`.eh_frame`) through a bounded cursor, and the
// CIE fields the CFA program needs. Shared by eh_frame.c and cfa_program.c.
#ifndef MEMPROF_DWARF_CURSOR_H
#define MEMPROF_DWARF_CURSOR_H
#include <stdint.h>
#include <string.h>
#include "state.h"
#include "unwind_rule.h"

// ---- bounded reading

typedef struct cursor {
  uintptr_t p, lo, hi;  // position, and the readable range
  int ok;
} cursor;

static inline int cur_has(const cursor *c, uintptr_t n) { return c->ok && c->p >= c->lo && c->p <= c->hi && c->hi - c->p >= n; }

static inline uint64_t cur_fixed(cursor *c, unsigned n) {
  if (!cur_has(c, n)) {
    c->ok = 0;
    return 0;
  }
  uint64_t v = 0;
  memcpy(&v, (const void *)c->p, n);  // little-endian
  c->p += n;
  return v;
}

static inline uint8_t u8(cursor *c) { return (uint8_t)cur_fixed(c, 1); }

static inline uint64_t uleb(cursor *c) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    uint8_t b = u8(c);
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  c->ok = 0;
  return 0;
}

static inline int64_t sleb(cursor *c) {
  uint64_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    if (shift >= 64) {
      c->ok = 0;
      return 0;
    }
    b = u8(c);
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
  return (int64_t)v;
}

// A DW_EH_PE-encoded pointer; `datarel` is the base of DW_EH_PE_datarel.
static inline uintptr_t encoded(cursor *c, uint8_t enc, uintptr_t datarel) {
  if (enc == 0xff) return 0;  // omitted
  uintptr_t at = c->p;
  uint64_t v;
  switch (enc & 0x0f) {
  case 0x00: v = cur_fixed(c, 8); break;
  case 0x01: v = uleb(c); break;
  case 0x02: v = cur_fixed(c, 2); break;
  case 0x03: v = cur_fixed(c, 4); break;
  case 0x04: v = cur_fixed(c, 8); break;
  case 0x09: v = (uint64_t)sleb(c); break;
  case 0x0a: v = (uint64_t)(int64_t)(int16_t)cur_fixed(c, 2); break;
  case 0x0b: v = (uint64_t)(int64_t)(int32_t)cur_fixed(c, 4); break;
  case 0x0c: v = cur_fixed(c, 8); break;
  default: c->ok = 0; return 0;
  }
  switch (enc & 0x70) {
  case 0x00: break;
  case 0x10: v += at; break;       // pcrel
  case 0x30: v += datarel; break;  // datarel
  default: c->ok = 0; return 0;    // textrel, funcrel, aligned: not emitted on x86_64
  }
  return (uintptr_t)v;  // indirect (0x80) is only used for personality pointers, skipped
}

/// What the CFA program of an FDE needs from its CIE.
typedef struct cie_info {
  uint64_t code_align;
  int64_t data_align;
  uint64_t ra_reg;
  uint8_t fde_enc;
  int has_aug_data;
  uintptr_t insns, insns_end;
} cie_info;

/// The rule at `addr` from the CIE's initial instructions and the FDE's instructions
/// [insns, insns_end), for an FDE whose code starts at `begin`. Every read stays inside
/// [lo, insns_end) and [ci->insns, ci->insns_end); the program's length bounds the work.
/// *out gets cfa_kind MP_CFA_NONE when the program is corrupt or not modelled.
HIDDEN void memprof_cfa_rule(const cie_info *ci, uintptr_t lo, uintptr_t insns, uintptr_t insns_end,
                             uintptr_t begin, uintptr_t addr, mp_unwind_rule *out);
#endif
