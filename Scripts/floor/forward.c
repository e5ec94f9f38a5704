// The floor of any LD_PRELOAD interposer: malloc and free that only jump to glibc's.
#include <stddef.h>

void *__libc_malloc(size_t);
void __libc_free(void *);

void *malloc(size_t n) { return __libc_malloc(n); }
void free(void *p) { __libc_free(p); }
