// An independent allocation counter for the tests: a minimal LD_PRELOAD interposer that
// shares no code with swift-memprof. Global atomics, no cleverness. At exit it writes
// "allocations frees requested" to the file named by INDEPENDENT_COUNTER_OUT.
// Same counting rules as documented for memprof: a successful call returning a block is an
// allocation; free(non-NULL) and the old block of a successful realloc are frees.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);
static unsigned long long n_alloc, n_free, n_req;
// memprof's hook has one thread-local variable, which makes glibc's per-thread DTV one entry
// (16 bytes) larger; this one has one too, so both runs make the same requests.
static __thread int tls_like_memprof __attribute__((tls_model("initial-exec"), used));
static void got(void *p, size_t n) {
  if (p) { __atomic_fetch_add(&n_alloc, 1, __ATOMIC_RELAXED); __atomic_fetch_add(&n_req, n, __ATOMIC_RELAXED); }
}
static void gone(void) { __atomic_fetch_add(&n_free, 1, __ATOMIC_RELAXED); tls_like_memprof++; }
void *malloc(size_t n) { void *p = __libc_malloc(n); got(p, n); return p; }
void free(void *p) { if (p) gone(); __libc_free(p); }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); got(p, a * b); return p; }
void *realloc(void *o, size_t n) {
  if (!o) return malloc(n);
  if (n == 0) { gone(); return __libc_realloc(o, 0); }
  void *p = __libc_realloc(o, n);
  if (p) { gone(); got(p, n); }
  return p;
}
void *reallocarray(void *o, size_t a, size_t b) {
  size_t n;
  if (__builtin_mul_overflow(a, b, &n)) { errno = ENOMEM; return NULL; }
  return realloc(o, n);
}
void *memalign(size_t a, size_t n) { void *p = __libc_memalign(a, n); got(p, n); return p; }
void *aligned_alloc(size_t a, size_t n) { void *p = __libc_memalign(a, n); got(p, n); return p; }
int posix_memalign(void **out, size_t a, size_t n) {
  if (a % sizeof(void *) || (a & (a - 1)) || !a) return EINVAL;
  void *p = __libc_memalign(a, n);
  if (!p) return ENOMEM;
  got(p, n); *out = p; return 0;
}
void *valloc(size_t n) { void *p = __libc_valloc(n); got(p, n); return p; }
void *pvalloc(size_t n) { void *p = __libc_pvalloc(n); got(p, n); return p; }
__attribute__((destructor)) static void report(void) {
  const char *path = getenv("INDEPENDENT_COUNTER_OUT");
  if (!path) return;
  char buf[128];
  int len = snprintf(buf, sizeof buf, "%llu %llu %llu\n", n_alloc, n_free, n_req);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) { if (write(fd, buf, len) < 0) {} close(fd); }
}
