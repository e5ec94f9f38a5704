// Stacks that a walk taking its callers from the thread's last walk (the stack memo) could
// get wrong if it trusted a frame it shares with that walk without checking the words
// beyond it: the same leaf frame under other callers, frames whose size changes from call
// to call, recursion of changing depth, a signal handler, threads, and a fiber on a stack
// of its own (its walk ends at once) between two samples of the same place. Built with
// -fomit-frame-pointer (rsp-based CFA rules; the VLA frames are rbp-based). Each leaf frees
// what it allocates; the counts printed are what the profile must show.
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define N 300
#define NOINLINE __attribute__((noinline))

static volatile unsigned long sink;

NOINLINE static void shared_leaf(int i) {
  char *p = malloc(24 + (size_t)(i & 7));
  p[0] = (char)i;
  sink += (unsigned long)p[0];
  free(p);
}
NOINLINE static void via_a(int i) { shared_leaf(i); sink++; }
NOINLINE static void via_b(int i) { shared_leaf(i); sink += 2; }
// The same leaf, at the same stack depth, under two callers in turn.
NOINLINE static void alternate(void) {
  for (int i = 0; i < N; i++) {
    if (i % 3 == 0) via_a(i);
    else via_b(i);
  }
}

NOINLINE static void vla_leaf(int n) {
  char *p = malloc(40);
  p[0] = (char)n;
  sink += (unsigned long)p[0];
  free(p);
}
// A frame whose size depends on n (rbp-based CFA).
NOINLINE static void vla_frame(int n) {
  char buf[n * 48];
  memset(buf, n, sizeof buf);
  sink += (unsigned long)buf[n];
  vla_leaf(n);
}
NOINLINE static void vla_loop(void) {
  for (int i = 0; i < N; i++) vla_frame(i % 9 + 1);
}

NOINLINE static void deep_leaf(void) {
  void *p = malloc(56);
  sink += (unsigned long)(uintptr_t)p & 1;
  free(p);
}
NOINLINE static void recurse(int d) {
  if (d == 0) deep_leaf();
  else recurse(d - 1);
  sink++;
}
// Depth 0..4 in turn: the walk meets the last one at another depth each time.
NOINLINE static void recursion_loop(void) {
  for (int i = 0; i < N; i++) recurse(i % 5);
}

NOINLINE static void handler_leaf(void) {
  void *p = malloc(72);
  sink += (unsigned long)(uintptr_t)p & 1;
  free(p);
}
static void on_signal(int sig) {
  (void)sig;
  handler_leaf();
}
NOINLINE static void signal_loop(void) {
  for (int i = 0; i < N / 3; i++) {
    raise(SIGUSR1);
    shared_leaf(i);
  }
}

// A fiber (makecontext) on a stack mapped apart from the thread's: the walk of a sample taken
// on it ends at its first frame. The next sample of the thread, from the place of the one
// before the fiber's, must still get its own stack.
static ucontext_t loop_context, fiber_context;
NOINLINE static void fiber_leaf(void) {
  void *p = malloc(88);
  sink += (unsigned long)(uintptr_t)p & 1;
  free(p);
}
static void fiber_main(void) {
  for (;;) {
    fiber_leaf();
    swapcontext(&fiber_context, &loop_context);
  }
}
NOINLINE static void fiber_site(void) {
  void *p = malloc(104);
  sink += (unsigned long)(uintptr_t)p & 1;
  free(p);
}
NOINLINE static void fiber_loop(void) {
  size_t size = 1 << 20;
  void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack == MAP_FAILED) abort();
  getcontext(&fiber_context);
  fiber_context.uc_stack.ss_sp = stack;
  fiber_context.uc_stack.ss_size = size;
  fiber_context.uc_link = &loop_context;
  makecontext(&fiber_context, fiber_main, 0);
  for (int i = 0; i < N / 3; i++) {
    fiber_site();
    swapcontext(&loop_context, &fiber_context);
  }
}

static void *thread_main(void *arg) {
  (void)arg;
  alternate();
  recursion_loop();
  return NULL;
}

int main(void) {
  signal(SIGUSR1, on_signal);
  alternate();
  vla_loop();
  recursion_loop();
  signal_loop();
  fiber_loop();
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, thread_main, NULL);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  printf("via_a=%d via_b=%d vla=%d recurse=%d handler=%d signal_loop=%d fiber=%d\n", 4 * (N / 3), 4 * (N - N / 3), N,
         4 * N, N / 3, N / 3, N / 3);
  return 0;
}
