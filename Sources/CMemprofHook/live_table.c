// The live sampled blocks: 64 shards by address, each an open-addressed table (linear
// probing, deletion by backward shift, no tombstones) of 12 bytes a slot, grown by half when
// 80% full. At most 12 / 0.8 = 15 bytes per live sampled block right before a growth and
// 22.5 bytes right after it (plus the old table, returned to the kernel as soon as the new
// one is filled).
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "live_table.h"
#include "spin_lock.h"

#define SHARDS 64
#define PAGE 4096ull

uint8_t memprof_g_sample_filter[1u << MP_FILTER_BITS];

typedef struct shard {
  mp_lock lock;
  uint32_t pad;
  uint64_t count;      // entries in use
  uint64_t capacity;   // slots
  uint64_t *ptrs;      // 0 = empty; then `capacity` uint32 bucket ids after them
} __attribute__((aligned(64))) shard;

static shard g_shards[SHARDS];

static inline uint64_t hash(uint64_t p) {
  uint64_t h = (p >> 4) * 0xff51afd7ed558ccdull;
  return h ^ (h >> 29);
}
static inline shard *shard_of(uint64_t h) { return &g_shards[h >> 58]; }
// Slot from the hash's low bits, for any capacity (no power of two needed).
static inline uint64_t home(uint64_t h, uint64_t capacity) {
  return (uint64_t)(((unsigned __int128)(h & 0x03ffffffffffffffull) * capacity) >> 58);
}
static inline uint32_t *buckets_of(shard *s) { return (uint32_t *)(s->ptrs + s->capacity); }
static inline uint64_t bytes_for(uint64_t capacity) { return (capacity * 12 + PAGE - 1) & ~(PAGE - 1); }

static void place(uint64_t *ptrs, uint32_t *buckets, uint64_t capacity, uint64_t p, uint32_t bucket) {
  uint64_t i = home(hash(p), capacity);
  while (ptrs[i] != 0) i = i + 1 == capacity ? 0 : i + 1;
  ptrs[i] = p;
  buckets[i] = bucket;
}

// Moves the shard into a table 1.5 times larger (the first one fills a page).
static int grow(shard *s) {
  uint64_t capacity = s->capacity ? s->capacity + s->capacity / 2 : PAGE / 12;
  capacity = bytes_for(capacity) / 12;  // use the whole last page
  void *m = mmap(NULL, bytes_for(capacity), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return 0;
  uint64_t *ptrs = m;
  uint32_t *buckets = (uint32_t *)(ptrs + capacity);
  uint32_t *old_buckets = s->ptrs ? buckets_of(s) : NULL;
  for (uint64_t i = 0; i < s->capacity; i++)
    if (s->ptrs[i]) place(ptrs, buckets, capacity, s->ptrs[i], old_buckets[i]);
  if (s->ptrs) munmap(s->ptrs, bytes_for(s->capacity));
  s->ptrs = ptrs;
  s->capacity = capacity;
  return 1;
}

uint32_t memprof_live_put(uint64_t p, uint32_t bucket) {
  uint64_t h = hash(p);
  shard *s = shard_of(h);
  mp_lock_take(&s->lock);
  if ((s->count + 1) * 5 > s->capacity * 4 && !grow(s)) {
    mp_lock_give(&s->lock);
    return UINT32_MAX;
  }
  uint32_t *buckets = buckets_of(s);
  uint64_t i = home(h, s->capacity);
  while (s->ptrs[i] != 0 && s->ptrs[i] != p) i = i + 1 == s->capacity ? 0 : i + 1;
  uint32_t previous = s->ptrs[i] == p ? buckets[i] : 0;
  if (!previous) s->count++;
  s->ptrs[i] = p;
  buckets[i] = bucket;
  mp_lock_give(&s->lock);
  return previous;
}

uint32_t memprof_live_take(uint64_t p) {
  uint64_t h = hash(p);
  shard *s = shard_of(h);
  mp_lock_take(&s->lock);
  uint64_t capacity = s->capacity;
  if (capacity == 0) {
    mp_lock_give(&s->lock);
    return 0;
  }
  uint64_t *ptrs = s->ptrs;
  uint32_t *buckets = buckets_of(s);
  uint64_t i = home(h, capacity);
  while (ptrs[i] != p) {
    if (ptrs[i] == 0) {
      mp_lock_give(&s->lock);
      return 0;
    }
    i = i + 1 == capacity ? 0 : i + 1;
  }
  uint32_t bucket = buckets[i];
  // Backward shift: an entry further along the run moves into the hole unless its home lies
  // cyclically within (hole, entry].
  for (uint64_t j = i + 1 == capacity ? 0 : i + 1; ptrs[j] != 0; j = j + 1 == capacity ? 0 : j + 1) {
    uint64_t k = home(hash(ptrs[j]), capacity);
    uint64_t from_home = (j + capacity - k) % capacity, from_hole = (j + capacity - i) % capacity;
    if (from_home >= from_hole) {
      ptrs[i] = ptrs[j];
      buckets[i] = buckets[j];
      i = j;
    }
  }
  ptrs[i] = 0;
  s->count--;
  mp_lock_give(&s->lock);
  return bucket;
}

uint64_t memprof_live_mapped_bytes(void) {
  uint64_t n = 0;
  for (int i = 0; i < SHARDS; i++) {
    uint64_t c = __atomic_load_n(&g_shards[i].capacity, __ATOMIC_RELAXED);
    if (c) n += bytes_for(c);
  }
  return n;
}

void memprof_live_lock_all(void) {
  for (int i = 0; i < SHARDS; i++) mp_lock_take(&g_shards[i].lock);
}

void memprof_live_unlock_all(void) {
  for (int i = 0; i < SHARDS; i++) mp_lock_give(&g_shards[i].lock);
}
