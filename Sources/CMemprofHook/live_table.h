// Private: the sampled blocks that are still live, by address, so that their free can be
// charged to the bucket they were sampled in. Sharded by address (one lock each, so threads
// rarely meet), and each shard grows as needed: every sampled block is tracked however many
// are live. Process-local memory (a `memprof run` parent needs the buckets, not this).
#ifndef MEMPROF_LIVE_TABLE_H
#define MEMPROF_LIVE_TABLE_H
#include <stdint.h>
#include "state.h"

/// One 16-bit word per filter slot says which live sampled blocks start there:
///   0                   none;
///   1..256              exactly one, whose 16-byte granule in the page is value - 1;
///   MP_FILTER_MANY | n  n >= 1 of them (MP_FILTER_STUCK: too many to count, for good).
/// free() looks a block up only when the word may stand for it (memprof_filter_may_hold).
#define MP_FILTER_BITS 19
#define MP_FILTER_MANY 0x8000u
#define MP_FILTER_STUCK 0xffffu
extern uint16_t memprof_g_sample_filter[1u << MP_FILTER_BITS] HIDDEN;

/// One slot per 4 KiB page of a 2 GiB window of addresses. Every free reads its slot, so the
/// filter must stay in the cache: a program's heap of H bytes touches H/2048 bytes of it
/// (16-byte slots touched H/16, and cost a malloc-bound program +5% wall in cache misses:
/// cachegrind counts 4.55M D1 misses against 3.30M for st-churn 1000000). A page that holds
/// one live sampled block names its granule, so the other frees in that page stay on the
/// fast path; only pages with two or more (rare at the default rate; every page at rate 1)
/// send all their frees to the live table.
static inline uint32_t memprof_filter_slot(const void *p) {
  return (uint32_t)(((uintptr_t)p >> 12) & ((1u << MP_FILTER_BITS) - 1));
}
/// The value of a filter word holding only p.
static inline uint16_t memprof_filter_tag(const void *p) { return (uint16_t)((((uintptr_t)p >> 4) & 255) + 1); }
/// 1 when the filter word `word` (non-zero) may count p among its live sampled blocks.
static inline int memprof_filter_word_may_hold(uint16_t word, const void *p) {
  return (word & MP_FILTER_MANY) || word == memprof_filter_tag(p);
}
/// 1 when p may be a live sampled block (0: it certainly is not).
static inline int memprof_filter_may_hold(const void *p) {
  uint16_t word = __atomic_load_n(&memprof_g_sample_filter[memprof_filter_slot(p)], __ATOMIC_RELAXED);
  return word != 0 && memprof_filter_word_may_hold(word, p);
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
/// born_us of a block whose lifetime is not measured (a clock reading that equals it is
/// taken as one microsecond earlier).
#define MP_BORN_UNTIMED MP_BORN_MASK

/// Adds or replaces p (h: memprof_live_hash(p)). Returns 0 when p was new, 1 when it replaced an entry (a block freed
/// without our seeing it, then handed out again: *previous says what it was), -1 when
/// memory for the table could not be had (the sample is then lost, and counted as such).
/// A new p is counted in its page's filter word before the shard's lock is given back
/// (`stick`, at rate 1: the word is made stuck instead, see live_table.c).
HIDDEN int memprof_live_put(uint64_t p, uint64_t h, const mp_live_info *info, mp_live_info *previous, int stick);
/// The hash of a block's address in the table (give it to memprof_live_prefetch and put).
static inline uint64_t memprof_live_hash(uint64_t p) {
  uint64_t h = (p >> 4) * 0xff51afd7ed558ccdull;
  return h ^ (h >> 29);
}
/// Starts loading the line where p's entry goes (h: memprof_live_hash(p)), so that a put
/// made after the stack walk finds it in the cache: with a million live sampled blocks
/// (python3 at rate 1) nearly every put missed the cache. Worth its 20 instructions only
/// once the table has outgrown the cache: memprof_g_live_table_large says when.
HIDDEN void memprof_live_prefetch(uint64_t p, uint64_t h);
/// Set (for good) once a shard of the table has grown past what the cache holds.
extern int memprof_g_live_table_large HIDDEN;
/// Counts every page's word again from the live sampled blocks, so that pages left stuck
/// (by rate 1, or by a count that overflowed) send only their sampled blocks' frees to the
/// table again. Takes every shard's lock meanwhile; a free that reads a word as it changes
/// finds its block either way. Called when the rate leaves 1, through
/// memprof_sampler_filter_recount (which guards against signal handlers).
HIDDEN void memprof_filter_recount(void);
/// Removes p, and its count from its page's filter word; returns 1 and what it remembered, or
/// 0 if p was not a sampled block.
HIDDEN int memprof_live_take(uint64_t p, mp_live_info *out);
/// The same without waiting, for a signal handler that interrupted its thread's sampler
/// (which may hold the shard's lock): -1 when the lock is taken.
HIDDEN int memprof_live_take_nowait(uint64_t p, mp_live_info *out);
/// The bytes the table has mapped (a racy read: for reports).
HIDDEN uint64_t memprof_live_mapped_bytes(void);
/// For fork: every shard lock taken before, given back after (parent and child).
HIDDEN void memprof_live_lock_all(void);
HIDDEN void memprof_live_unlock_all(void);
#endif
