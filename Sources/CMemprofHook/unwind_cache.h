// Private: the unwind rule of a code address, cached without locks.
//
// The cache is a direct-mapped table of (key, rule) words, written and read without locks.
// A writer stores the rule, then the key; the key is the address xor a hash of the rule
// (and of the module, see unwind_cache.c), so a reader that sees half of one write and half
// of another finds a key that does not match and takes the slow path.
#ifndef MEMPROF_UNWIND_CACHE_H
#define MEMPROF_UNWIND_CACHE_H
#include <stdint.h>
#include "state.h"
#include "unwind_rule.h"

#define MP_UNWIND_CACHE_BITS 15
typedef struct mp_unwind_entry { uint64_t key, rule; } mp_unwind_entry;
extern mp_unwind_entry memprof_unwind_cache[1u << MP_UNWIND_CACHE_BITS] HIDDEN;

// The key of an entry: the address xor an odd multiple of the rule (of rule xor module for
// code loaded later), so a torn entry (one write's rule, another's key) does not match. A
// zero entry matches no address (every looked-up address is at least 4096).
static inline uint64_t mp_unwind_key(uintptr_t addr, uint64_t rule, uintptr_t module) {
  return (uint64_t)addr ^ ((rule ^ (uint64_t)module) * 0x9E3779B97F4A7C15ull);
}

static inline mp_unwind_entry *mp_unwind_slot(uintptr_t addr) {
  return &memprof_unwind_cache[(uint32_t)(((uint64_t)addr * 0xff51afd7ed558ccdull) >> (64 - MP_UNWIND_CACHE_BITS))];
}

/// The packed rule to step out of the frame whose code is at `addr` (return address - 1, or
/// the interrupted pc itself after a signal frame when `ret` is 0; `ret` the return address
/// otherwise), on the slow path: a cache miss (it reads the module's `.eh_frame` and fills
/// the entry), or code of a module loaded after start-up (checked against the loaded module
/// each time). Code without CFI in a module, or outside any module, gets the frame-pointer
/// rule. Never allocates, never locks, async-signal-safe.
HIDDEN uint64_t memprof_unwind_rule_slow(uintptr_t addr, uintptr_t ret);

/// The cached rule of `addr` in a module loaded at start-up: 1 with *rule set on a hit.
/// A hit costs a multiply, two loads, a multiply and a compare. (An entry of a module loaded
/// later has a key that includes the module, so it never hits here: rule xor module is not
/// rule for a module address other than 0.)
static inline int mp_unwind_lookup(uintptr_t addr, uint64_t *rule) {
  mp_unwind_entry *e = mp_unwind_slot(addr);
  *rule = __atomic_load_n(&e->rule, __ATOMIC_RELAXED);
  return __atomic_load_n(&e->key, __ATOMIC_RELAXED) == mp_unwind_key(addr, *rule, 0);
}

/// 1 when `pc` is in a module loaded at start-up (never unloaded): a linear scan of their
/// ranges, for the sampler's new stacks (not for every sample).
HIDDEN int memprof_in_startup_module(uintptr_t pc);

/// Bytes the cache occupies (static, touched page by page as it fills).
HIDDEN uint64_t memprof_unwind_cache_bytes(void);
#endif
