// Where libswiftCore allocates objects (swift_allocators.h): found once, off the hot path,
// from the dynamic symbol table (dlsym for the address, the ELF symbol for the size).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include "swift_allocators.h"

mp_range memprof_g_slow_alloc;
mp_range memprof_g_object_allocators[4];
mp_range memprof_g_allocators_span;
int memprof_g_allocators_state;
static uint32_t g_lookups;     // calls since the last failed lookup (racy: only a pace)
static uint64_t g_raw;         // swift_slowAlloc calls not from an object allocator

static mp_range symbol_range(void *addr) {
  mp_range r = {0, 0};
  Dl_info info;
  const ElfW(Sym) *sym = NULL;
  if (addr && dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size && info.dli_saddr == addr) {
    r.lo = (uintptr_t)addr;
    r.hi = r.lo + sym->st_size;
  }
  return r;
}

int memprof_find_swift_allocators(void) {
  int state = __atomic_load_n(&memprof_g_allocators_state, __ATOMIC_ACQUIRE);
  if (state == 1) return 1;
  if (state == 2 && ++g_lookups % 65536 != 0) return 0;
  mp_range slow = symbol_range(dlsym(RTLD_DEFAULT, "swift_slowAlloc"));
  if (slow.lo == 0) {
    __atomic_store_n(&memprof_g_allocators_state, 2, __ATOMIC_RELEASE);
    return 0;
  }
  mp_range *c = memprof_g_object_allocators;
  c[0] = symbol_range(dlsym(RTLD_DEFAULT, "swift_allocObject"));
  c[1] = symbol_range(dlsym(RTLD_DEFAULT, "swift_bufferAllocate"));
  // Read only: the hook variable points to the runtime's own implementation (unless a tool
  // swizzled it); swift_allocObject calls that one when it is not inlined.
  void **hook = dlsym(RTLD_DEFAULT, "_swift_allocObject");
  if (hook && *hook) c[2] = symbol_range(*hook);
  // swift_allocBox has swift_allocObject inlined: its one call of swift_slowAlloc is the box.
  c[3] = symbol_range(dlsym(RTLD_DEFAULT, "swift_allocBox"));
  mp_range span = {0, 0};
  for (int i = 0; i < 4; i++) {
    if (c[i].lo == 0) continue;
    if (span.lo == 0 || c[i].lo < span.lo) span.lo = c[i].lo;
    if (c[i].hi > span.hi) span.hi = c[i].hi;
  }
  memprof_g_allocators_span = span;
  memprof_g_slow_alloc = slow;
  __atomic_store_n(&memprof_g_allocators_state, 1, __ATOMIC_RELEASE);
  return 1;
}

__attribute__((noinline, cold)) int memprof_raw_swift_allocation(void) {
  ADD(&g_raw, 1);
  return 0;
}

uint64_t memprof_type_census_raw_allocations(void) { return LOAD(&g_raw); }
