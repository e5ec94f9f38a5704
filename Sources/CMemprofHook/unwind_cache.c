// The slow path of the rule cache (unwind_cache.h): misses, and modules loaded after
// start-up. The table is in .bss; its pages are touched only as entries land in them.
//
// dlclose: a module loaded at start-up is never unloaded, so its rules are valid for the
// life of the process (and of forked children). A rule of a module loaded later is bound
// to that module's `.eh_frame_hdr` address, checked with `_dl_find_object` at each use: a
// different module mapped at the same place after a dlclose misses.
#define _GNU_SOURCE
#include <link.h>
#include "eh_frame.h"
#include "unwind_cache.h"

mp_unwind_entry memprof_unwind_cache[1u << MP_UNWIND_CACHE_BITS];

// ---- modules loaded at start-up (recorded by a constructor, before main)

#define STARTUP_MAX 512
static struct { uintptr_t lo, hi; } g_startup[STARTUP_MAX];
static uint32_t g_startup_count;

static int record_startup(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  uint32_t *n = data;
  if (*n == STARTUP_MAX) return 1;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *p = &info->dlpi_phdr[i];
    if (p->p_type != PT_LOAD) continue;
    uintptr_t start = info->dlpi_addr + p->p_vaddr, end = start + p->p_memsz;
    if (start < lo) lo = start;
    if (end > hi) hi = end;
  }
  if (lo < hi) {
    g_startup[*n].lo = lo & ~(uintptr_t)4095;
    g_startup[*n].hi = hi;
    (*n)++;
  }
  return 0;
}

__attribute__((constructor)) static void memprof_record_startup_modules(void) {
  uint32_t n = 0;
  dl_iterate_phdr(record_startup, &n);
  __atomic_store_n(&g_startup_count, n, __ATOMIC_RELEASE);
}

static int loaded_at_startup(uintptr_t map_start) {
  uint32_t n = __atomic_load_n(&g_startup_count, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < n; i++)
    if (map_start >= g_startup[i].lo && map_start < g_startup[i].hi) return 1;
  return 0;
}

int memprof_in_startup_module(uintptr_t pc) { return loaded_at_startup(pc); }

// ---- lookups

uint64_t memprof_unwind_rule_slow(uintptr_t addr, uintptr_t ret) {
  mp_unwind_entry *e = mp_unwind_slot(addr);
  uint64_t rule = __atomic_load_n(&e->rule, __ATOMIC_RELAXED);
  uint64_t key = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
  mp_module_ref m;
  if (!memprof_find_module(addr, &m)) {  // JIT or unknown code
    mp_unwind_rule fp = mp_rule_frame_pointer();
    return mp_rule_pack(&fp, 0);
  }
  uintptr_t module = m.eh_frame_hdr ? (uintptr_t)m.eh_frame_hdr : m.map_start;
  if (!(rule & MP_RULE_PERMANENT) && key == mp_unwind_key(addr, rule, module)) return rule;
  mp_unwind_rule r;
  if (!m.eh_frame_hdr || !memprof_eh_rule(&m, addr, ret, &r)) r = mp_rule_frame_pointer();
  int permanent = loaded_at_startup(m.map_start);
  rule = mp_rule_pack(&r, permanent);
  __atomic_store_n(&e->rule, rule, __ATOMIC_RELAXED);
  __atomic_store_n(&e->key, mp_unwind_key(addr, rule, permanent ? 0 : module), __ATOMIC_RELAXED);
  return rule;
}

uint64_t memprof_unwind_cache_bytes(void) { return sizeof memprof_unwind_cache; }
