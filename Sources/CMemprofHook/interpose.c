// The malloc-family interposers. Each one forwards to glibc's own entry point and then
// accounts the result; free accounts before the real free, so the address cannot be
// handed out again first. errno and NULL returns are glibc's, untouched.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <stdint.h>
#include "accounting.h"

static inline void *account_new_block(void *p, size_t requested) {
  if (LIKELY(p != NULL)) memprof_account_alloc(requested, memprof_block_size(p));
  else memprof_account_failed();
  return p;
}

void *malloc(size_t size) {
  return account_new_block(__libc_malloc(size), size);
}

void free(void *ptr) {
  if (LIKELY(ptr != NULL)) memprof_account_free(memprof_block_size(ptr));
  __libc_free(ptr);
}

void *calloc(size_t count, size_t size) {
  size_t total;
  void *p = __libc_calloc(count, size);
  if (__builtin_mul_overflow(count, size, &total)) total = SIZE_MAX;
  return account_new_block(p, total);
}

// realloc(p, n) with p != NULL gives back the old block and hands out a new one (possibly
// at the same address); realloc(p, 0) only frees; a failed realloc changes nothing.
static void *realloc_accounted(void *ptr, size_t size) {
  if (ptr == NULL) return malloc(size);
  size_t old = memprof_block_size(ptr);
  if (size == 0) {
    memprof_account_free(old);
    return __libc_realloc(ptr, 0);
  }
  void *p = __libc_realloc(ptr, size);
  if (UNLIKELY(p == NULL)) {
    memprof_account_failed();
    return NULL;
  }
  memprof_account_free(old);
  memprof_account_alloc(size, memprof_block_size(p));
  return p;
}

void *realloc(void *ptr, size_t size) { return realloc_accounted(ptr, size); }

void *reallocarray(void *ptr, size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    memprof_account_failed();
    errno = ENOMEM;
    return NULL;
  }
  return realloc_accounted(ptr, total);
}

void *memalign(size_t alignment, size_t size) {
  return account_new_block(__libc_memalign(alignment, size), size);
}

void *aligned_alloc(size_t alignment, size_t size) {
  return account_new_block(__libc_memalign(alignment, size), size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  // glibc's checks, in its order: a power of two that is a multiple of sizeof(void *).
  if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0)
    return EINVAL;
  void *p = __libc_memalign(alignment, size);
  if (UNLIKELY(p == NULL)) {
    memprof_account_failed();
    return ENOMEM;
  }
  memprof_account_alloc(size, memprof_block_size(p));
  *out = p;
  return 0;
}

void *valloc(size_t size) {
  return account_new_block(__libc_valloc(size), size);
}

void *pvalloc(size_t size) {
  return account_new_block(__libc_pvalloc(size), size);
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
