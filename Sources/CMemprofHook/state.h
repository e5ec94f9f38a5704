// Private: the layout of the hook's state, shared by the files of this target.
#ifndef MEMPROF_STATE_H
#define MEMPROF_STATE_H
#include <stdint.h>
#include <stddef.h>
#include "memprof_hook.h"

#define MEMPROF_SLOTS 4096
#define MEMPROF_MAGIC 0x4d454d50524f4631ull /* "MEMPROF1" */
#define MEMPROF_VERSION 7u  /* 3: slot lines; type census; 4: module generations; 5: all; 6: bucket lines; 7: own ranges */
/// Address ranges of the hook's own memory a state records (see own_ranges.c).
#define MEMPROF_OWN_RANGES 256

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HIDDEN __attribute__((visibility("hidden")))

/// One thread's counters. Written by its owner only (plain load+store, no lock prefix),
/// read by anyone (relaxed loads). A slot outlives its thread: the next thread that takes
/// it keeps adding, so the sum over all slots stays exact.
typedef struct memprof_slot {
  // What the hooks' fast paths touch, in the first 64-byte line.
  uint64_t allocations;
  uint64_t frees;
  uint64_t requested_bytes;
  uint64_t allocated_bytes;
  uint64_t freed_bytes;
  int64_t unflushed_live;   // owner only: live-byte change not yet added to flushed_live
  int64_t until_sample;     // owner only: bytes left before the next sampled allocation
  int64_t flush_at;         // owner only: above this unflushed_live an allocation takes the
                            // slow path: the flush threshold, or the room left below the
                            // peak when the owner last looked, whichever is lower
  // The rest, in the second line.
  uint64_t failed_allocations;
  uint32_t in_use;          // 0 free, 1 owned by a thread
  uint32_t sampling_paused; // owner writes: memprof_set_thread_sampling(0); a rate change skips it
  uint64_t rng;             // owner only: xorshift state for the sampling intervals
  uintptr_t stack_top;      // owner only: upper bound of this thread's stack, for stack walks
  uint64_t reserved[4];     // keeps the slot at 128 bytes
} __attribute__((aligned(128))) memprof_slot;

/// What the trace thread of a `memprof run` child last printed, so that the parent can
/// write the exit line from the final counters (they include every allocation made after
/// the child's own exit handlers ran).
typedef struct memprof_trace_block {
  uint64_t lines;           // lines printed so far (0: the child does not trace)
  uint64_t start_ns, last_ns;  // CLOCK_MONOTONIC: the same clock in parent and child
  uint64_t last_live, last_total;
  uint64_t rss, virt, heap_sys, heap_idle, heap_released;
} memprof_trace_block;

/// The whole state: a header, the shared counters for calls made without a slot
/// (before a thread has one, after it released it, re-entrant calls), and the slots.
/// Lives in .bss, or in a file shared with a `memprof run` parent.
typedef struct memprof_state {
  uint64_t magic;
  uint32_t version;
  uint32_t slot_count;
  int32_t owner_pid;
  uint32_t pad0;
  uint64_t size;
  uint64_t dump_requests;   // times the MEMPROF_RUN_SIGNAL arrived in a `memprof run` child
  uint64_t reserved0[3];
  // Shared counters (atomic read-modify-write).
  uint64_t allocations __attribute__((aligned(64)));
  uint64_t frees;
  uint64_t requested_bytes;
  uint64_t allocated_bytes;
  uint64_t freed_bytes;
  uint64_t failed_allocations;
  // Peak tracking: flushed_live is the sum of all published live-byte changes.
  int64_t flushed_live __attribute__((aligned(64)));
  int64_t peak_live;
  uint32_t slots_high_water __attribute__((aligned(64))); // slots ever handed out
  memprof_trace_block trace __attribute__((aligned(64)));
  // The hook's own mappings in this process (own_ranges.c): start 0 is a free entry.
  memprof_own_range own_ranges[MEMPROF_OWN_RANGES] __attribute__((aligned(64)));
  memprof_slot slots[MEMPROF_SLOTS];
} memprof_state;

// Code of the hook goes into its own section so stack walks can skip its frames.
#define HOOK_TEXT __attribute__((section("memprof_hook_text")))

// Relaxed atomics spelled once.
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
// Owner-only increment: a plain add that readers on other threads may load at any time.
#define BUMP(p, v) STORE((p), LOAD(p) + (v))

extern memprof_state *memprof_g_state HIDDEN;

extern uint64_t memprof_g_threshold HIDDEN;
HIDDEN void memprof_check_threshold(int64_t live);
HIDDEN int memprof_valid_shared_state(const void *p, size_t size);
HIDDEN void memprof_sum_state(const memprof_state *st, memprof_counters *out);
HIDDEN void memprof_raise_peak(memprof_state *st, int64_t candidate);
/// Records [start, start + length) as the hook's own memory in `st` (the process's state), so
/// that readers of smaps name it as the profiler's; a full table drops it (it is then shown
/// as the program's anonymous memory, and still counted in memprof_read_self_memory).
HIDDEN void memprof_own_range_add(memprof_state *st, uint64_t start, uint64_t length);
/// Forgets the range that starts at `start` (its memory is being unmapped).
HIDDEN void memprof_own_range_remove(memprof_state *st, uint64_t start);
/// Records the hook's static tables (the preload library's .bss) in `st`.
HIDDEN void memprof_own_ranges_init(memprof_state *st);
HIDDEN memprof_state *memprof_attach_shared_state(memprof_state *fallback, void **sampler);
/// Sets the state up (and claims a `memprof run` parent's file) if no call has yet.
HIDDEN void memprof_ensure_init(void);
/// The trace block of the state shared with a `memprof run` parent, NULL when there is none.
HIDDEN memprof_trace_block *memprof_shared_trace_block(void);
/// 1 when this copy of the hook is the one the process's malloc reaches (a program that
/// links the hook and runs under `memprof run` has two copies: the preloaded one idles).
HIDDEN int memprof_copy_is_active(void);
/// Offset of the sampler tables in a shared state file (after the counters, page aligned).
#define MEMPROF_SAMPLER_OFFSET ((sizeof(memprof_state) + 4095) & ~(size_t)4095)
#endif
