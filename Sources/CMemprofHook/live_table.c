// The live sampled blocks: 64 shards by address, each an open-addressed table (linear
// probing, deletion by backward shift, no tombstones) of 16 bytes a slot, grown by half when
// 80% full: 20 bytes per live sampled block right before a growth, 30 right after it (plus
// the old table, returned to the kernel as soon as the new one is filled).
// A slot is two words: key = (address >> 4) << 20 | bucket (0 = empty; blocks are 16-byte
// aligned below 2^48), info = slot << 52 | serial << 36 | born_us.
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "live_table.h"
#include "spin_lock.h"

#define SHARDS 64
#define PAGE 4096ull

uint16_t memprof_g_sample_filter[1u << MP_FILTER_BITS];

typedef struct shard {
  mp_lock lock;
  uint32_t pad;
  uint64_t count;      // entries in use
  uint64_t capacity;   // slots
  uint64_t *keys;      // 0 = empty; then `capacity` info words after them
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
static inline uint64_t *infos_of(shard *s) { return s->keys + s->capacity; }
static inline uint64_t bytes_for(uint64_t capacity) { return (capacity * 16 + PAGE - 1) & ~(PAGE - 1); }
static inline uint64_t key_address(uint64_t key) { return (key >> 20) << 4; }
static inline uint64_t pack_info(const mp_live_info *i) {
  return (uint64_t)(i->slot & 0xfff) << 52 | (uint64_t)i->serial << 36 | (i->born_us & MP_BORN_MASK);
}
static inline void unpack(uint64_t key, uint64_t info, mp_live_info *out) {
  out->bucket = (uint32_t)(key & 0xfffff);
  out->slot = (uint16_t)(info >> 52);
  out->serial = (uint16_t)(info >> 36);
  out->born_us = info & MP_BORN_MASK;
}

static void place(uint64_t *keys, uint64_t *infos, uint64_t capacity, uint64_t key, uint64_t info) {
  uint64_t i = home(hash(key_address(key)), capacity);
  while (keys[i] != 0) i = i + 1 == capacity ? 0 : i + 1;
  keys[i] = key;
  infos[i] = info;
}

// Moves the shard into a table 1.5 times larger (the first one fills a page).
static int grow(shard *s) {
  uint64_t capacity = s->capacity ? s->capacity + s->capacity / 2 : PAGE / 16;
  capacity = bytes_for(capacity) / 16;  // use the whole last page
  void *m = mmap(NULL, bytes_for(capacity), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return 0;
  uint64_t *keys = m;
  uint64_t *infos = keys + capacity;
  uint64_t *old_infos = s->keys ? infos_of(s) : NULL;
  for (uint64_t i = 0; i < s->capacity; i++)
    if (s->keys[i]) place(keys, infos, capacity, s->keys[i], old_infos[i]);
  if (s->keys) munmap(s->keys, bytes_for(s->capacity));
  s->keys = keys;
  s->capacity = capacity;
  return 1;
}

int memprof_live_put(uint64_t p, const mp_live_info *info, mp_live_info *previous) {
  uint64_t h = hash(p);
  shard *s = shard_of(h);
  mp_lock_take(&s->lock);
  if ((s->count + 1) * 5 > s->capacity * 4 && !grow(s)) {
    mp_lock_give(&s->lock);
    return -1;
  }
  uint64_t *keys = s->keys, *infos = infos_of(s);
  uint64_t i = home(h, s->capacity);
  while (keys[i] != 0 && key_address(keys[i]) != p) i = i + 1 == s->capacity ? 0 : i + 1;
  int replaced = keys[i] != 0;
  if (replaced) unpack(keys[i], infos[i], previous);
  else s->count++;
  keys[i] = (p >> 4) << 20 | (info->bucket & 0xfffff);
  infos[i] = pack_info(info);
  mp_lock_give(&s->lock);
  return replaced;
}

int memprof_live_take(uint64_t p, mp_live_info *out) {
  uint64_t h = hash(p);
  shard *s = shard_of(h);
  mp_lock_take(&s->lock);
  uint64_t capacity = s->capacity;
  if (capacity == 0) {
    mp_lock_give(&s->lock);
    return 0;
  }
  uint64_t *keys = s->keys, *infos = infos_of(s);
  uint64_t i = home(h, capacity);
  while (key_address(keys[i]) != p) {
    if (keys[i] == 0) {
      mp_lock_give(&s->lock);
      return 0;
    }
    i = i + 1 == capacity ? 0 : i + 1;
  }
  unpack(keys[i], infos[i], out);
  // Backward shift: an entry further along the run moves into the hole unless its home lies
  // cyclically within (hole, entry].
  for (uint64_t j = i + 1 == capacity ? 0 : i + 1; keys[j] != 0; j = j + 1 == capacity ? 0 : j + 1) {
    uint64_t k = home(hash(key_address(keys[j])), capacity);
    // Cyclic distances without a division (j, k, i < capacity).
    uint64_t from_home = j >= k ? j - k : j + capacity - k, from_hole = j >= i ? j - i : j + capacity - i;
    if (from_home >= from_hole) {
      keys[i] = keys[j];
      infos[i] = infos[j];
      i = j;
    }
  }
  keys[i] = 0;
  s->count--;
  mp_lock_give(&s->lock);
  return 1;
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
