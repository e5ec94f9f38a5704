// Private: an open-addressed index of dense ids (1, 2, ...) by hash, for the sampler's
// stacks and buckets. Read without a lock; ids are added, and the table grown, under the
// owner's lock. It starts small and doubles at half full, so it stays about four times the
// size of the ids it holds: the lines a sample probes are few and stay in the cache
// (a fixed table sized for the maximum spread a few thousand buckets over 4 MiB).
// A grown table is never unmapped: a reader may still be probing it (it then misses the
// newest ids, and the caller looks again under the lock). The old ones add up to less
// than the current one.
#ifndef MEMPROF_ID_INDEX_H
#define MEMPROF_ID_INDEX_H
#include <stdint.h>
#include "state.h"

typedef struct mp_index {
  uint64_t mask;       // slots - 1 (a power of two)
  uint64_t count;      // ids in it
  uint32_t slots[];    // 0 = empty, else an entry: the id (< 2^20), and 12 bits of its hash
} mp_index;

/// A slot holds the id with the top 12 bits of its hash, so a probe that meets another id
/// almost never reads that id's entry (a line the sample has no other use for).
static inline uint32_t mp_index_entry(uint32_t id, uint64_t hash) { return id | (uint32_t)(hash >> 52) << 20; }
static inline uint32_t mp_index_id(uint32_t entry) { return entry & 0xfffff; }
static inline int mp_index_may_be(uint32_t entry, uint64_t hash) { return entry >> 20 == (uint32_t)(hash >> 52); }

typedef struct mp_index_ref {
  mp_index *current;   // NULL until the first id
  uint64_t mapped;     // bytes of every table mapped so far
} mp_index_ref;

static inline mp_index *mp_index_load(mp_index_ref *r) { return __atomic_load_n(&r->current, __ATOMIC_ACQUIRE); }

/// Under the owner's lock, before adding an id: the table to add it to, grown first if it
/// would be more than half full (ids 1...count are moved, placed by `hash_of`). NULL when
/// no table can hold another id (`max_slots` reached, or no memory).
HIDDEN mp_index *mp_index_make_room(mp_index_ref *r, uint64_t max_slots, uint64_t (*hash_of)(void *ctx, uint32_t id),
                                    void *ctx);
/// Under the owner's lock: adds `id`, of hash `hash`, in the empty slot a lookup of this
/// table found.
static inline void mp_index_add(mp_index *ix, uint64_t slot, uint32_t id, uint64_t hash) {
  __atomic_store_n(&ix->slots[slot], mp_index_entry(id, hash), __ATOMIC_RELEASE);
  ix->count++;
}
#endif
