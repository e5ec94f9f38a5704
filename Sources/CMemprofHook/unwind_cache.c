// The rule cache of the stack walk: a direct-mapped table of (key, rule) words in .bss,
// written and read without locks. A writer stores the rule, then the key; the key is the
// address mixed with a hash of the rule (and of the module, see below), so a reader that
// sees half of one write and half of another finds a key that does not match and takes the
// slow path. Pages of the table are touched only as entries land in them.
//
// dlclose: a module loaded at start-up is never unloaded, so its rules are valid for the
// life of the process (and of forked children). A rule of a module loaded later is bound
// to that module's `.eh_frame_hdr` address, checked with `_dl_find_object` at each use: a
// different module mapped at the same place after a dlclose misses.
#define _GNU_SOURCE
#include <link.h>
#include "eh_frame.h"
#include "unwind_cache.h"

#define CACHE_BITS 15
typedef struct entry { uint64_t key, rule; } entry;
static entry g_cache[1u << CACHE_BITS];

static inline uint64_t mix(uint64_t h) {
  h ^= h >> 31;
  h *= 0x7fb5d329728ea185ull;
  h ^= h >> 27;
  h *= 0x81dadef4bc2dd44dull;
  h ^= h >> 33;
  return h;
}

static inline uint64_t key_of(uintptr_t addr, uint64_t rule, uintptr_t module) {
  return (uint64_t)addr ^ mix(rule ^ (uint64_t)module * 0x9E3779B97F4A7C15ull ^ 0x6a09e667f3bcc909ull);
}

static inline entry *slot_of(uintptr_t addr) {
  return &g_cache[(uint32_t)(((uint64_t)addr * 0x9E3779B97F4A7C15ull) >> (64 - CACHE_BITS))];
}

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

// ---- lookups

mp_unwind_rule memprof_unwind_rule(uintptr_t addr, uintptr_t ret) {
  entry *e = slot_of(addr);
  uint64_t rule = __atomic_load_n(&e->rule, __ATOMIC_RELAXED);
  uint64_t key = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
  if ((rule & MP_RULE_PERMANENT) && key == key_of(addr, rule, 0)) return mp_rule_unpack(rule);
  mp_module_ref m;
  if (!memprof_find_module(addr, &m)) return mp_rule_frame_pointer();  // JIT or unknown code
  uintptr_t module = m.eh_frame_hdr ? (uintptr_t)m.eh_frame_hdr : m.map_start;
  if (!(rule & MP_RULE_PERMANENT) && key == key_of(addr, rule, module)) return mp_rule_unpack(rule);
  mp_unwind_rule r;
  if (!m.eh_frame_hdr || !memprof_eh_rule(&m, addr, ret, &r)) r = mp_rule_frame_pointer();
  int permanent = loaded_at_startup(m.map_start);
  rule = mp_rule_pack(&r, permanent);
  __atomic_store_n(&e->rule, rule, __ATOMIC_RELAXED);
  __atomic_store_n(&e->key, key_of(addr, rule, permanent ? 0 : module), __ATOMIC_RELAXED);
  return r;
}

uint64_t memprof_unwind_cache_bytes(void) { return sizeof g_cache; }
