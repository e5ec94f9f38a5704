// Private: the sampled blocks that are still live, by address, so that their free can be
// charged to the bucket they were sampled in. Sharded by address (one lock each, so threads
// rarely meet), and each shard grows as needed: every sampled block is tracked however many
// are live. Process-local memory (a `memprof run` parent needs the buckets, not this).
#ifndef MEMPROF_LIVE_TABLE_H
#define MEMPROF_LIVE_TABLE_H
#include <stdint.h>
#include "state.h"

/// One counter per filter slot: how many live sampled blocks start there (65535 = stuck at
/// "maybe"). free() looks a block up only when its slot is non-zero.
#define MP_FILTER_BITS 19
extern uint16_t memprof_g_sample_filter[1u << MP_FILTER_BITS] HIDDEN;

/// One slot per 4 KiB page of a 2 GiB window of addresses. Every free reads its slot, so the
/// filter must stay in the cache: a program's heap of H bytes touches H/2048 bytes of it
/// (16-byte slots touched H/16, and cost a malloc-bound program +5% wall in cache misses:
/// cachegrind counts 4.55M D1 misses against 3.30M for st-churn 1000000). The price is false
/// positives: a free in a page that holds a live sampled block looks it up in the live table
/// (one shard lock). At the default rate (512 KiB) that is at most 4 KiB/512 KiB < 1% of
/// frees; at rates near a page every free looks up, as at rate 1 where every block is sampled.
static inline uint32_t memprof_filter_slot(const void *p) {
  return (uint32_t)(((uintptr_t)p >> 12) & ((1u << MP_FILTER_BITS) - 1));
}

/// What a live sampled block remembers (16 bytes a block with its address, packed).
typedef struct mp_live_info {
  uint32_t bucket;    // < 2^20
  uint16_t slot;      // the allocating thread's counter slot, MP_NO_SLOT if none
  uint16_t serial;    // low bits of that slot's allocation count, this block included
  uint64_t born_us;   // microseconds on CLOCK_MONOTONIC, modulo 2^36 (19 hours)
} mp_live_info;
#define MP_NO_SLOT 0xfff
#define MP_BORN_MASK ((1ull << 36) - 1)

/// Adds or replaces p. Returns 0 when p was new, 1 when it replaced an entry (a block freed
/// without our seeing it, then handed out again: *previous says what it was), -1 when
/// memory for the table could not be had (the sample is then lost, and counted as such).
HIDDEN int memprof_live_put(uint64_t p, const mp_live_info *info, mp_live_info *previous);
/// Removes p; returns 1 and what it remembered, or 0 if p was not a sampled block.
HIDDEN int memprof_live_take(uint64_t p, mp_live_info *out);
/// The bytes the table has mapped (a racy read: for reports).
HIDDEN uint64_t memprof_live_mapped_bytes(void);
/// For fork: every shard lock taken before, given back after (parent and child).
HIDDEN void memprof_live_lock_all(void);
HIDDEN void memprof_live_unlock_all(void);
#endif
