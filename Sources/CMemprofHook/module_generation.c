// The hook's dlclose. Before the unload, the type census names the types it has seen (their
// metadata may be unmapped with the library); after it, the module generation goes one up,
// so that a stack through a library loaded later where an unloaded one was is not taken for
// a stack of the unloaded one (module_table.h). The program's calls to dlclose come here (the preload library, or a
// linked program that exports the symbol); glibc's own internal unloads do not.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include "sampler.h"
#include "type_census.h"

uint32_t memprof_g_module_generation = 1;

typedef int (*dlclose_fn)(void *);
static dlclose_fn g_real_dlclose;

int dlclose(void *handle) {
  dlclose_fn real = __atomic_load_n(&g_real_dlclose, __ATOMIC_ACQUIRE);
  if (real == NULL) {
    real = (dlclose_fn)dlsym(RTLD_NEXT, "dlclose");
    if (real == NULL || real == dlclose) return -1;  // no libc dlclose: nothing is unloaded
    __atomic_store_n(&g_real_dlclose, real, __ATOMIC_RELEASE);
  }
  memprof_census_before_dlclose();
  int rc = real(handle);
  // After the unmapping: a library loaded from now on may be where this one was.
  uint32_t next = __atomic_add_fetch(&memprof_g_module_generation, 1, __ATOMIC_ACQ_REL);
  if (next == 0) __atomic_store_n(&memprof_g_module_generation, 1, __ATOMIC_RELEASE);  // 0 means start-up code
  return rc;
}
