// The sampler's tables of stacks and buckets: hashing, lock-free lookups, and adding new
// entries under the intern lock (see sampler.h). Only a sample that finds no entry takes
// the lock.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sampler.h"
#include "unwind_cache.h"
#include "id_index.h"
#include "stack_memo.h"

// Stacks and buckets are dense arrays, appended under the intern lock; their hash indexes
// (id_index.h) are read without a lock.
static mp_index_ref g_stack_index, g_bucket_index;

// ---- modules: the parent cannot read /proc/PID/maps after the child has ended, and no one
// can read a library's mapping after its dlclose, so the sampler records the executable
// mappings when a new stack needs them (in this process too).
#include "module_table.h"

static uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

// A multiply per frame (its position folds in through the chain), one mix at the end.
static uint64_t stack_hash(const uint64_t *pcs, uint32_t depth) {
  uint64_t h = 0x84222325cbf29ce4ull ^ depth;
  for (uint32_t i = 0; i < depth; i++) h = (h ^ pcs[i]) * 0x9E3779B97F4A7C15ull;
  return mix(h);
}

// A stack of code loaded later is stored with its hash xor this key of its generation, so
// that one of an earlier generation (whose addresses may have been another library's) does
// not match, and a stack of start-up code only still matches on its first compare.
static inline uint64_t generation_key(uint32_t generation) {
  return generation ? (uint64_t)generation * 0xC2B2AE3D27D4EB4Full : 0;
}

// Compared here rather than with memcmp (no call through the PLT on every sample), two
// words at a time without a branch per word.
static inline int same_pcs(const uint64_t *a, const uint64_t *b, uint32_t depth) {
  uint64_t differ = 0;
  for (uint32_t i = 0; i < depth; i++) differ |= a[i] ^ b[i];
  return differ == 0;
}

// The stack's id in index ix, or 0 with *slot set to the empty slot where it would go.
static uint32_t stack_lookup(memprof_sampler *sp, mp_index *ix, const uint64_t *pcs, uint32_t depth, uint64_t h,
                             uint64_t *slot) {
  if (ix == NULL) return 0;
  for (uint64_t probe = h & ix->mask;; probe = (probe + 1) & ix->mask) {
    uint32_t entry = __atomic_load_n(&ix->slots[probe], __ATOMIC_ACQUIRE);
    if (entry == 0) {
      *slot = probe;
      return 0;
    }
    if (!mp_index_may_be(entry, h)) continue;
    uint32_t id = mp_index_id(entry);
    mp_stack *st = &sp->stacks[id - 1];
    uint64_t stored = st->hash;
    if ((stored == h ||
         stored == (h ^ generation_key(__atomic_load_n(&memprof_g_module_generation, __ATOMIC_ACQUIRE)))) &&
        st->depth == depth && same_pcs(&sp->pcs[st->offset_plus_one - 1], pcs, depth))
      return id;
  }
}

// The index hash of stack `id` (its stored hash has its generation's key in it).
static uint64_t stack_index_hash(void *ctx, uint32_t id) {
  const mp_stack *st = &((memprof_sampler *)ctx)->stacks[id - 1];
  return st->hash ^ generation_key(st->generation);
}


// The tables are sparse mappings: the first write to a page faults. Adding zero to a word of
// each page about to be written takes that fault before the intern lock, not while holding
// it (a thread that faults, or is preempted, under the lock makes the others spin and yield).
static inline void prefault(void *word) { __atomic_fetch_add((uint64_t *)word, 0, __ATOMIC_RELAXED); }
static inline void prefault32(uint32_t *word) { __atomic_fetch_add(word, 0, __ATOMIC_RELAXED); }

static uint32_t add_stack(memprof_sampler *sp, mp_index *ix, const uint64_t *pcs, uint32_t depth, uint64_t h,
                          uint64_t slot);

uint32_t memprof_intern_stack(memprof_sampler *sp, const uint64_t *pcs, uint32_t depth) {
  uint64_t h = stack_hash(pcs, depth);
  uint64_t slot = 0;
  mp_index *ix = mp_index_load(&g_stack_index);
  uint32_t id = stack_lookup(sp, ix, pcs, depth, h, &slot);
  return id ? id : add_stack(sp, ix, pcs, depth, h, slot);
}

// Out of line: a new stack may re-read the module table, with a line buffer on the stack
// that the frame of every lookup would otherwise reserve.
__attribute__((noinline)) static uint32_t add_stack(memprof_sampler *sp, mp_index *ix, const uint64_t *pcs,
                                                    uint32_t depth, uint64_t h, uint64_t slot) {
  uint32_t id;
  uint64_t used = LOAD(&sp->stacks_used), pcs_used = LOAD(&sp->pcs_used);
  if (used < MP_STACKS && pcs_used + depth <= MP_PCS) {
    if (ix) prefault32(&ix->slots[slot]);
    prefault(&sp->stacks[used].hash);
    prefault(&sp->pcs[pcs_used]);
    if (depth) prefault(&sp->pcs[pcs_used + depth - 1]);
  }
  mp_lock_take(&sp->intern);
  ix = mp_index_make_room(&g_stack_index, MP_STACKS * 2, stack_index_hash, sp);
  id = stack_lookup(sp, ix, pcs, depth, h, &slot);  // another thread may have added it
  if (id == 0 && ix && sp->stacks_used < MP_STACKS && sp->pcs_used + depth <= MP_PCS) {
    uint32_t generation = stack_generation(pcs, depth, __atomic_load_n(&memprof_g_module_generation, __ATOMIC_ACQUIRE));
    memprof_modules_cover(sp, pcs, depth, generation);
    mp_stack *st = &sp->stacks[sp->stacks_used];
    st->hash = h ^ generation_key(generation);
    st->depth = depth;
    st->generation = generation;
    st->offset_plus_one = (uint32_t)sp->pcs_used + 1;
    memcpy(&sp->pcs[sp->pcs_used], pcs, depth * sizeof *pcs);
    __atomic_store_n(&sp->pcs_used, sp->pcs_used + depth, __ATOMIC_RELEASE);
    id = (uint32_t)sp->stacks_used + 1;
    __atomic_store_n(&sp->stacks_used, sp->stacks_used + 1, __ATOMIC_RELEASE);
    mp_index_add(ix, slot, id, h);
  }
  mp_lock_give(&sp->intern);
  return id;
}

static uint64_t bucket_hash(uint32_t stack, uint64_t size, uint32_t thread, uint64_t type) {
  return mix((stack * 0x9E3779B97F4A7C15ull ^ size) + ((uint64_t)thread << 40) + type * 0xff51afd7ed558ccdull);
}

static uint64_t bucket_index_hash(void *ctx, uint32_t id) {
  const mp_bucket *b = &((memprof_sampler *)ctx)->buckets[id - 1];
  return bucket_hash(b->stack_plus_one, b->size, b->thread, b->type);
}

static uint32_t bucket_lookup(memprof_sampler *sp, mp_index *ix, uint32_t stack, uint64_t size, uint32_t thread,
                              uint64_t type, uint64_t *slot) {
  if (ix == NULL) return 0;
  uint64_t h = bucket_hash(stack, size, thread, type);
  for (uint64_t probe = h & ix->mask;; probe = (probe + 1) & ix->mask) {
    uint32_t entry = __atomic_load_n(&ix->slots[probe], __ATOMIC_ACQUIRE);
    if (entry == 0) {
      *slot = probe;
      return 0;
    }
    if (!mp_index_may_be(entry, h)) continue;
    uint32_t id = mp_index_id(entry);
    mp_bucket *b = &sp->buckets[id - 1];
    if (b->stack_plus_one == stack && b->size == size && b->thread == thread && b->type == type) return id;
  }
}

static uint32_t add_bucket(memprof_sampler *sp, mp_index *ix, uint32_t stack, uint64_t size, uint32_t thread,
                           uint64_t type, uint64_t slot);

uint32_t memprof_intern_bucket(memprof_sampler *sp, uint32_t stack, uint64_t size, uint32_t thread, uint64_t type) {
  uint64_t slot = 0;
  mp_index *ix = mp_index_load(&g_bucket_index);
  uint32_t id = bucket_lookup(sp, ix, stack, size, thread, type, &slot);
  return id ? id : add_bucket(sp, ix, stack, size, thread, type, slot);
}

__attribute__((noinline)) static uint32_t add_bucket(memprof_sampler *sp, mp_index *ix, uint32_t stack, uint64_t size,
                                                     uint32_t thread, uint64_t type, uint64_t slot) {
  uint32_t id;
  uint64_t used = LOAD(&sp->buckets_used);
  if (used < MP_BUCKETS) {
    if (ix) prefault32(&ix->slots[slot]);
    prefault(&sp->buckets[used].untimed_freed);
  }
  mp_lock_take(&sp->intern);
  ix = mp_index_make_room(&g_bucket_index, MP_BUCKETS * 2, bucket_index_hash, sp);
  id = bucket_lookup(sp, ix, stack, size, thread, type, &slot);
  if (id == 0 && ix && sp->buckets_used < MP_BUCKETS) {
    mp_bucket *b = &sp->buckets[sp->buckets_used];
    b->stack_plus_one = stack;
    b->size = size;
    b->thread = thread;
    b->type = type;
    id = (uint32_t)sp->buckets_used + 1;
    __atomic_store_n(&sp->buckets_used, sp->buckets_used + 1, __ATOMIC_RELEASE);
    mp_index_add(ix, slot, id, bucket_hash(stack, size, thread, type));
  }
  mp_lock_give(&sp->intern);
  return id;
}

void memprof_intern_forget_indexes(void) {
  __atomic_fetch_add(&memprof_g_intern_epoch, 1, __ATOMIC_RELEASE);  // the memos' ids too
  g_stack_index.current = NULL;
  g_bucket_index.current = NULL;
}

uint64_t memprof_sampler_index_bytes(void) {
  return LOAD(&g_stack_index.mapped) + LOAD(&g_bucket_index.mapped);
}
