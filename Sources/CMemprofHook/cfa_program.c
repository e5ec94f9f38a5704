// The CFA program of an FDE (x86_64), run up to one address and reduced to an unwind rule:
// where the CFA, the return address and rbp are. DW_CFA_* as GCC, Clang and the assemblers
// emit them, including remember/restore_state and the simple DWARF expressions of
// realigned frames and PLT entries. Bounded by the program's length; never allocates.
#include "dwarf_cursor.h"

// ---- the CFA program

enum { R_SAME, R_UNDEF, R_OFFSET, R_VAL_OFFSET, R_AT_REG, R_BAD };  // register rule kinds
typedef struct reg_rule { uint8_t kind, reg; int64_t off; } reg_rule;
enum { C_REG, C_DEREF, C_BAD };
typedef struct row {
  uint8_t cfa_kind, cfa_reg;
  int64_t cfa_off;
  reg_rule rbp, ra;
} row;

// DWARF register numbers of x86_64.
#define DW_RBP 6
#define DW_RSP 7
#define DW_RIP 16

// A DWARF expression reduced to "register + constant" (or a constant), optionally
// dereferenced once at the end. `start_cfa` pushes the CFA first (DW_CFA_expression).
// Covers what compilers emit for realigned frames and PLT entries; anything else fails.
typedef struct sym { int reg; int64_t c; } sym;  // reg -1: constant; -2: the CFA
static int eval_expr(cursor *c, uint64_t len, uintptr_t pc, int start_cfa, sym *result, int *deref) {
  if (len > c->hi - c->p) return 0;
  uintptr_t end = c->p + len;
  sym st[8];
  int n = 0;
  *deref = 0;
  if (start_cfa) st[n++] = (sym){-2, 0};
  while (c->ok && c->p < end) {
    if (*deref) return 0;  // deref only as the last operation
    uint8_t op = u8(c);
    if (n >= 8) return 0;
    if (op >= 0x30 && op <= 0x4f) { st[n++] = (sym){-1, op - 0x30}; continue; }  // lit0..31
    if (op >= 0x70 && op <= 0x8f) {                                             // breg0..31
      int64_t off = sleb(c);
      int reg = op - 0x70;
      if (reg == DW_RIP) st[n++] = (sym){-1, (int64_t)pc + off};
      else if (reg == DW_RBP || reg == DW_RSP) st[n++] = (sym){reg, off};
      else return 0;
      continue;
    }
    switch (op) {
    case 0x08: st[n++] = (sym){-1, (int64_t)cur_fixed(c, 1)}; continue;           // const1u
    case 0x09: st[n++] = (sym){-1, (int8_t)cur_fixed(c, 1)}; continue;            // const1s
    case 0x0a: st[n++] = (sym){-1, (int64_t)cur_fixed(c, 2)}; continue;           // const2u
    case 0x0b: st[n++] = (sym){-1, (int16_t)cur_fixed(c, 2)}; continue;           // const2s
    case 0x0c: st[n++] = (sym){-1, (int64_t)cur_fixed(c, 4)}; continue;           // const4u
    case 0x0d: st[n++] = (sym){-1, (int32_t)cur_fixed(c, 4)}; continue;           // const4s
    case 0x10: st[n++] = (sym){-1, (int64_t)uleb(c)}; continue;                   // constu
    case 0x11: st[n++] = (sym){-1, sleb(c)}; continue;                            // consts
    case 0x23: if (n < 1) return 0; st[n - 1].c += (int64_t)uleb(c); continue;    // plus_uconst
    case 0x06: if (n < 1 || st[n - 1].reg == -1) return 0; *deref = 1; continue;  // deref
    }
    if (n < 2) return 0;
    sym b = st[--n], *a = &st[n - 1];
    if (op == 0x22 && (a->reg == -1 || b.reg == -1)) {  // plus
      if (a->reg == -1) a->reg = b.reg;
      a->c += b.c;
      continue;
    }
    if (a->reg != -1 || b.reg != -1) return 0;
    switch (op) {
    case 0x1a: a->c &= b.c; break;                                  // and
    case 0x1c: a->c -= b.c; break;                                  // minus
    case 0x1e: a->c *= b.c; break;                                  // mul
    case 0x21: a->c |= b.c; break;                                  // or
    case 0x24: a->c = b.c >= 0 && b.c < 64 ? (int64_t)((uint64_t)a->c << b.c) : 0; break;  // shl
    case 0x25: a->c = b.c >= 0 && b.c < 64 ? (int64_t)((uint64_t)a->c >> b.c) : 0; break;  // shr
    case 0x29: a->c = a->c == b.c; break;                           // eq
    case 0x2a: a->c = a->c >= b.c; break;                           // ge
    case 0x2b: a->c = a->c > b.c; break;                            // gt
    case 0x2c: a->c = a->c <= b.c; break;                           // le
    case 0x2d: a->c = a->c < b.c; break;                            // lt
    case 0x2e: a->c = a->c != b.c; break;                           // ne
    default: return 0;
    }
  }
  if (!c->ok || c->p != end || n != 1) return 0;
  *result = st[0];
  return 1;
}

static reg_rule *tracked(row *r, uint64_t reg, uint64_t ra_reg) {
  if (reg == DW_RBP) return &r->rbp;
  if (reg == ra_reg) return &r->ra;
  return NULL;
}

// Runs CFA instructions [c->p, c->hi) while the location stays <= target. `initial` is the
// row after the CIE's instructions (for DW_CFA_restore), NULL while running those.
static int run_program(cursor *c, const cie_info *ci, uintptr_t loc, uintptr_t target, uintptr_t pc,
                       row *r, const row *initial) {
  row saved[8];
  int nsaved = 0;
  while (c->ok && c->p < c->hi) {
    uint8_t op = u8(c);
    uint64_t reg, delta = 0;
    int64_t off;
    reg_rule *rr;
    switch (op >> 6) {
    case 1: delta = op & 0x3f; goto advance;
    case 2:  // offset
      reg = op & 0x3f;
      off = (int64_t)uleb(c) * ci->data_align;
      if ((rr = tracked(r, reg, ci->ra_reg))) *rr = (reg_rule){R_OFFSET, 0, off};
      continue;
    case 3:  // restore
      reg = op & 0x3f;
      if (!initial) return 0;
      if ((rr = tracked(r, reg, ci->ra_reg))) *rr = *tracked((row *)initial, reg, ci->ra_reg);
      continue;
    }
    switch (op) {
    case 0x00: continue;  // nop
    case 0x01: {          // set_loc
      uintptr_t to = encoded(c, ci->fde_enc, 0);
      if (to > target) return c->ok;
      loc = to;
      continue;
    }
    case 0x02: delta = cur_fixed(c, 1); goto advance;
    case 0x03: delta = cur_fixed(c, 2); goto advance;
    case 0x04: delta = cur_fixed(c, 4); goto advance;
    case 0x05: case 0x11: case 0x2f:  // offset_extended, offset_extended_sf, GNU_negative_offset_extended
      reg = uleb(c);
      off = op == 0x05 ? (int64_t)uleb(c) * ci->data_align
                       : op == 0x11 ? sleb(c) * ci->data_align : -(int64_t)uleb(c) * ci->data_align;
      if ((rr = tracked(r, reg, ci->ra_reg))) *rr = (reg_rule){R_OFFSET, 0, off};
      continue;
    case 0x14: case 0x15:  // val_offset, val_offset_sf
      reg = uleb(c);
      off = op == 0x14 ? (int64_t)uleb(c) * ci->data_align : sleb(c) * ci->data_align;
      if ((rr = tracked(r, reg, ci->ra_reg))) *rr = (reg_rule){R_VAL_OFFSET, 0, off};
      continue;
    case 0x06:  // restore_extended
      reg = uleb(c);
      if (!initial) return 0;
      if ((rr = tracked(r, reg, ci->ra_reg))) *rr = *tracked((row *)initial, reg, ci->ra_reg);
      continue;
    case 0x07: case 0x08:  // undefined, same_value
      reg = uleb(c);
      if ((rr = tracked(r, reg, ci->ra_reg))) *rr = (reg_rule){op == 0x07 ? R_UNDEF : R_SAME, 0, 0};
      continue;
    case 0x09:  // register: the value is in another register, which this walk does not track
      reg = uleb(c);
      uleb(c);
      if ((rr = tracked(r, reg, ci->ra_reg))) *rr = (reg_rule){R_BAD, 0, 0};
      continue;
    case 0x0a:  // remember_state
      if (nsaved == 8) return 0;
      saved[nsaved++] = *r;
      continue;
    case 0x0b:  // restore_state (the CFA is not part of the remembered state in GCC's reading,
                // but every producer pairs them around epilogues that restore it too)
      if (nsaved == 0) return 0;
      *r = saved[--nsaved];
      continue;
    case 0x0c: case 0x12:  // def_cfa, def_cfa_sf
      r->cfa_reg = (uint8_t)uleb(c);
      r->cfa_off = op == 0x0c ? (int64_t)uleb(c) : sleb(c) * ci->data_align;
      r->cfa_kind = C_REG;
      continue;
    case 0x0d:  // def_cfa_register
      r->cfa_reg = (uint8_t)uleb(c);
      if (r->cfa_kind != C_REG) r->cfa_kind = C_BAD;
      continue;
    case 0x0e: case 0x13:  // def_cfa_offset, def_cfa_offset_sf
      r->cfa_off = op == 0x0e ? (int64_t)uleb(c) : sleb(c) * ci->data_align;
      if (r->cfa_kind != C_REG) r->cfa_kind = C_BAD;
      continue;
    case 0x0f: {  // def_cfa_expression
      uint64_t len = uleb(c);
      if (!c->ok || len > c->hi - c->p) return 0;
      uintptr_t after = c->p + len;
      sym v;
      int deref;
      if (eval_expr(c, len, pc, 0, &v, &deref) && v.reg >= 0) {
        r->cfa_kind = deref ? C_DEREF : C_REG;
        r->cfa_reg = (uint8_t)v.reg;
        r->cfa_off = v.c;
      } else {
        r->cfa_kind = C_BAD;
      }
      c->ok = 1;
      c->p = after;
      continue;
    }
    case 0x10: case 0x16: {  // expression, val_expression
      reg = uleb(c);
      uint64_t len = uleb(c);
      rr = tracked(r, reg, ci->ra_reg);
      if (!c->ok || len > c->hi - c->p) return 0;
      uintptr_t after = c->p + len;
      sym v;
      int deref;
      int ok = rr && eval_expr(c, len, pc, 1, &v, &deref) && !deref;
      c->ok = 1;
      c->p = after;
      if (!rr) continue;
      if (!ok) *rr = (reg_rule){R_BAD, 0, 0};
      else if (op == 0x16) *rr = v.reg == -2 ? (reg_rule){R_VAL_OFFSET, 0, v.c} : (reg_rule){R_BAD, 0, 0};
      else if (v.reg == -2) *rr = (reg_rule){R_OFFSET, 0, v.c};
      else if (v.reg == DW_RBP || v.reg == DW_RSP) *rr = (reg_rule){R_AT_REG, (uint8_t)v.reg, v.c};
      else *rr = (reg_rule){R_BAD, 0, 0};
      continue;
    }
    case 0x2e: uleb(c); continue;  // GNU_args_size
    default: return 0;             // unknown (or another architecture's) instruction
    }
  advance:
    loc += delta * ci->code_align;
    if (loc > target) return c->ok;
  }
  return c->ok;
}

static int fits(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

// The decoded row at the target, reduced to a rule.
static mp_unwind_rule to_rule(const row *r) {
  mp_unwind_rule out = {.cfa_kind = MP_CFA_NONE, .rbp_kind = MP_RBP_UNKNOWN};
  if (r->ra.kind == R_UNDEF) {
    out.cfa_kind = MP_CFA_END;
    return out;
  }
  if (r->ra.kind != R_OFFSET || !fits(r->ra.off, -128, 127)) return out;
  if (r->cfa_kind == C_BAD || (r->cfa_reg != DW_RSP && r->cfa_reg != DW_RBP) || !fits(r->cfa_off, INT32_MIN, INT32_MAX))
    return out;
  out.ra_off = (int8_t)r->ra.off;
  out.cfa_off = (int32_t)r->cfa_off;
  if (r->cfa_kind == C_REG) out.cfa_kind = r->cfa_reg == DW_RSP ? MP_CFA_RSP : MP_CFA_RBP;
  else out.cfa_kind = r->cfa_reg == DW_RSP ? MP_CFA_DEREF_RSP : MP_CFA_DEREF_RBP;
  const reg_rule *b = &r->rbp;
  int small = fits(b->off, INT16_MIN, INT16_MAX);
  out.rbp_off = small ? (int16_t)b->off : 0;
  if (b->kind == R_SAME) out.rbp_kind = MP_RBP_SAME;
  else if (b->kind == R_OFFSET && small) out.rbp_kind = MP_RBP_AT_CFA;
  else if (b->kind == R_VAL_OFFSET && small) out.rbp_kind = MP_RBP_VAL_CFA;
  else if (b->kind == R_AT_REG && small) out.rbp_kind = b->reg == DW_RBP ? MP_RBP_AT_RBP : MP_RBP_AT_RSP;
  else out.rbp_kind = MP_RBP_UNKNOWN;
  return out;
}

void memprof_cfa_rule(const cie_info *ci, uintptr_t lo, uintptr_t insns, uintptr_t insns_end,
                      uintptr_t begin, uintptr_t addr, mp_unwind_rule *out) {
  *out = (mp_unwind_rule){.cfa_kind = MP_CFA_NONE, .rbp_kind = MP_RBP_UNKNOWN};
  row initial = {.cfa_kind = C_BAD, .rbp = {R_SAME, 0, 0}, .ra = {R_SAME, 0, 0}};
  cursor cc = {.p = ci->insns, .lo = lo, .hi = ci->insns_end, .ok = 1};
  if (!run_program(&cc, ci, begin, UINTPTR_MAX, addr, &initial, NULL)) return;
  row r = initial;
  cursor c = {.p = insns, .lo = lo, .hi = insns_end, .ok = 1};
  if (!run_program(&c, ci, begin, addr, addr, &r, &initial)) return;
  *out = to_rule(&r);
}
