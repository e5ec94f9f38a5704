// The sampling heap profiler: Poisson-sampled allocations with their stacks, tracked until
// freed. Only sampled allocations (one per `rate` bytes on average) and frees of blocks on a
// page that holds a sampled block come here; everything else stays on the fast path.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "accounting.h"
#include "sampler.h"
#include "stack_capture.h"

memprof_sampler *memprof_g_sampler;
int64_t memprof_g_rate = 524288;
uint8_t memprof_g_sample_pages[MP_PAGE_FILTER];
static memprof_sampler *g_shared_sampler;  // inside the shared file, if any
// Set while this thread holds the sampler lock: a signal handler that allocates then must
// not wait for the lock its own thread holds (it is counted, not sampled).
static __thread int t_in_sampler __attribute__((tls_model("initial-exec")));
extern void *__libc_stack_end;

// ---- lock: held only by sampled allocations, frees of sampled blocks and copies, and
// across fork by the atfork handlers.

static void lock(memprof_sampler *s) { pthread_mutex_lock(&s->lock); }
static void unlock(memprof_sampler *s) { pthread_mutex_unlock(&s->lock); }

static void before_fork(void) { if (memprof_g_sampler) lock(memprof_g_sampler); }
static void after_fork(void) { if (memprof_g_sampler) unlock(memprof_g_sampler); }
static void after_fork_child(void) {
  // A child must not write samples into its parent's shared file, nor touch its lock.
  if (memprof_g_sampler && memprof_g_sampler == g_shared_sampler) {
    memprof_g_sampler = NULL;
    g_shared_sampler = NULL;
    memprof_g_rate = 0;
    return;
  }
  after_fork();
}

// ---- random intervals

static uint64_t next_random(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

// ln(x) for x in (0, 1], without libm: x = m * 2^e with m in [1, 2), then
// ln(m) = 2 atanh((m-1)/(m+1)) by its series (error below 1e-9 for m in [1, 2)).
static double log_unit(double x) {
  union { double d; uint64_t u; } v = {.d = x};
  int e = (int)((v.u >> 52) & 0x7ff) - 1023;
  v.u = (v.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
  double t = (v.d - 1) / (v.d + 1), t2 = t * t;
  double series = t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 * (1.0 / 11 + t2 / 13))))));
  return e * 0.6931471805599453 + 2 * series;
}

// Bytes until the next sample: exponential with mean `rate`, so every byte has the same
// chance 1/rate of triggering a sample (a block of S bytes is sampled with 1-exp(-S/rate)).
static int64_t next_interval(memprof_slot *s) {
  int64_t rate = __atomic_load_n(&memprof_g_rate, __ATOMIC_RELAXED);
  if (rate <= 0) return INT64_MAX;
  if (rate == 1) return 0;
  double u = (double)((next_random(&s->rng) >> 11) + 1) * (1.0 / 9007199254740992.0);
  double bytes = -log_unit(u) * (double)rate;
  return bytes > 9e18 ? INT64_MAX : (int64_t)bytes;
}

void memprof_slot_start_sampling(memprof_slot *s, int is_main_thread) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  s->rng = ((uint64_t)(uintptr_t)s * 0x9E3779B97F4A7C15ull) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
  if (s->rng == 0) s->rng = 1;
  // Glibc keeps a thread's descriptor at the top of its stack block; the main thread's
  // frames are all below __libc_stack_end.
  s->stack_top = is_main_thread ? (uintptr_t)__libc_stack_end : (uintptr_t)pthread_self();
  s->until_sample = next_interval(s);
}

void memprof_set_thread_sampling(int enabled) {
  memprof_slot *s = memprof_t_slot;
  if ((uintptr_t)s <= 1) return;
  s->until_sample = enabled ? next_interval(s) : INT64_MAX;
}

int64_t memprof_sample_rate(void) { return __atomic_load_n(&memprof_g_rate, __ATOMIC_RELAXED); }

void memprof_set_sample_rate(int64_t rate) {
  if (rate < 0) rate = 0;
  __atomic_store_n(&memprof_g_rate, rate, __ATOMIC_RELAXED);
  memprof_state *st = memprof_g_state;
  uint32_t n = __atomic_load_n(&st->slots_high_water, __ATOMIC_ACQUIRE);
  // Each thread draws its next interval at its next allocation.
  for (uint32_t i = 0; i < n && i < MEMPROF_SLOTS; i++) STORE(&st->slots[i].until_sample, 0);
}

// ---- tables

static memprof_sampler *sampler_for_writing(void) {
  memprof_sampler *s = memprof_g_sampler;
  if (s) return s;
  // First sample in this process: map the tables (sparse: pages are touched as used).
  void *m = mmap(NULL, sizeof(memprof_sampler), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return NULL;
  memprof_sampler *fresh = m;
  fresh->magic = MP_SAMPLER_MAGIC;
  memprof_sampler *expected = NULL;
  if (!__atomic_compare_exchange_n(&memprof_g_sampler, &expected, fresh, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE)) {
    munmap(m, sizeof(memprof_sampler));
    return expected;
  }
  return fresh;
}

static uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

// Stacks and buckets are dense arrays; their hash indexes are open-addressed tables of
// IDs stored in the otherwise unused `pad` words... kept simple: linear probing over the
// dense arrays themselves would need tombstones, so each has its own small index below.
static uint32_t g_stack_index[MP_STACKS * 2];
static uint32_t g_bucket_index[MP_BUCKETS * 2];

static uint32_t find_or_add_stack(memprof_sampler *sp, const uint64_t *pcs, uint32_t depth) {
  uint64_t h = 0x84222325cbf29ce4ull ^ depth;
  for (uint32_t i = 0; i < depth; i++) h = mix(h ^ pcs[i]) + i;
  uint32_t mask = MP_STACKS * 2 - 1;
  for (uint32_t probe = (uint32_t)h & mask;; probe = (probe + 1) & mask) {
    uint32_t id = g_stack_index[probe];
    if (id == 0) {
      if (sp->stacks_used >= MP_STACKS || sp->pcs_used + depth > MP_PCS) return 0;
      mp_stack *st = &sp->stacks[sp->stacks_used];
      st->hash = h;
      st->depth = depth;
      st->offset_plus_one = (uint32_t)sp->pcs_used + 1;
      memcpy(&sp->pcs[sp->pcs_used], pcs, depth * sizeof *pcs);
      sp->pcs_used += depth;
      g_stack_index[probe] = (uint32_t)++sp->stacks_used;
      return (uint32_t)sp->stacks_used;
    }
    mp_stack *st = &sp->stacks[id - 1];
    if (st->hash == h && st->depth == depth &&
        memcmp(&sp->pcs[st->offset_plus_one - 1], pcs, depth * sizeof *pcs) == 0)
      return id;
  }
}

static uint32_t find_or_add_bucket(memprof_sampler *sp, uint32_t stack, uint64_t size) {
  uint32_t mask = MP_BUCKETS * 2 - 1;
  for (uint32_t probe = (uint32_t)mix(stack * 0x9E3779B97F4A7C15ull ^ size) & mask;; probe = (probe + 1) & mask) {
    uint32_t id = g_bucket_index[probe];
    if (id == 0) {
      if (sp->buckets_used >= MP_BUCKETS) return 0;
      mp_bucket *b = &sp->buckets[sp->buckets_used];
      b->stack_plus_one = stack;
      b->size = size;
      g_bucket_index[probe] = (uint32_t)++sp->buckets_used;
      return (uint32_t)sp->buckets_used;
    }
    mp_bucket *b = &sp->buckets[id - 1];
    if (b->stack_plus_one == stack && b->size == size) return id;
  }
}

static inline uint32_t live_home(uint64_t ptr) { return (uint32_t)mix(ptr >> 4) & (MP_LIVE - 1); }

static int live_insert(memprof_sampler *sp, uint64_t ptr, uint32_t bucket) {
  if (sp->live_count >= MP_LIVE / 4 * 3) return 0;
  for (uint32_t i = live_home(ptr);; i = (i + 1) & (MP_LIVE - 1)) {
    if (sp->live[i].ptr == 0 || sp->live[i].ptr == ptr) {
      if (sp->live[i].ptr == 0) sp->live_count++;
      sp->live[i].ptr = ptr;
      sp->live[i].bucket = bucket;
      return 1;
    }
  }
}

// Removes ptr (linear probing deletion: later entries of the run move back, no tombstones).
static uint32_t live_remove(memprof_sampler *sp, uint64_t ptr) {
  uint32_t i = live_home(ptr);
  while (sp->live[i].ptr != ptr) {
    if (sp->live[i].ptr == 0) return 0;
    i = (i + 1) & (MP_LIVE - 1);
  }
  uint32_t bucket = sp->live[i].bucket;
  for (uint32_t j = (i + 1) & (MP_LIVE - 1); sp->live[j].ptr != 0; j = (j + 1) & (MP_LIVE - 1)) {
    uint32_t home = live_home(sp->live[j].ptr);
    // Move j back to i when its home is not within (i, j] cyclically.
    if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
      sp->live[i] = sp->live[j];
      i = j;
    }
  }
  sp->live[i].ptr = 0;
  sp->live_count--;
  return bucket;
}

// ---- modules (shared-file mode): the parent cannot read /proc/PID/maps after the child
// has ended, so the child records its executable mappings when a sample needs them.
#include "module_table.h"

// ---- the sampled paths

HOOK_TEXT __attribute__((noinline)) void memprof_sample(void *p, size_t usable, memprof_slot *s, uintptr_t frame, void *ret) {
  int saved_errno = errno;
  uint64_t pcs[MP_MAX_DEPTH];
  uint32_t depth = memprof_capture_stack(frame, s->stack_top, (uintptr_t)ret, pcs);
  memprof_sampler *sp = sampler_for_writing();
  s->until_sample = next_interval(s);
  if (sp == NULL || t_in_sampler) { errno = saved_errno; return; }
  t_in_sampler = 1;
  lock(sp);
  if (sp->start_time_ns == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sp->start_time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  }
  sp->rate = memprof_g_rate;
  if (sp == g_shared_sampler) memprof_modules_cover(sp, pcs, depth);
  uint32_t stack = find_or_add_stack(sp, pcs, depth);
  uint32_t bucket = stack ? find_or_add_bucket(sp, stack, usable) : 0;
  if (bucket && live_insert(sp, (uint64_t)(uintptr_t)p, bucket)) {
    sp->buckets[bucket - 1].allocs++;
    uint8_t *page = &memprof_g_sample_pages[((uintptr_t)p >> 12) & (MP_PAGE_FILTER - 1)];
    if (*page < 255) __atomic_fetch_add(page, 1, __ATOMIC_RELAXED);
  } else {
    sp->dropped_samples++;
  }
  unlock(sp);
  t_in_sampler = 0;
  errno = saved_errno;
}

int memprof_sample_forget(void *p) {
  memprof_sampler *sp = memprof_g_sampler;
  if (sp == NULL || t_in_sampler) return 0;
  t_in_sampler = 1;
  lock(sp);
  uint32_t bucket = live_remove(sp, (uint64_t)(uintptr_t)p);
  if (bucket) {
    sp->buckets[bucket - 1].frees++;
    uint8_t *page = &memprof_g_sample_pages[((uintptr_t)p >> 12) & (MP_PAGE_FILTER - 1)];
    uint8_t v = __atomic_load_n(page, __ATOMIC_RELAXED);
    if (v > 0 && v < 255) __atomic_fetch_sub(page, 1, __ATOMIC_RELAXED);
  }
  unlock(sp);
  t_in_sampler = 0;
  return bucket != 0;
}

void memprof_sampler_init(memprof_sampler *in_shared_file) {
  const char *env = getenv("MEMPROF_RATE");
  if (env && *env) {
    char *end;
    long long v = strtoll(env, &end, 10);
    if (*end == 0 && v >= 0) memprof_g_rate = v;
  }
  if (in_shared_file) {
    in_shared_file->magic = MP_SAMPLER_MAGIC;
    g_shared_sampler = memprof_g_sampler = in_shared_file;
  }
  pthread_atfork(before_fork, after_fork, after_fork_child);
}

int memprof_profile_copy(const void *state, size_t size, memprof_profile_header *h,
                         memprof_bucket_info *buckets, size_t bucket_capacity, uint64_t *pcs,
                         size_t pc_capacity, memprof_module *modules, size_t module_capacity) {
  memprof_sampler *sp;
  int in_process = state == NULL;
  if (in_process) {
    sp = memprof_g_sampler;
  } else {
    if (!memprof_valid_shared_state(state, size)) return -1;
    sp = (memprof_sampler *)((char *)state + MEMPROF_SAMPLER_OFFSET);
    if (sp->magic != MP_SAMPLER_MAGIC) sp = NULL;  // the child never sampled
  }
  memset(h, 0, sizeof *h);
  h->rate = in_process ? memprof_sample_rate() : 0;
  if (sp == NULL) return 0;
  if (in_process) lock(sp);  // a dead child's lock may be held forever: not taken then
  h->rate = sp->rate ? sp->rate : h->rate;
  h->start_time_ns = sp->start_time_ns;
  h->buckets = sp->buckets_used;
  h->pcs = sp->pcs_used;
  h->modules = sp->module_count;
  h->live_samples = sp->live_count;
  h->dropped_samples = sp->dropped_samples;
  int fits = h->buckets <= bucket_capacity && h->pcs <= pc_capacity && h->modules <= module_capacity;
  if (fits) {
    for (uint64_t i = 0; i < h->buckets; i++) {
      const mp_bucket *b = &sp->buckets[i];
      const mp_stack *st = &sp->stacks[b->stack_plus_one - 1];
      buckets[i] = (memprof_bucket_info){.size = b->size, .allocs = b->allocs, .frees = b->frees,
                                         .pc_offset = st->offset_plus_one - 1, .depth = st->depth};
    }
    memcpy(pcs, sp->pcs, h->pcs * sizeof *pcs);
    memcpy(modules, sp->modules, h->modules * sizeof *modules);
  }
  if (in_process) unlock(sp);
  return fits ? 0 : 1;
}

void memprof_read_self_memory(memprof_self_memory *out) {
  memset(out, 0, sizeof *out);
  memprof_state *st = memprof_g_state;
  out->counter_slots = (uint64_t)__atomic_load_n(&st->slots_high_water, __ATOMIC_ACQUIRE) * sizeof(memprof_slot);
  memprof_sampler *sp = __atomic_load_n(&memprof_g_sampler, __ATOMIC_ACQUIRE);
  if (sp == NULL) return;
  out->sampler_mapped = sizeof(memprof_sampler) + sizeof g_stack_index + sizeof g_bucket_index;
  uint64_t stacks = LOAD(&sp->stacks_used), buckets = LOAD(&sp->buckets_used);
  out->sampler_used = stacks * (sizeof(mp_stack) + 2 * sizeof(uint32_t)) +
                      LOAD(&sp->pcs_used) * sizeof(uint64_t) +
                      buckets * (sizeof(mp_bucket) + 2 * sizeof(uint32_t)) +
                      LOAD(&sp->live_count) * 2 * sizeof(mp_live) + sizeof memprof_g_sample_pages;
}
