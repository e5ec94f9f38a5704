// Stack capture for sampled allocations: the return addresses of the calling thread, leaf
// first, without the hook's own frames. Runs only when a sample is taken.
#include <stdint.h>
#include "state.h"
#include "sampler.h"
#include "stack_capture.h"

// Bounds of the hook's code, per module (hidden: a preloaded copy and a linked-in copy each
// see their own).
extern char __start_memprof_hook_text[] __attribute__((visibility("hidden")));
extern char __stop_memprof_hook_text[] __attribute__((visibility("hidden")));

static inline int in_hook(uintptr_t pc) {
  return pc >= (uintptr_t)__start_memprof_hook_text && pc < (uintptr_t)__stop_memprof_hook_text;
}

// Walks frame pointers from `fp`, within [fp, top): every address read is on this thread's
// stack, so a frame without a frame pointer (glibc) ends the walk or yields odd return
// addresses, never a fault. `caller` is the interposer's own return address: first, and
// not repeated when the walk finds it too (it does when the interposer kept a frame).
uint32_t memprof_capture_stack(uintptr_t fp, uintptr_t top, uintptr_t caller, uint64_t *pcs) {
  uint32_t depth = 0;
  if (caller >= 4096 && !in_hook(caller)) pcs[depth++] = caller;
  uintptr_t lo = fp;
  if (top <= lo || top - lo > (512u << 20)) return depth;
  int first = 1;
  while (depth < MP_MAX_DEPTH && fp >= lo && fp + 16 <= top && (fp & 7) == 0) {
    uintptr_t ret = ((uintptr_t *)fp)[1];
    uintptr_t next = ((uintptr_t *)fp)[0];
    if (ret < 4096) break;
    if (!in_hook(ret)) {
      if (!(first && ret == caller)) pcs[depth++] = ret;
      first = 0;
    }
    if (next <= fp) break;
    fp = next;
  }
  return depth;
}

