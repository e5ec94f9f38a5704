// A host program that does what real programs do to allocators, for the robustness tests:
//   ctor     allocate in constructors, before main (and before most of libc is set up)
//   signals  a 2 kHz SIGALRM handler that mallocs and frees while threads allocate
//   threads  threads that exit while others free their blocks
// It prints what it allocated itself, as "allocations=N".
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void *early[7];
__attribute__((constructor(101))) static void allocate_early(void) {
  for (int i = 0; i < 7; i++) early[i] = malloc(100 + i);
}

static volatile sig_atomic_t handled;
static void on_alarm(int sig) {
  (void)sig;
  // Not async-signal-safe, but real programs do it; the hook must not deadlock.
  free(malloc(64));
  handled++;
}

static void *churn(void *arg) {
  long n = (long)arg;
  for (long i = 0; i < n; i++) {
    void *p = malloc((size_t)(i % 4000) + 1);
    if (i % 3 == 0) p = realloc(p, (size_t)(i % 9000) + 1);
    free(p);
  }
  return NULL;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "ctor";
  if (strcmp(mode, "ctor") == 0) {
    for (int i = 0; i < 7; i++) free(early[i]);
    printf("allocations=7\n");
  } else if (strcmp(mode, "signals") == 0) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every = {{0, 500}, {0, 500}};
    setitimer(ITIMER_REAL, &every, NULL);
    pthread_t t[3];
    for (long i = 0; i < 3; i++) pthread_create(&t[i], NULL, churn, (void *)200000);
    churn((void *)200000);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("handled=%d\n", (int)handled);
  } else if (strcmp(mode, "threads") == 0) {
    for (int round = 0; round < 50; round++) {
      pthread_t t[8];
      for (long i = 0; i < 8; i++) pthread_create(&t[i], NULL, churn, (void *)2000);
      for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    }
    printf("done\n");
  }
  return 0;
}
