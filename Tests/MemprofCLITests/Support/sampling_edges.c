// Edge cases of the sampler's bookkeeping, one per mode:
//   realloc-fail  1000 blocks kept live, each then given to a realloc that fails: the block
//                 is still the program's and must stay in the profile as live.
//   one           a single malloc(8), kept: a process's first allocation is sampled with
//                 probability 1 - exp(-size/rate), not always.
//   einval        posix_memalign with 4 invalid alignments (EINVAL) and one huge size
//                 (ENOMEM): 5 failed calls.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "realloc-fail") == 0) {
    static void *kept[1000];
    for (int i = 0; i < 1000; i++) kept[i] = malloc(100 + (size_t)i * 8);
    int failed = 0;
    for (int i = 0; i < 1000; i++) {
      void *volatile huge = realloc(kept[i], SIZE_MAX - 4096);
      if (huge == NULL) failed++;
    }
    return failed == 1000 ? 0 : 1;
  }
  if (strcmp(mode, "one") == 0) {
    static void *volatile keep;
    keep = malloc(8);
    return keep == NULL;
  }
  if (strcmp(mode, "einval") == 0) {
    void *p = NULL;
    size_t alignments[] = {3, 4, 0, 24};
    int einval = 0;
    for (int i = 0; i < 4; i++) einval += posix_memalign(&p, alignments[i], 100) == EINVAL;
    int enomem = posix_memalign(&p, 64, SIZE_MAX - 4096) == ENOMEM;
    return einval == 4 && enomem ? 0 : 1;
  }
  fprintf(stderr, "usage: sampling_edges realloc-fail|one|einval\n");
  return 2;
}
