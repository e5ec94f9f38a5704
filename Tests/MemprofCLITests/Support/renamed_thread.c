// A thread that allocates, names itself, waits and allocates again: under --rate 1 its first
// blocks carry the label of an unnamed thread (tid-N) and, from at most 256 samples after the
// rename, its new name. Prints nothing; the profile tells.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define BLOCKS 3000

static void churn(size_t size) {
  void *blocks[BLOCKS];
  for (int i = 0; i < BLOCKS; i++) blocks[i] = malloc(size);
  for (int i = 0; i < BLOCKS; i++) free(blocks[i]);
}

static void *worker(void *unused) {
  (void)unused;
  churn(100);
  pthread_setname_np(pthread_self(), "renamed-worker");
  usleep(30000);
  churn(200);
  return NULL;
}

int main(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) return 1;
  pthread_join(t, NULL);
  return 0;
}
