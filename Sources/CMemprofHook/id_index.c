// Growing the sampler's id indexes (see id_index.h).
#define _GNU_SOURCE
#include <sys/mman.h>
#include "id_index.h"
#include "table_memory.h"

#define FIRST_SLOTS 4096u

mp_index *mp_index_make_room(mp_index_ref *r, uint64_t max_slots, uint64_t (*hash_of)(void *ctx, uint32_t id),
                             void *ctx) {
  mp_index *cur = r->current;
  uint64_t slots = cur ? cur->mask + 1 : 0;
  if (cur && (cur->count + 1) * 2 <= slots) return cur;
  uint64_t grown = cur ? slots * 2 : FIRST_SLOTS;
  if (grown > max_slots) return cur && cur->count + 1 < slots ? cur : NULL;
  uint64_t bytes = sizeof(mp_index) + grown * sizeof(uint32_t);
  void *m = memprof_map_table(bytes);
  if (m == NULL) return cur && cur->count + 1 < slots ? cur : NULL;
  mp_index *ix = m;
  ix->mask = grown - 1;
  uint64_t count = cur ? cur->count : 0;
  for (uint32_t id = 1; id <= count; id++) {
    uint64_t hash = hash_of(ctx, id), probe = hash & ix->mask;
    while (ix->slots[probe] != 0) probe = (probe + 1) & ix->mask;
    ix->slots[probe] = mp_index_entry(id, hash);
  }
  ix->count = count;
  r->mapped += bytes;
  __atomic_store_n(&r->current, ix, __ATOMIC_RELEASE);
  return ix;
}
