// The least that exact counts need: allocations, frees, and the usable bytes of both (live
// bytes are their difference), in thread-local counters, with each block's size read from
// glibc's chunk header (malloc_usable_size for mmapped chunks). No sampling, no peak, no
// requested bytes, no shared state, no readers: nobody could read these counts. What
// memprof's default mode does on top of this is what the benchmark compares against it.
// Only malloc and free are interposed: the benchmark's st-churn and mt-churn call nothing else
// in their loops.
#include <stddef.h>
#include <stdint.h>

void *__libc_malloc(size_t);
void __libc_free(void *);
size_t malloc_usable_size(void *);

typedef struct counts { uint64_t allocations, frees, allocated_bytes, freed_bytes; } counts;
static __thread counts thread_counts __attribute__((tls_model("initial-exec")));

static inline size_t usable(void *p) {
  size_t head = ((size_t *)p)[-1];
  return (head & 2) ? malloc_usable_size(p) : (head & ~(size_t)7) - sizeof(size_t);
}

void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  if (p != NULL) {
    thread_counts.allocations++;
    thread_counts.allocated_bytes += usable(p);
  }
  return p;
}

void free(void *p) {
  if (p != NULL) {
    thread_counts.frees++;
    thread_counts.freed_bytes += usable(p);
  }
  __libc_free(p);
}
