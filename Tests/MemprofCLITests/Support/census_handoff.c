// Objects freed by another thread before their allocating thread calls malloc or free again:
// the census types them at the free, not from freed memory. The main thread makes a Widget
// and, without allocating, waits while the other thread releases it (the last reference).
#include <pthread.h>
#include <stdio.h>

void *plugin_make_one(long serial);
void plugin_release(void *widget);

#define ROUNDS 1000
static void *_Atomic handed;
static _Atomic long released;

static void *releaser(void *unused) {
  (void)unused;
  for (long i = 0; i < ROUNDS; i++) {
    void *w;
    while ((w = handed) == NULL) {}
    handed = NULL;
    plugin_release(w);
    released = i + 1;
  }
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, releaser, NULL);
  for (long i = 0; i < ROUNDS; i++) {
    handed = plugin_make_one(i);
    while (released != i + 1) {}  // no malloc, no free meanwhile
  }
  pthread_join(t, NULL);
  printf("%d\n", ROUNDS);
  return 0;
}
