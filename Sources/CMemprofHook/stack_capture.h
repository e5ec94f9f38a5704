// Private: stack capture for sampled allocations (the sampler calls it, nothing else).
#ifndef MEMPROF_STACK_CAPTURE_H
#define MEMPROF_STACK_CAPTURE_H
#include <stdint.h>
#include "state.h"

/// Writes up to MP_MAX_DEPTH return addresses of the calling thread into pcs, leaf first,
/// skipping the hook's own frames; returns how many. `frame` is the frame address of the
/// hook function that decided to sample, `top` the upper bound of this thread's stack,
/// `caller` the interposer's return address (the allocating call site). Never allocates,
/// never locks, bounded in time.
HIDDEN uint32_t memprof_capture_stack(uintptr_t frame, uintptr_t top, uintptr_t caller, uint64_t *pcs);
#endif
