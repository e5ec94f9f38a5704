// One thread-local add per call on top of call_return.c: counting calls, and nothing about
// sizes.
#include <stddef.h>
#include <stdint.h>

void *__libc_malloc(size_t);
void __libc_free(void *);

static __thread uint64_t calls __attribute__((tls_model("initial-exec")));

void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  calls++;
  return p;
}

void free(void *p) {
  calls++;
  __libc_free(p);
}
