// Private: the sampled blocks that are still live, by address, so that their free can be
// charged to the bucket they were sampled in. Sharded by address (one lock each, so threads
// rarely meet), and each shard grows as needed: every sampled block is tracked however many
// are live. Process-local memory (a `memprof run` parent needs the buckets, not this).
#ifndef MEMPROF_LIVE_TABLE_H
#define MEMPROF_LIVE_TABLE_H
#include <stdint.h>
#include "state.h"

/// One byte per filter slot: how many live sampled blocks hash there (255 = stuck at "maybe").
/// free() looks a block up only when its slot is non-zero.
#define MP_FILTER_BITS 20
extern uint8_t memprof_g_sample_filter[1u << MP_FILTER_BITS] HIDDEN;

static inline uint32_t memprof_filter_slot(const void *p) {
  return (uint32_t)((((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - MP_FILTER_BITS));
}

/// Adds or replaces p -> bucket. Returns the bucket p had (a block freed without our
/// seeing it, then handed out again), 0 if none, or UINT32_MAX when memory for the table
/// could not be had (the sample is then lost, and counted as such).
HIDDEN uint32_t memprof_live_put(uint64_t p, uint32_t bucket);
/// Removes p; returns its bucket, or 0 if p was not a sampled block.
HIDDEN uint32_t memprof_live_take(uint64_t p);
/// The bytes the table has mapped (a racy read: for reports).
HIDDEN uint64_t memprof_live_mapped_bytes(void);
/// For fork: every shard lock taken before, given back after (parent and child).
HIDDEN void memprof_live_lock_all(void);
HIDDEN void memprof_live_unlock_all(void);
#endif
