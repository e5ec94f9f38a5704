// The live sampled blocks: 64 shards by 64 MiB region and address, each an open-addressed
// table (linear probing, deletion by backward shift, no tombstones) of 16 bytes a slot,
// grown by half when 5/8 full: 26 bytes per live sampled block right before a growth, 38
// right after it (plus the old table, returned to the kernel as soon as the new one is
// filled). Fuller tables made probe runs long: at 80% a free at rate 1 cost twice as much.
// A slot is two adjacent words (one cache line holds both): key = (address >> 4) << 20 |
// bucket (0 = empty; blocks are 16-byte aligned below 2^48), info = slot << 52 | serial <<
// 36 | born_us.
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "live_table.h"
#include "spin_lock.h"
#include "table_memory.h"

#define SHARDS 64
#define PAGE 4096ull

uint16_t memprof_g_sample_filter[1u << MP_FILTER_BITS];
int memprof_g_live_table_large;

// A shard this large no longer stays in the cache (128 KiB): from then on samples prefetch.
#define LARGE_SHARD_SLOTS 8192

typedef struct entry { uint64_t key, info; } entry;

typedef struct shard {
  mp_lock lock;
  uint32_t pad;
  uint64_t count;      // entries in use
  uint64_t capacity;   // slots
  struct entry *entries;
} __attribute__((aligned(64))) shard;

static shard g_shards[SHARDS];

static inline uint64_t hash(uint64_t p) { return memprof_live_hash(p); }
// The shard of an address: one of 8 groups by its 64 MiB region, so that the blocks of one
// glibc arena (a thread's heap: 64 MiB aligned) stay in a group and a thread's samples and
// frees keep finding its locks and entries in its own core's cache, instead of every
// shard's lines moving between cores; then one of the group's 8 by the address's hash, so
// that one heap's blocks spread over 8 tables with short probe runs.
static inline shard *shard_of(uint64_t p, uint64_t h) {
  uint64_t region = (p >> 26) * 0x9E3779B97F4A7C15ull;
  return &g_shards[(region >> 61) << 3 | h >> 61];
}
// Slot from the hash's low bits, for any capacity (no power of two needed).
static inline uint64_t home(uint64_t h, uint64_t capacity) {
  return (uint64_t)(((unsigned __int128)(h & 0x03ffffffffffffffull) * capacity) >> 58);
}
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

static void place(entry *entries, uint64_t capacity, entry e) {
  uint64_t i = home(hash(key_address(e.key)), capacity);
  while (entries[i].key != 0) i = i + 1 == capacity ? 0 : i + 1;
  entries[i] = e;
}

// Moves the shard into a table 1.5 times larger (the first one fills a page).
static int grow(shard *s) {
  uint64_t capacity = s->capacity ? s->capacity + s->capacity / 2 : PAGE / 16;
  capacity = bytes_for(capacity) / 16;  // use the whole last page
  void *m = memprof_map_table(bytes_for(capacity));
  if (m == NULL) return 0;
  entry *entries = m;
  for (uint64_t i = 0; i < s->capacity; i++)
    if (s->entries[i].key) place(entries, capacity, s->entries[i]);
  if (s->entries) memprof_unmap_table(s->entries, bytes_for(s->capacity));
  s->entries = entries;
  s->capacity = capacity;
  if (capacity >= LARGE_SHARD_SLOTS && !LOAD(&memprof_g_live_table_large)) STORE(&memprof_g_live_table_large, 1);
  return 1;
}

void memprof_live_prefetch(uint64_t p, uint64_t h) {
  shard *s = shard_of(p, h);
  // Read without the lock: a table growing meanwhile only makes the hint wrong, and a
  // prefetch never faults. (The 64 shards' own lines stay in the cache.)
  entry *e = __atomic_load_n(&s->entries, __ATOMIC_RELAXED);
  uint64_t capacity = __atomic_load_n(&s->capacity, __ATOMIC_RELAXED);
  if (capacity != 0) __builtin_prefetch(&e[home(h, capacity)], 1, 3);
}

// ---- the filter (live_table.h). A page's word changes only while the shard of the block
// that joins or leaves is locked, with the table: so memprof_filter_recount, holding every
// shard, sees words and table agree. Shards are by address, so two blocks of one page may be
// counted in and out at once under two locks: the updates are atomic.

// p became a live sampled block, or stopped being one: the word of its page, a lone block's
// tag or a count, says so. A count that falls back to 1 stays a count (which block is left is
// not known): the page's frees look up until it is empty again.
static inline uint16_t filter_with(uint16_t v, uint64_t p) {  // v (not stuck) with p counted in
  return v == 0 ? memprof_filter_tag((const void *)(uintptr_t)p) : (v & MP_FILTER_MANY) ? (uint16_t)(v + 1) : (uint16_t)(MP_FILTER_MANY | 2);
}
static inline uint16_t *filter_word(uint64_t p) { return &memprof_g_sample_filter[memprof_filter_slot((const void *)(uintptr_t)p)]; }

static inline void filter_add(uint64_t p) {
  uint16_t *f = filter_word(p);
  uint16_t v = __atomic_load_n(f, __ATOMIC_RELAXED);
  do {
    if (v == MP_FILTER_STUCK) return;
  } while (!__atomic_compare_exchange_n(f, &v, filter_with(v, p), 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

// At rate 1, where every block is sampled and every page holds several, p's word is made stuck
// instead of counted: a plain store, as nothing but memprof_filter_recount moves a word out of
// MP_FILTER_STUCK. Neither the sample nor its free then pays an atomic read-modify-write on it
// (st-churn 8M at rate 1: 2.68x the plain run with counted words, 2.4x with stuck ones).
static inline void filter_stick(uint64_t p) {
  uint16_t *f = filter_word(p);
  if (__atomic_load_n(f, __ATOMIC_RELAXED) != MP_FILTER_STUCK) __atomic_store_n(f, MP_FILTER_STUCK, __ATOMIC_RELAXED);
}

static inline void filter_remove(uint64_t p) {
  uint16_t *f = filter_word(p);
  uint16_t v = __atomic_load_n(f, __ATOMIC_RELAXED), next;
  do {
    if (v == 0 || v == MP_FILTER_STUCK) return;
    next = (v & MP_FILTER_MANY) && v != (MP_FILTER_MANY | 1) ? (uint16_t)(v - 1) : 0;
  } while (!__atomic_compare_exchange_n(f, &v, next, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

// ---- the table

int memprof_live_put(uint64_t p, uint64_t h, const mp_live_info *info, mp_live_info *previous, int stick) {
  shard *s = shard_of(p, h);
  mp_lock_take(&s->lock);
  if ((s->count + 1) * 8 > s->capacity * 5 && !grow(s)) {
    mp_lock_give(&s->lock);
    return -1;
  }
  entry *e = s->entries;
  uint64_t i = home(h, s->capacity);
  while (e[i].key != 0 && key_address(e[i].key) != p) i = i + 1 == s->capacity ? 0 : i + 1;
  int replaced = e[i].key != 0;
  if (replaced) {
    unpack(e[i].key, e[i].info, previous);
  } else {
    s->count++;
    if (stick) filter_stick(p);
    else filter_add(p);
  }
  e[i].key = (p >> 4) << 20 | (info->bucket & 0xfffff);
  e[i].info = pack_info(info);
  mp_lock_give(&s->lock);
  return replaced;
}

static inline __attribute__((always_inline)) int take(uint64_t p, mp_live_info *out, int wait) {
  uint64_t h = hash(p);
  shard *s = shard_of(p, h);
  if (wait) mp_lock_take(&s->lock);
  else if (__atomic_exchange_n(&s->lock.taken, 1, __ATOMIC_ACQUIRE)) return -1;
  uint64_t capacity = s->capacity;
  if (capacity == 0) {
    mp_lock_give(&s->lock);
    return 0;
  }
  entry *e = s->entries;
  uint64_t i = home(h, capacity);
  while (key_address(e[i].key) != p) {
    if (e[i].key == 0) {
      mp_lock_give(&s->lock);
      return 0;
    }
    i = i + 1 == capacity ? 0 : i + 1;
  }
  unpack(e[i].key, e[i].info, out);
  // Backward shift: an entry further along the run moves into the hole unless its home lies
  // cyclically within (hole, entry].
  for (uint64_t j = i + 1 == capacity ? 0 : i + 1; e[j].key != 0; j = j + 1 == capacity ? 0 : j + 1) {
    uint64_t k = home(hash(key_address(e[j].key)), capacity);
    // Cyclic distances without a division (j, k, i < capacity).
    uint64_t from_home = j >= k ? j - k : j + capacity - k, from_hole = j >= i ? j - i : j + capacity - i;
    if (from_home >= from_hole) {
      e[i] = e[j];
      i = j;
    }
  }
  e[i].key = 0;
  s->count--;
  filter_remove(p);
  mp_lock_give(&s->lock);
  return 1;
}

int memprof_live_take(uint64_t p, mp_live_info *out) { return take(p, out, 1); }

int memprof_live_take_nowait(uint64_t p, mp_live_info *out) { return take(p, out, 0); }

uint64_t memprof_live_mapped_bytes(void) {
  uint64_t n = 0;
  for (int i = 0; i < SHARDS; i++) {
    uint64_t c = __atomic_load_n(&g_shards[i].capacity, __ATOMIC_RELAXED);
    if (c) n += bytes_for(c);
  }
  return n;
}

void memprof_filter_recount(void) {
  uint16_t *fresh = memprof_map_table(sizeof memprof_g_sample_filter);
  if (fresh == NULL) return;  // the stuck words stay: only slower
  memprof_live_lock_all();
  for (int i = 0; i < SHARDS; i++) {
    const shard *s = &g_shards[i];
    for (uint64_t j = 0; j < s->capacity; j++) {
      if (s->entries[j].key == 0) continue;
      uint64_t p = key_address(s->entries[j].key);
      uint16_t *f = &fresh[memprof_filter_slot((const void *)(uintptr_t)p)];
      if (*f != MP_FILTER_STUCK) *f = filter_with(*f, p);
    }
  }
  // Each word goes from its old value to one that counts the same blocks: the shards are
  // locked, so no block joins or leaves meanwhile.
  for (uint32_t i = 0; i < (1u << MP_FILTER_BITS); i++)
    if (LOAD(&memprof_g_sample_filter[i]) != fresh[i]) STORE(&memprof_g_sample_filter[i], fresh[i]);
  memprof_live_unlock_all();
  memprof_unmap_table(fresh, sizeof memprof_g_sample_filter);
}

void memprof_read_filter_pages(memprof_filter_pages *out) {
  memprof_filter_pages n = {0, 0, 0};
  for (uint32_t i = 0; i < (1u << MP_FILTER_BITS); i++) {
    uint16_t v = LOAD(&memprof_g_sample_filter[i]);
    if (v == MP_FILTER_STUCK) n.stuck++;
    else if (v & MP_FILTER_MANY) n.counted++;
    else if (v != 0) n.lone++;
  }
  *out = n;
}

void memprof_live_lock_all(void) {
  for (int i = 0; i < SHARDS; i++) mp_lock_take(&g_shards[i].lock);
}

void memprof_live_unlock_all(void) {
  for (int i = 0; i < SHARDS; i++) mp_lock_give(&g_shards[i].lock);
}
