// An interposer that calls glibc and returns, as one that looks at the result must (the
// compiler may not turn the call into a jump): the structure of any counting hook, no count.
#include <stddef.h>

void *__libc_malloc(size_t);
void __libc_free(void *);

void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  __asm__ volatile("" : "+r"(p)::"memory");  // keeps the call a call
  return p;
}

void free(void *p) {
  __asm__ volatile("" : "+r"(p)::"memory");
  __libc_free(p);
}
