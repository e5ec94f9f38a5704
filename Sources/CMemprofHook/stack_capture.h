// Private: stack capture for sampled allocations (the sampler calls it, nothing else).
#ifndef MEMPROF_STACK_CAPTURE_H
#define MEMPROF_STACK_CAPTURE_H
#include <stdint.h>
#include "state.h"
#include "stack_memo.h"

/// Writes up to MP_MAX_DEPTH return addresses of the calling thread into pcs, leaf first,
/// skipping the hook's own frames; returns how many. `frame` is the frame address of the
/// hook function that decided to sample, `top` the upper bound of this thread's stack,
/// `caller` the interposer's return address (the allocating call site). Never allocates,
/// never locks, bounded in time.
/// `memo` (may be NULL) is the calling thread's last walk: the walk stops at the first frame
/// it shares with it and takes the callers from it, then keeps itself there. *same_as_memo
/// is set to 1 when the stack is exactly the memo's previous one (its stack_id then holds),
/// and to 2 when it is and pcs was left unwritten: memo->pcs holds the stack (the id usually
/// names it, and copying it took 22 instructions a sample).
HIDDEN uint32_t memprof_capture_stack(uintptr_t frame, uintptr_t top, uintptr_t caller, uint64_t *pcs,
                                      mp_stack_memo *memo, int *same_as_memo);
#endif
