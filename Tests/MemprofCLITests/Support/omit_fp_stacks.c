// A C program built with -O2 -fomit-frame-pointer: its allocating functions keep no frame
// pointer (and use rbp as an ordinary register), so only CFI can walk through them.
// It allocates through nested calls, in a thread, in signal handlers (on the thread's stack
// and on an alternate signal stack), in a dlopened library before and after a dlclose, and
// in a forked child. The stack tests check each allocation's frames and that they reach
// main or the thread's start routine.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long sink;
static void *kept[64];
static int nkept;  // the first 64 blocks stay live; later ones are freed

// Keeps a block live and touched, so no call can be elided.
static void keep(void *p, size_t n) {
  memset(p, (int)n, n);
  sink += (unsigned long)p;
  if (nkept < 64) kept[nkept++] = p;
  else free(p);
}

// Noinline and not tail calls: each level adjusts rsp and clobbers rbp.
__attribute__((noinline)) static unsigned long level_three(unsigned long n) {
  volatile char pad[200];
  pad[n % 200] = (char)n;
  void *p = malloc(70000 + n);
  keep(p, 70000 + n);
  return pad[n % 200] + 1;
}

__attribute__((noinline)) static unsigned long level_two(unsigned long n) {
  unsigned long a = n * 3, b = n ^ 0x55, c = n + 7;  // live across the call: in rbx, rbp, r12...
  unsigned long r = level_three(n + 1);
  return r + a + b + c;
}

__attribute__((noinline)) static unsigned long level_one(unsigned long n) {
  volatile char big[5000];
  big[n % 5000] = 1;
  return level_two(n * 2) + big[n % 5000];
}

__attribute__((noinline)) static void *thread_work(void *arg) {
  unsigned long n = (unsigned long)arg;
  for (int i = 0; i < 4; i++) keep(malloc(90000 + n + i), 90000 + n + i);
  return NULL;
}

static void *thread_main(void *arg) { thread_work(arg); return arg; }

__attribute__((noinline)) static void on_signal(int sig) {
  void *p = malloc(110000 + sig);  // allocating in a handler: what the tests need to see
  keep(p, 110000 + sig);
}

__attribute__((noinline)) static void on_alt_signal(int sig) {
  void *p = malloc(130000 + sig);
  keep(p, 130000 + sig);
}

__attribute__((noinline)) static void signal_trigger(void) {
  raise(SIGUSR1);
  sink++;
}

__attribute__((noinline)) static void alt_signal_trigger(void) {
  raise(SIGUSR2);
  sink++;
}

__attribute__((noinline)) static void child_work(void) { keep(malloc(150000), 150000); }

typedef void *(*plugin_fn)(size_t);

// Loads the plugin, allocates `n` bytes through it, unloads it; returns where it was loaded.
__attribute__((noinline)) static void *call_plugin(const char *path, size_t n) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); exit(2); }
  plugin_fn f = (plugin_fn)dlsym(h, "plugin_alloc");
  Dl_info info;
  void *base = dladdr((void *)f, &info) ? info.dli_fbase : NULL;
  keep(f(n), n);
  dlclose(h);
  sink++;
  return base;
}

// Many small blocks live at once, then freed: a profiler's per-block tables (the sampler's
// live table maps a page per shard on first use) are mapped now, not between a dlclose and
// the next dlopen, where a new page could take the unloaded library's hole.
__attribute__((noinline)) static void warm_up(void) {
  static void *blocks[2048];
  for (int i = 0; i < 2048; i++) blocks[i] = malloc(16);
  for (int i = 0; i < 2048; i++) free(blocks[i]);
}

// argv[1..3]: plugins (omit_fp_plugin.c built as a, b and c), each dlopened, called with
// (8 + i) MiB and dlclosed in turn. a and b have one size: b must land at a's address, or
// the program fails (exit 3) instead of testing less than it says.
int main(int argc, char **argv) {
  unsigned long total = 0, rounds = getenv("OMIT_FP_ROUNDS") ? strtoul(getenv("OMIT_FP_ROUNDS"), NULL, 10) : 20;
  warm_up();
  for (unsigned long i = 0; i < rounds; i++) total += level_one(i);

  pthread_t t;
  pthread_create(&t, NULL, thread_main, (void *)7);
  pthread_join(t, NULL);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, NULL);
  signal_trigger();

  stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16};
  sigaltstack(&ss, NULL);
  sa.sa_handler = on_alt_signal;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR2, &sa, NULL);
  alt_signal_trigger();

  void *bases[4] = {0};
  for (int i = 1; i < argc && i <= 3; i++) {
    bases[i] = call_plugin(argv[i], ((size_t)8 + i) << 20);
    printf("plugin %d at %p\n", i, bases[i]);
  }
  if (argc > 2 && bases[1] != bases[2]) {
    fprintf(stderr, "plugin 2 (%p) was not loaded at plugin 1's address (%p); the mappings:\n", bases[2], bases[1]);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (maps && fgets(line, sizeof line, maps)) fputs(line, stderr);
    return 3;
  }
  fflush(stdout);  // not twice: the forked child exits with a copy of the buffer

  pid_t child = fork();
  if (child == 0) {
    child_work();
    exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("total %lu child %d\n", total, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
