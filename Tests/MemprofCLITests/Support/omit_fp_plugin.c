// A library for omit_fp_stacks.c to dlopen, built -O2 -fomit-frame-pointer several times:
// -DPLUGIN=a, -DPLUGIN=b give the same code with other names (names of one length, so both
// files and their mappings have one size: the second lands where the first was unloaded,
// with the same return addresses); with -DPADDING=N the code moves, so a rule cached for
// one copy would be wrong for another mapped at the same address after the dlclose.
#include <stdlib.h>
#include <string.h>

#ifndef PADDING
#define PADDING 0
#endif
#ifndef PLUGIN
#define PLUGIN a
#endif
#define CAT3(x, y, z) x##y##z
#define NAMED(p, what) CAT3(plugin_, p, what)
#define NAME(what) NAMED(PLUGIN, what)

#if PADDING
__attribute__((used, noinline)) static int padding(int x) {
  volatile int v[PADDING];
  for (int i = 0; i < PADDING; i++) v[i] = x * i;
  return v[x % PADDING];
}
#endif

__attribute__((noinline)) static void *NAME(_inner)(size_t n) {
  volatile char pad[300];
  pad[n % 300] = 1;
  void *p = malloc(n);
  memset(p, pad[n % 300], n);
  return p;
}

static volatile int calls;

__attribute__((noinline)) static void *NAME(_outer)(size_t n) {
  void *p = NAME(_inner)(n);
  calls++;  // not a tail call: each function keeps a frame of its own
  return p;
}

void *plugin_alloc(size_t n) {
  void *p = NAME(_outer)(n);
  calls++;
  return p;
}
