// Checks that the hook's own tables do not take a hole the program has just left: maps a
// region, unmaps it, allocates enough (every allocation sampled at MEMPROF_RATE=1) for the
// hook's tables to be mapped and grown, then maps the same size again. Without the hook the
// kernel hands back the same range; so it must with it.
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define BLOCKS 50000
static void *blocks[BLOCKS];

int main(void) {
  size_t n = 256 << 10;
  void *first = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (first == MAP_FAILED) return 2;
  munmap(first, n);
  for (int i = 0; i < BLOCKS; i++) blocks[i] = malloc(32 + i % 64);
  void *again = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < BLOCKS; i++) free(blocks[i]);
  printf("first %p again %p\n", first, again);
  return again == first ? 0 : 3;
}
