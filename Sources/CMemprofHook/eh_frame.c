// The unwind rule of one code address from the module's `.eh_frame` (x86_64): binary search
// of the `.eh_frame_hdr` table, the FDE and its CIE, then the CFA program run up to the
// address. Runs on a miss of the rule cache only. Every read goes through a cursor bounded
// by the mapped segment that holds `.eh_frame_hdr`, so corrupt CFI ends a stack, never the
// program; the CFA program is bounded by its own length.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include "eh_frame.h"

#if defined(__x86_64__) && defined(DLFO_STRUCT_HAS_EH_DBASE)
#pragma weak _dl_find_object
#define MP_HAVE_DLFO 1
#endif

int memprof_find_module(uintptr_t pc, mp_module_ref *out) {
#ifdef MP_HAVE_DLFO
  struct dl_find_object fo;
  if (_dl_find_object == NULL || _dl_find_object((void *)pc, &fo) != 0) return 0;
  out->map_start = (uintptr_t)fo.dlfo_map_start;
  out->map_end = (uintptr_t)fo.dlfo_map_end;
  out->eh_frame_hdr = fo.dlfo_eh_frame;
  return 1;
#else
  (void)pc;
  (void)out;
  return 0;
#endif
}

// ---- bounded reading

typedef struct cursor {
  uintptr_t p, lo, hi;  // position, and the readable range
  int ok;
} cursor;

static int cur_has(const cursor *c, uintptr_t n) { return c->ok && c->p >= c->lo && c->p <= c->hi && c->hi - c->p >= n; }

static uint64_t cur_fixed(cursor *c, unsigned n) {
  if (!cur_has(c, n)) {
    c->ok = 0;
    return 0;
  }
  uint64_t v = 0;
  memcpy(&v, (const void *)c->p, n);  // little-endian
  c->p += n;
  return v;
}

static uint8_t u8(cursor *c) { return (uint8_t)cur_fixed(c, 1); }

static uint64_t uleb(cursor *c) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    uint8_t b = u8(c);
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  c->ok = 0;
  return 0;
}

static int64_t sleb(cursor *c) {
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
static uintptr_t encoded(cursor *c, uint8_t enc, uintptr_t datarel) {
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

// ---- the module's segments

typedef struct segments {
  uintptr_t ro_lo, ro_hi;      // the loaded segment holding .eh_frame_hdr (and .eh_frame)
  uintptr_t bias;
  const Elf64_Phdr *phdr;
  unsigned phnum;
} segments;

// Reads the ELF header at the start of the module's mapping (the first PT_LOAD maps file
// offset 0) and finds the segment that holds `.eh_frame_hdr`.
static int find_segments(const mp_module_ref *m, segments *s) {
  uintptr_t base = m->map_start, hdr = (uintptr_t)m->eh_frame_hdr;
  if (base == 0 || hdr == 0 || m->map_end - base < 4096) return 0;
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
      eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > 4096)
    return 0;
  s->phdr = (const Elf64_Phdr *)(base + eh->e_phoff);
  s->phnum = eh->e_phnum;
  // The load bias: the mapping starts at the page of the lowest PT_LOAD.
  uint64_t lowest = UINT64_MAX;
  for (unsigned i = 0; i < s->phnum; i++)
    if (s->phdr[i].p_type == PT_LOAD && s->phdr[i].p_vaddr < lowest) lowest = s->phdr[i].p_vaddr;
  if (lowest == UINT64_MAX) return 0;
  s->bias = base - (uintptr_t)(lowest & ~(uint64_t)4095);
  for (unsigned i = 0; i < s->phnum; i++) {
    const Elf64_Phdr *p = &s->phdr[i];
    if (p->p_type != PT_LOAD || !(p->p_flags & PF_R)) continue;
    uintptr_t lo = s->bias + p->p_vaddr, hi = lo + p->p_filesz;
    if (hdr >= lo && hdr < hi && hi <= m->map_end) {
      s->ro_lo = lo;
      s->ro_hi = hi;
      return 1;
    }
  }
  return 0;
}

// 1 when [addr, addr + n) is inside an executable loaded segment of the module.
static int in_code(const segments *s, uintptr_t addr, uintptr_t n) {
  for (unsigned i = 0; i < s->phnum; i++) {
    const Elf64_Phdr *p = &s->phdr[i];
    if (p->p_type != PT_LOAD || (p->p_flags & (PF_R | PF_X)) != (PF_R | PF_X)) continue;
    uintptr_t lo = s->bias + p->p_vaddr, hi = lo + p->p_filesz;
    if (addr >= lo && addr < hi && hi - addr >= n) return 1;
  }
  return 0;
}

// rt_sigreturn: the kernel returns from a signal handler into glibc's __restore_rt
// (mov $15, %rax; syscall) or musl's (mov $15, %eax; syscall).
static int is_sigreturn(const segments *s, uintptr_t ret) {
  static const uint8_t glibc[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
  static const uint8_t musl[] = {0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
  if (in_code(s, ret, sizeof glibc) && memcmp((const void *)ret, glibc, sizeof glibc) == 0) return 1;
  return in_code(s, ret, sizeof musl) && memcmp((const void *)ret, musl, sizeof musl) == 0;
}

// ---- .eh_frame_hdr: the FDE whose range starts at or below addr

static uintptr_t find_fde(const segments *s, uintptr_t hdr, uintptr_t addr) {
  cursor c = {.p = hdr, .lo = s->ro_lo, .hi = s->ro_hi, .ok = 1};
  uint8_t version = u8(&c), ptr_enc = u8(&c), count_enc = u8(&c), table_enc = u8(&c);
  if (!c.ok || version != 1 || table_enc != 0x3b) return 0;  // datarel sdata4: searchable
  encoded(&c, ptr_enc, hdr);
  uint64_t count = encoded(&c, count_enc, hdr);
  if (!c.ok || count == 0 || count > (s->ro_hi - c.p) / 8) return 0;
  const int32_t *table = (const int32_t *)c.p;
  uint64_t lo = 0, hi = count;  // the answer is in [lo, hi)
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (hdr + (intptr_t)table[2 * mid] <= addr) lo = mid;
    else hi = mid;
  }
  if (hdr + (intptr_t)table[2 * lo] > addr) return 0;
  return hdr + (intptr_t)table[2 * lo + 1];
}

// ---- CIE and FDE

typedef struct cie_info {
  uint64_t code_align;
  int64_t data_align;
  uint64_t ra_reg;
  uint8_t fde_enc;
  int has_aug_data;
  uintptr_t insns, insns_end;
} cie_info;

// The entry's length field; sets *end. Returns the position after the length, 0 if bad.
static uintptr_t entry_bounds(cursor *c, uintptr_t *end) {
  uint64_t len = cur_fixed(c, 4);
  if (len == 0xffffffffu) len = cur_fixed(c, 8);
  if (!c->ok || len == 0 || len > c->hi - c->p) return 0;
  *end = c->p + len;
  return c->p;
}

static int parse_cie(const segments *s, uintptr_t at, cie_info *ci) {
  cursor c = {.p = at, .lo = s->ro_lo, .hi = s->ro_hi, .ok = 1};
  uintptr_t end;
  if (!entry_bounds(&c, &end)) return 0;
  c.hi = end;
  if (cur_fixed(&c, 4) != 0) return 0;  // CIE id
  uint8_t version = u8(&c);
  if (version != 1 && version != 3) return 0;
  char aug[8];
  unsigned n = 0;
  for (;;) {
    uint8_t ch = u8(&c);
    if (!c.ok || n == sizeof aug) return 0;
    aug[n++] = (char)ch;
    if (ch == 0) break;
  }
  ci->code_align = uleb(&c);
  ci->data_align = sleb(&c);
  ci->ra_reg = version == 1 ? u8(&c) : uleb(&c);
  ci->fde_enc = 0;  // absptr
  ci->has_aug_data = aug[0] == 'z';
  if (ci->has_aug_data) {
    uint64_t len = uleb(&c);
    if (!c.ok || len > c.hi - c.p) return 0;
    uintptr_t aug_end = c.p + len;
    for (unsigned i = 1; aug[i] != 0; i++) {
      if (aug[i] == 'R') ci->fde_enc = u8(&c);
      else if (aug[i] == 'L') u8(&c);
      else if (aug[i] == 'P') encoded(&c, u8(&c) & 0x7f, 0);
      else if (aug[i] != 'S' && aug[i] != 'B' && aug[i] != 'G') return 0;
    }
    c.p = aug_end;
  } else if (aug[0] != 0) {
    return 0;  // "eh" and other pre-'z' augmentations: not emitted by current compilers
  }
  ci->insns = c.p;
  ci->insns_end = end;
  return c.ok;
}

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

int memprof_eh_rule(const mp_module_ref *m, uintptr_t addr, uintptr_t ret, mp_unwind_rule *out) {
  segments s;
  if (!find_segments(m, &s)) return 0;
  if (ret != 0 && is_sigreturn(&s, ret)) {
    *out = (mp_unwind_rule){.cfa_kind = MP_CFA_SIGNAL};
    return 1;
  }
  uintptr_t fde = find_fde(&s, (uintptr_t)m->eh_frame_hdr, addr);
  if (fde == 0) return 0;
  cursor c = {.p = fde, .lo = s.ro_lo, .hi = s.ro_hi, .ok = 1};
  uintptr_t end;
  *out = (mp_unwind_rule){.cfa_kind = MP_CFA_NONE, .rbp_kind = MP_RBP_UNKNOWN};
  if (!entry_bounds(&c, &end)) return 1;
  c.hi = end;
  uintptr_t cie_field = c.p;
  uint32_t cie_off = (uint32_t)cur_fixed(&c, 4);
  cie_info ci;
  if (!c.ok || cie_off == 0 || cie_off > cie_field || !parse_cie(&s, cie_field - cie_off, &ci)) return 1;
  uintptr_t begin = encoded(&c, ci.fde_enc, 0);
  uintptr_t range = encoded(&c, ci.fde_enc & 0x0f, 0);
  if (!c.ok) return 1;
  if (addr < begin || addr - begin >= range) return 0;  // a gap between FDEs
  if (ci.has_aug_data) {
    uint64_t len = uleb(&c);
    if (!c.ok || len > c.hi - c.p) return 1;
    c.p += len;
  }
  row initial = {.cfa_kind = C_BAD, .rbp = {R_SAME, 0, 0}, .ra = {R_SAME, 0, 0}};
  cursor cc = {.p = ci.insns, .lo = s.ro_lo, .hi = ci.insns_end, .ok = 1};
  if (!run_program(&cc, &ci, begin, UINTPTR_MAX, addr, &initial, NULL)) return 1;
  row r = initial;
  if (!run_program(&c, &ci, begin, addr, addr, &r, &initial)) return 1;
  *out = to_rule(&r);
  return 1;
}
