// A C program whose Swift objects come from a Swift library (census_plugin.swift), half of
// them made before main by a constructor: `memprof run --types` counts them all.
#include <stdio.h>

long plugin_make(long count, long keep_one_in);

static long made_early;

__attribute__((constructor)) static void before_main(void) { made_early = plugin_make(500, 10); }

int main(void) {
  long kept = plugin_make(500, 10);
  printf("%ld %ld\n", made_early, kept);
  return 0;
}
