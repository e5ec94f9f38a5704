// One-shot events that ask the Swift side to write a profile: the live-byte threshold is
// checked on the (rare) publish path of the counters, the signal handler only posts; a
// thread of the Memprof module waits for them and does the work outside any hook.
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include "state.h"

static sem_t g_events;
static int g_events_ready;
static int g_pending;
uint64_t memprof_g_threshold;  // 0: none
static int g_threshold_fired;

static void ensure_semaphore(void) {
  int expected = 0;
  if (__atomic_compare_exchange_n(&g_events_ready, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    sem_init(&g_events, 0, 0);
    __atomic_store_n(&g_events_ready, 2, __ATOMIC_RELEASE);
  }
  while (__atomic_load_n(&g_events_ready, __ATOMIC_ACQUIRE) != 2) {}
}

static void post(int bits) {
  __atomic_fetch_or(&g_pending, bits, __ATOMIC_RELEASE);
  sem_post(&g_events);
}

void memprof_set_live_threshold(uint64_t bytes) {
  ensure_semaphore();
  __atomic_store_n(&g_threshold_fired, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&memprof_g_threshold, bytes, __ATOMIC_RELEASE);
}

void memprof_check_threshold(int64_t live) {
  uint64_t threshold = __atomic_load_n(&memprof_g_threshold, __ATOMIC_ACQUIRE);
  if (threshold == 0 || live <= 0 || (uint64_t)live < threshold) return;
  if (__atomic_exchange_n(&g_threshold_fired, 1, __ATOMIC_ACQ_REL)) return;
  post(MEMPROF_EVENT_THRESHOLD);
}

static void on_signal(int sig) {
  (void)sig;
  int saved = errno;
  post(MEMPROF_EVENT_SIGNAL);
  errno = saved;
}

int memprof_install_profile_signal(int sig) {
  ensure_semaphore();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int memprof_wait_event(void) {
  ensure_semaphore();
  while (sem_wait(&g_events) != 0 && errno == EINTR) {}
  return __atomic_exchange_n(&g_pending, 0, __ATOMIC_ACQ_REL);
}

// The Swift modules define these when they are linked in (weak references: absent in the
// preload library and in programs that link only the hook). Memprof reads MEMPROF_PROFILE
// and friends; MemprofHTTP starts the server MEMPROF_HTTP asks for. Without the variables
// both return at once and allocate nothing.
extern void memprof_swift_startup(void) __attribute__((weak));
extern int32_t memprof_http_start_from_environment(void) __attribute__((weak));

__attribute__((constructor)) static void memprof_call_swift_startup(void) {
  if (memprof_swift_startup) memprof_swift_startup();
  if (memprof_http_start_from_environment) memprof_http_start_from_environment();
}
