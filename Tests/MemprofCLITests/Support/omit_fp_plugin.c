// A library for omit_fp_stacks.c to dlopen, built -O2 -fomit-frame-pointer twice: with
// -DPADDING=N the code moves, so a rule cached for the first copy would be wrong for the
// second if it were mapped at the same address after the dlclose.
#include <stdlib.h>
#include <string.h>

#ifndef PADDING
#define PADDING 0
#endif

#if PADDING
__attribute__((used, noinline)) static int padding(int x) {
  volatile int v[PADDING];
  for (int i = 0; i < PADDING; i++) v[i] = x * i;
  return v[x % PADDING];
}
#endif

__attribute__((noinline)) static void *plugin_inner(size_t n) {
  volatile char pad[300];
  pad[n % 300] = 1;
  void *p = malloc(n);
  memset(p, pad[n % 300], n);
  return p;
}

static volatile int calls;

void *plugin_alloc(size_t n) {
  void *p = plugin_inner(n);
  calls++;  // not a tail call: plugin_alloc keeps a frame of its own
  return p;
}
