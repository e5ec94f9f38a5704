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
  uint32_t slots[];    // id, 0 = empty
} mp_index;

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
/// Under the owner's lock: adds `id` in the empty slot a lookup of this table found.
static inline void mp_index_add(mp_index *ix, uint64_t slot, uint32_t id) {
  __atomic_store_n(&ix->slots[slot], id, __ATOMIC_RELEASE);
  ix->count++;
}
#endif
