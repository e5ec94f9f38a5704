// Private: which mallocs are Swift objects, for the type census. Without interposing
// swift_allocObject (libswiftCore calls it directly, not through the PLT): a malloc (or
// posix_memalign) whose return address lies in swift_slowAlloc, and whose swift_slowAlloc
// frame returns into swift_allocObject, swift_bufferAllocate or swift_allocBox (the three
// that inline the runtime's object allocation, in libswiftCore 6.3), allocates an object
// whose metadata pointer those functions store in word 0 as soon as the allocation returns.
// swift_slowAlloc keeps a frame pointer; the walk from the hook is bounded by the stack.
#ifndef MEMPROF_SWIFT_ALLOCATORS_H
#define MEMPROF_SWIFT_ALLOCATORS_H
#include <stdint.h>
#include "state.h"

typedef struct mp_range { uintptr_t lo, hi; } mp_range;
extern mp_range memprof_g_slow_alloc HIDDEN;
/// swift_allocObject, swift_bufferAllocate, the allocObject hook's target, swift_allocBox.
extern mp_range memprof_g_object_allocators[4] HIDDEN;
extern mp_range memprof_g_allocators_span HIDDEN;  // the smallest range holding them

extern int memprof_g_allocators_state HIDDEN;  // 0 not looked up, 1 found, 2 no Swift runtime

/// Looks the runtime's functions up once (again now and then while there is no runtime: a
/// program may dlopen it). 1 when they are known.
HIDDEN int memprof_find_swift_allocators(void);
/// Counts a swift_slowAlloc call that was not an object's; returns 0.
HIDDEN int memprof_raw_swift_allocation(void);

static inline int mp_in_range(mp_range r, uintptr_t a) { return a - r.lo < r.hi - r.lo; }

static inline int mp_is_object_allocator(uintptr_t ra) {
  const mp_range *c = memprof_g_object_allocators;
  return mp_in_range(c[0], ra) || mp_in_range(c[1], ra) || mp_in_range(c[2], ra) || mp_in_range(c[3], ra);
}

/// 1 if swift_slowAlloc, which called the hook (`ret`), was called by an object allocator.
/// Inline: the walk starts at the caller's frame. Frames of the hook without a frame pointer
/// leave rbp alone, so the chain reaches swift_slowAlloc's frame within a few links; every
/// link stays below `stack_top` (0: unknown, then within 4 KiB).
static inline __attribute__((always_inline)) int memprof_allocates_object(void *ret, uintptr_t stack_top) {
  if (UNLIKELY(__atomic_load_n(&memprof_g_allocators_state, __ATOMIC_ACQUIRE) != 1) && !memprof_find_swift_allocators())
    return 0;
  if (!mp_in_range(memprof_g_slow_alloc, (uintptr_t)ret)) return 0;
  uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
  uintptr_t top = stack_top > fp ? stack_top : fp + 4096;
  for (int i = 0; i < 8; i++) {
    uintptr_t next = ((uintptr_t *)fp)[0], ra = ((uintptr_t *)fp)[1];
    if (mp_in_range(memprof_g_allocators_span, ra) && mp_is_object_allocator(ra)) return 1;
    if (mp_in_range(memprof_g_slow_alloc, ra)) break;  // swift_slowAlloc's own caller is one link up
    if (next <= fp || next + 16 > top || (next & 7)) return memprof_raw_swift_allocation();
    fp = next;
  }
  // fp is the frame whose return address lies in swift_slowAlloc (the hook's own, when it
  // has one): one link up is swift_slowAlloc's frame, with its caller's return address.
  uintptr_t next = ((uintptr_t *)fp)[0];
  if (next > fp && next + 16 <= top && !(next & 7) && mp_is_object_allocator(((uintptr_t *)next)[1])) return 1;
  return memprof_raw_swift_allocation();
}
#endif
