// Private: the unwind rule of one code address, read from the `.eh_frame` of the module
// that holds it (found with glibc's `_dl_find_object`). Used by the stack walk on a miss of
// the rule cache only.
#ifndef MEMPROF_EH_FRAME_H
#define MEMPROF_EH_FRAME_H
#include <stdint.h>
#include "state.h"
#include "unwind_rule.h"

/// The module of a code address, as far as the unwinder needs it.
typedef struct mp_module_ref {
  uintptr_t map_start, map_end;  // the module's whole mapping (may contain unmapped holes)
  const void *eh_frame_hdr;      // PT_GNU_EH_FRAME, NULL when the module has none
} mp_module_ref;

/// Finds the module holding `pc` without a lock or an allocation (async-signal-safe).
/// Returns 0 when no loaded module holds it (or glibc is older than 2.35).
HIDDEN int memprof_find_module(uintptr_t pc, mp_module_ref *out);

/// The rule at `addr` (a call's address, return address - 1, or an interrupted pc) of the
/// code in `m`. `ret` is the return address when addr = ret - 1 (0 for an interrupted pc):
/// the bytes there are checked for the kernel's signal return trampoline. Returns 1 with
/// *out set (cfa_kind MP_CFA_NONE when the CFI is corrupt or uses what this unwinder does
/// not model), 0 when no FDE covers `addr`. Every byte read is inside the module's mapped
/// segment that holds `.eh_frame_hdr`; never allocates, never locks.
HIDDEN int memprof_eh_rule(const mp_module_ref *m, uintptr_t addr, uintptr_t ret, mp_unwind_rule *out);
#endif
