// Checks that the hook's peak of live heap bytes is exact for a single-threaded program:
// it allocates and frees in climbs of different heights (small arena blocks, and mmapped
// ones that take the hook's slow path), tracks the live level itself with
// malloc_usable_size, and prints the hook's peak next to the level it computed after each
// climb. Counters are read only at low points (a read itself raises the peak to the level
// it sees), and nothing is printed until the end (stdio allocates its buffer).
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "memprof_hook.h"

// Weak: bound to the preloaded library's definition, or to the linked hook's.
extern void memprof_read_counters(memprof_counters *out) __attribute__((weak));

static uint64_t rng = 88172645463325252ull;
static size_t next_size(size_t lo, size_t hi) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return lo + (size_t)(rng % (hi - lo + 1));
}

#define MAX_BLOCKS 20000
static void *blocks[MAX_BLOCKS];

int main(void) {
  if (!memprof_read_counters) { puts("no hook"); return 2; }
  memprof_counters c;
  memprof_read_counters(&c);
  int64_t live = (int64_t)c.live_bytes, expected = (int64_t)c.peak_live_bytes;
  // climbs: blocks, smallest and largest size
  const struct { int count; size_t lo, hi; } climbs[] = {
    {300, 16, 5000}, {50, 16, 5000}, {4000, 16, 600}, {10, 100000, 1000000},
    {1000, 16, 5000}, {3, 16, 64}, {8000, 16, 5000},
  };
  int n = sizeof climbs / sizeof climbs[0];
  int64_t got[16], want[16];
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < climbs[k].count; i++) {
      blocks[i] = malloc(next_size(climbs[k].lo, climbs[k].hi));
      live += (int64_t)malloc_usable_size(blocks[i]);
      if (live > expected) expected = live;
      // Some frees on the way up: the level goes up and down.
      if (i % 7 == 6) {
        live -= (int64_t)malloc_usable_size(blocks[i - 3]);
        free(blocks[i - 3]);
        blocks[i - 3] = NULL;
      }
    }
    for (int i = 0; i < climbs[k].count; i++) {
      if (!blocks[i]) continue;
      live -= (int64_t)malloc_usable_size(blocks[i]);
      free(blocks[i]);
      blocks[i] = NULL;
    }
    memprof_read_counters(&c);
    got[k] = (int64_t)c.peak_live_bytes;
    want[k] = expected;
    // The read saw this level: it is the peak's floor from here on.
    if ((int64_t)c.live_bytes > expected) expected = (int64_t)c.live_bytes;
  }
  // The last climb is read at its top, before any free: the hook has not written that peak
  // yet (it does at the climb's first release), so the reading must take it from the level.
  for (int i = 0; i < 12000; i++) {
    blocks[i] = malloc(next_size(16, 5000));
    live += (int64_t)malloc_usable_size(blocks[i]);
  }
  if (live > expected) expected = live;
  memprof_read_counters(&c);
  got[n] = (int64_t)c.peak_live_bytes;
  want[n] = expected;
  n++;
  for (int i = 0; i < 12000; i++) free(blocks[i]);
  for (int k = 0; k < n; k++) printf("climb %d: peak %lld expected %lld\n", k, (long long)got[k], (long long)want[k]);
  return 0;
}
