// What a program sees of glibc's allocator, printed line by line, so that a plain run and a
// run under the hook (preloaded or linked, at any sampling rate) can be compared exactly:
// usable sizes, which blocks are mmapped, mallinfo2, what malloc_trim gives back, and the
// resident size of the heap after frees. The probe itself never allocates to observe
// (no stdio buffers: output goes through a static buffer and write(2)).
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char out[1 << 16];
static size_t used;

static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out + used, sizeof out - used, fmt, ap);
  va_end(ap);
  if (n > 0 && used + (size_t)n < sizeof out) used += (size_t)n;
}

static int is_mmapped(void *p) { return (((size_t *)p)[-1] & 2) != 0; }

static void stats(const char *when) {
  struct mallinfo2 m = mallinfo2();
  say("%s: arena %zu, ordblks %zu, smblks %zu, hblks %zu, hblkhd %zu, uordblks %zu, fordblks %zu, keepcost %zu\n",
      when, m.arena, m.ordblks, m.smblks, m.hblks, m.hblkhd, m.uordblks, m.fordblks, m.keepcost);
}

// Resident kB of the [heap] mapping, from smaps, read without allocating.
static char smaps[1 << 20];
static void heap_rss(const char *when) {
  int fd = open("/proc/self/smaps", O_RDONLY);
  size_t n = 0;
  ssize_t r;
  while (fd >= 0 && n < sizeof smaps - 1 && (r = read(fd, smaps + n, sizeof smaps - 1 - n)) > 0) n += (size_t)r;
  if (fd >= 0) close(fd);
  smaps[n] = 0;
  char *heap = strstr(smaps, "[heap]");
  long kb = -1;
  if (heap) {
    char *rss = strstr(heap, "\nRss:");
    if (rss) kb = strtol(rss + 5, NULL, 10);
  }
  say("%s: heap rss %ld kB\n", when, kb);
}

static const size_t sizes[] = {0, 1, 24, 100, 1000, 4096, 65536, 131072, 140000, 200000,
                               300000, 1u << 20, 4u << 20, 8u << 20, 40u << 20};
#define N (sizeof sizes / sizeof *sizes)

int main(void) {
  void *blocks[N];
  for (int round = 0; round < 3; round++) {
    size_t usable = 0;
    char kinds[N + 1];
    for (size_t i = 0; i < N; i++) {
      blocks[i] = malloc(sizes[i]);
      usable += malloc_usable_size(blocks[i]);
      kinds[i] = is_mmapped(blocks[i]) ? 'm' : 'h';
      if (sizes[i]) memset(blocks[i], 1, sizes[i]);
    }
    kinds[N] = 0;
    say("round %d: usable %zu, blocks %s\n", round, usable, kinds);
    stats("  allocated");
    // Free in an order that leaves holes, then the rest.
    for (size_t i = 0; i < N; i += 2) free(blocks[i]);
    stats("  half freed");
    for (size_t i = 1; i < N; i += 2) free(blocks[i]);
    stats("  freed");
    heap_rss("  freed");
  }

  // Other entry points: calloc, realloc growth (Array-like doubling), aligned blocks.
  size_t usable = 0;
  void *c = calloc(1000, 300);
  usable += malloc_usable_size(c);
  say("calloc: usable %zu, %c\n", malloc_usable_size(c), is_mmapped(c) ? 'm' : 'h');
  void *r = NULL;
  for (size_t n = 16; n <= (64u << 20); n *= 2) {
    r = realloc(r, n);
    say("realloc %zu: usable %zu, %c\n", n, malloc_usable_size(r), is_mmapped(r) ? 'm' : 'h');
  }
  void *a = NULL;
  int rc = posix_memalign(&a, 4096, 500000);
  say("posix_memalign: %d, usable %zu, %c\n", rc, malloc_usable_size(a), is_mmapped(a) ? 'm' : 'h');
  void *al = aligned_alloc(64, 1000);
  say("aligned_alloc: usable %zu\n", malloc_usable_size(al));
  free(c);
  free(r);
  free(a);
  free(al);
  stats("others freed");

  // Many small objects, half freed: what stays in the arena, and what malloc_trim returns.
  enum { SMALL = 200000 };
  static void *small[SMALL];
  for (int i = 0; i < SMALL; i++) small[i] = malloc((size_t)(16 + (i % 64) * 8));
  stats("small allocated");
  heap_rss("small allocated");
  for (int i = 0; i < SMALL; i += 2) free(small[i]);
  stats("small half freed");
  for (int i = 1; i < SMALL; i += 2) free(small[i]);
  stats("small freed");
  heap_rss("small freed");
  say("malloc_trim: %d\n", malloc_trim(0));
  stats("trimmed");
  heap_rss("trimmed");
  ssize_t ignored = write(1, out, used);
  (void)ignored;
  return 0;
}
