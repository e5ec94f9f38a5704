// The unwind rule of one code address from the module's `.eh_frame` (x86_64): binary search
// of the `.eh_frame_hdr` table, the FDE and its CIE, then the CFA program (cfa_program.c)
// run up to the address. Runs on a miss of the rule cache only. Every read goes through a cursor bounded
// by the mapped segment that holds `.eh_frame_hdr`, so corrupt CFI ends a stack, never the
// program; the CFA program is bounded by its own length.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include "dwarf_cursor.h"
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
  memprof_cfa_rule(&ci, s.ro_lo, c.p, c.hi, begin, addr, out);
  return 1;
}
