// Private: the unwind rule of a code address, cached without locks.
#ifndef MEMPROF_UNWIND_CACHE_H
#define MEMPROF_UNWIND_CACHE_H
#include <stdint.h>
#include "state.h"
#include "unwind_rule.h"

/// The rule to step out of the frame whose code is at `addr` (return address - 1, or the
/// interrupted pc itself after a signal frame when `ret` is 0; `ret` the return address
/// otherwise). Code without CFI in a module, or outside any module, gets the frame-pointer
/// rule. A cache hit costs a hash and two loads; a miss reads the module's `.eh_frame`.
/// Never allocates, never locks, async-signal-safe.
HIDDEN mp_unwind_rule memprof_unwind_rule(uintptr_t addr, uintptr_t ret);

/// Bytes the cache occupies (static, touched page by page as it fills).
HIDDEN uint64_t memprof_unwind_cache_bytes(void);
#endif
