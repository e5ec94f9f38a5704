// The state shared with a `memprof run` parent. The parent creates a file of
// memprof_shared_state_size() bytes and names it in MEMPROF_SHM; the first process to
// allocate claims it (its pid goes into the header). Everyone else (children it starts,
// programs they exec) keeps private counters. The parent reads the file after the child
// ends, however it ends: _exit, a signal, even SIGKILL.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "accounting.h"
#include "sampler.h"
#include "type_census.h"

#define SHARED_SIZE (MEMPROF_CENSUS_OFFSET + sizeof(memprof_census))

static memprof_state *g_shared;  // the whole mapping starts here

// After fork the child would keep writing into its parent's file: give it a private copy.
static void detach_in_child(void) {
  memprof_state *old = memprof_g_state;
  if (old != g_shared) return;
  memprof_census_detach();  // before the file is unmapped
  void *m = mmap(NULL, sizeof(memprof_state), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return;  // keep counting into the shared file rather than lose counts
  memprof_state *copy = m;
  memcpy(copy, old, sizeof(memprof_state));
  copy->owner_pid = getpid();
  memprof_slot *mine = memprof_thread_slot();
  // The sampler's atfork handler drops the shared tables; the counters continue privately.
  for (uint32_t i = 0; i < MEMPROF_SLOTS; i++)  // only the forking thread lives on
    if (&old->slots[i] != mine) copy->slots[i].in_use = 0;
  if ((uintptr_t)mine > 1) memprof_t_slot = memprof_census_adopt(&copy->slots[mine - old->slots]);
  memprof_g_state = copy;
  memprof_own_range_add(copy, (uint64_t)(uintptr_t)copy, (sizeof(memprof_state) + 4095) & ~(uint64_t)4095);
  g_shared = NULL;
  munmap(old, SHARED_SIZE);
}

// `memprof run --signal NAME`: the signal sent to the program asks the parent for a profile
// (the parent reads the samples from the file; the program only counts the request).
static void on_run_signal(int sig) {
  (void)sig;
  if (g_shared) ADD(&g_shared->dump_requests, 1);
}

static void install_run_signal(void) {
  const char *name = getenv("MEMPROF_RUN_SIGNAL");
  int sig = name ? atoi(name) : 0;
  if (sig <= 0 || sig >= 65) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_run_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

static void add_counters(memprof_state *to, const memprof_state *from) {
  ADD(&to->allocations, LOAD(&from->allocations));
  ADD(&to->frees, LOAD(&from->frees));
  ADD(&to->requested_bytes, LOAD(&from->requested_bytes));
  ADD(&to->allocated_bytes, LOAD(&from->allocated_bytes));
  ADD(&to->freed_bytes, LOAD(&from->freed_bytes));
  ADD(&to->failed_allocations, LOAD(&from->failed_allocations));
  ADD(&to->flushed_live, LOAD(&from->flushed_live));
  memprof_raise_peak(to, LOAD(&from->peak_live));
}

memprof_state *memprof_attach_shared_state(memprof_state *fallback, void **sampler) {
  const char *path = getenv("MEMPROF_SHM");
  if (path == NULL || *path == 0) return fallback;
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return fallback;
  struct stat sb;
  void *m = MAP_FAILED;
  if (fstat(fd, &sb) == 0 && (size_t)sb.st_size >= SHARED_SIZE)
    m = mmap(NULL, SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (m == MAP_FAILED) {
    close(fd);
    return fallback;
  }
  memprof_state *st = m;
  int32_t unclaimed = 0;
  int valid = st->magic == MEMPROF_MAGIC && st->version == MEMPROF_VERSION && st->size == sizeof(memprof_state);
  int claimed = valid && __atomic_compare_exchange_n(&st->owner_pid, &unclaimed, (int32_t)getpid(), 0,
                                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
  if (valid && !claimed && unclaimed == (int32_t)getpid()) {
    // The same process after exec: its counts go on; the old image's threads are gone, and
    // its samples point into code that is no longer mapped, so the sampler starts afresh
    // (the hole punched reads back as zeros without touching the pages).
    for (uint32_t i = 0; i < MEMPROF_SLOTS; i++) __atomic_store_n(&st->slots[i].in_use, 0, __ATOMIC_RELAXED);
    memset(st->own_ranges, 0, sizeof st->own_ranges);  // the old image's mappings are gone
    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)MEMPROF_SAMPLER_OFFSET,
              (off_t)(SHARED_SIZE - MEMPROF_SAMPLER_OFFSET));  // the census's types are gone too
    claimed = 1;
  }
  close(fd);
  if (!claimed) {
    munmap(m, SHARED_SIZE);
    return fallback;
  }
  g_shared = st;
  install_run_signal();
  *sampler = (char *)m + MEMPROF_SAMPLER_OFFSET;
  memprof_g_state = st;          // from here on, calls made without a slot count in the file
  add_counters(st, fallback);    // and what was counted before moves with them
  for (uint32_t i = 0; i < MEMPROF_OWN_RANGES; i++)  // and the hook's mappings made so far
    memprof_own_range_add(st, LOAD(&fallback->own_ranges[i].start), LOAD(&fallback->own_ranges[i].length));
  pthread_atfork(NULL, NULL, detach_in_child);
  return st;
}

size_t memprof_shared_state_size(void) { return SHARED_SIZE; }

memprof_trace_block *memprof_shared_trace_block(void) { return g_shared ? &g_shared->trace : NULL; }

void memprof_init_shared_state(void *p) {
  memset(p, 0, sizeof(memprof_state));
  memprof_state *st = p;
  st->magic = MEMPROF_MAGIC;
  st->version = MEMPROF_VERSION;
  st->slot_count = MEMPROF_SLOTS;
  st->size = sizeof(memprof_state);
}

int memprof_valid_shared_state(const void *p, size_t size) {
  const memprof_state *st = p;
  return p != NULL && size >= SHARED_SIZE && st->magic == MEMPROF_MAGIC &&
         st->version == MEMPROF_VERSION && st->size == sizeof(memprof_state) &&
         st->slot_count == MEMPROF_SLOTS;
}

int memprof_read_shared_counters(const void *p, size_t size, memprof_counters *out) {
  if (!memprof_valid_shared_state(p, size)) return -1;
  memprof_sum_state(p, out);
  return 0;
}

uint64_t memprof_shared_dump_requests(const void *p) {
  return memprof_valid_shared_state(p, SHARED_SIZE) ? LOAD(&((const memprof_state *)p)->dump_requests) : 0;
}

int32_t memprof_shared_state_owner(const void *p) {
  return memprof_valid_shared_state(p, SHARED_SIZE) ? LOAD(&((const memprof_state *)p)->owner_pid) : 0;
}
