// The malloc-family interposers. Each one forwards to glibc's own entry point and then
// accounts the result; free accounts before the real free, so the address cannot be
// handed out again first. errno and NULL returns are glibc's, untouched.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <stdint.h>
#include "accounting.h"
#include "sampler.h"

HOOK_TEXT void *malloc(size_t size) {
  return memprof_account_alloc(__libc_malloc(size), size);
}

// This module's own malloc, for counters.c to tell which copy of the hook is in use.
extern void *memprof_own_malloc(size_t) __attribute__((alias("malloc"), visibility("hidden")));

HOOK_TEXT void free(void *ptr) {
  memprof_account_free_and_free(ptr);
}

HOOK_TEXT void *calloc(size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) total = SIZE_MAX;  // glibc fails it
  return memprof_account_alloc(__libc_calloc(count, size), total);
}

// realloc(p, n) with p != NULL gives back the old block and hands out a new one (possibly
// at the same address); realloc(p, 0) only frees; a failed realloc changes nothing.
HOOK_TEXT static void *realloc_accounted(void *ptr, size_t size, void *ret) {
  if (ptr == NULL) return memprof_account_alloc(__libc_malloc(size), size);
  size_t old = memprof_block_size(ptr);
  // Out of the live sampled blocks before glibc may hand the address to another thread;
  // back in if the realloc fails (the block is then still the program's, unchanged).
  mp_live_info sampled;
  int was_sampled = memprof_detach_if_sampled(ptr, &sampled);
  if (size == 0) {
    if (was_sampled) memprof_sample_end_detached(ptr, &sampled, 1);
    memprof_account_release(old);
    memprof_libc_free(ptr);  // what glibc's realloc(p, 0) does, the profiler's own blocks quietly
    return NULL;
  }
  // glibc's realloc of an mmapped chunk never moves the thresholds (it remaps, or copies and
  // unmaps): the profiler's own block is forgotten here, and the new one remembered by
  // memprof_account_new.
  int own = (memprof_chunk_head(ptr) & MEMPROF_CHUNK_MMAPPED) && memprof_own_block_take(ptr);
  void *p = __libc_realloc(ptr, size);
  if (UNLIKELY(p == NULL)) {
    if (was_sampled) memprof_sample_end_detached(ptr, &sampled, 0);
    if (own) memprof_own_block_add(ptr);
    memprof_account_failed();
    return NULL;
  }
  if (was_sampled) memprof_sample_end_detached(ptr, &sampled, 1);
  memprof_account_release(old);
  memprof_account_new(p, size, memprof_block_size(p), ret);
  return p;
}

HOOK_TEXT void *realloc(void *ptr, size_t size) {
  return realloc_accounted(ptr, size, __builtin_return_address(0));
}

HOOK_TEXT void *reallocarray(void *ptr, size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    memprof_account_failed();
    errno = ENOMEM;
    return NULL;
  }
  return realloc_accounted(ptr, total, __builtin_return_address(0));
}

HOOK_TEXT void *memalign(size_t alignment, size_t size) {
  return memprof_account_alloc(__libc_memalign(alignment, size), size);
}

HOOK_TEXT void *aligned_alloc(size_t alignment, size_t size) {
  return memprof_account_alloc(__libc_memalign(alignment, size), size);
}

HOOK_TEXT int posix_memalign(void **out, size_t alignment, size_t size) {
  // glibc's checks, in its order: a power of two that is a multiple of sizeof(void *).
  if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) {
    memprof_account_failed();  // a failed call, as the summary's "failed" counts them
    return EINVAL;
  }
  void *p = memprof_account_alloc(__libc_memalign(alignment, size), size);
  if (UNLIKELY(p == NULL)) return ENOMEM;
  *out = p;
  return 0;
}

HOOK_TEXT void *valloc(size_t size) {
  return memprof_account_alloc(__libc_valloc(size), size);
}

HOOK_TEXT void *pvalloc(size_t size) {
  return memprof_account_alloc(__libc_pvalloc(size), size);
}


// 1 when every hooked symbol, looked up the way shared libraries bind to it, is ours.
// An executable linked with lld may not export some (see the README): those calls bypass us.
int memprof_hook_is_active(void) { return memprof_bypassed_symbols(NULL, 0) == 0; }

size_t memprof_bypassed_symbols(char *buffer, size_t capacity) {
  size_t count = 0, used = 0;
  if (buffer && capacity) buffer[0] = 0;
#define X(name)                                                              \
  if (dlsym(RTLD_DEFAULT, #name) != (void *)&name) {                        \
    count++;                                                                 \
    size_t n = strlen(#name);                                                \
    if (buffer && used + n + 2 <= capacity) {                               \
      if (used) buffer[used++] = ' ';                                       \
      memcpy(buffer + used, #name, n + 1);                                  \
      used += n;                                                            \
    }                                                                        \
  }
#include "hooked_symbols.def"
#undef X
  return count;
}
