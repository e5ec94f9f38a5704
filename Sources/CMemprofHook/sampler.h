// Private: the sampling heap profiler's tables of stacks and buckets. They live in one
// region: mmapped in the process on first use, or inside the file shared with a `memprof
// run` parent (after the counters), so the parent can read the samples however the child
// ends. The live sampled blocks are in live_table.h (process-local).
//
// Concurrency: stacks and buckets are only ever appended. Lookups take no lock (ids are
// published with release stores after the entries are complete); adding a new stack or
// bucket takes the intern lock; counts are atomic adds. A sampled block's free takes only
// its live-table shard's lock.
#ifndef MEMPROF_SAMPLER_H
#define MEMPROF_SAMPLER_H
#include <pthread.h>
#include <stdint.h>
#include "state.h"
#include "spin_lock.h"
#include "live_table.h"

#define MP_MAX_DEPTH 128                 // frames kept per stack (outermost callers cut)
#define MP_STACKS (1u << 18)             // distinct stacks
#define MP_PCS (1u << 22)                // return addresses of all stacks
#define MP_BUCKETS (1u << 19)            // (stack, block size) pairs
#define MP_MODULES 1024                  // mappings of executable code
#define MP_SAMPLER_MAGIC 0x4d454d5053414d31ull  /* "MEMPSAM1" */

/// A stack's generation is 0 when all its return addresses are in modules loaded at start-up
/// (never unloaded), else the module generation it was captured in (see module_table.h):
/// the same addresses after a dlclose may be another library's code, so another stack.
typedef struct mp_stack { uint64_t hash; uint32_t offset_plus_one; uint32_t depth; uint32_t generation, pad; } mp_stack;
#define MP_THREAD_NAMES 4096             // distinct thread labels (then "other")

/// Freed sampled blocks of one lifetime class, and of them the temporaries (one cache line
/// holds both: a free touches it and the bucket's first line).
typedef struct mp_lifetime_count { uint64_t freed, temporaries; } mp_lifetime_count;

/// One (stack, block size, thread, type) bucket. Counts are atomic adds. The key and the
/// allocation and free counts share the first line: a sample touches that one only.
typedef struct mp_bucket {
  uint32_t stack_plus_one;
  uint32_t thread;                // index into thread_names
  uint64_t size;
  uint64_t type;                  // Swift metadata once the census typed the block, else 0
  uint64_t allocs, frees;
  uint64_t peak_inuse;            // allocs - frees when the heap was last copied at its peak
  // Frees of blocks whose lifetime was not measured (see MP_TIME_ALL_RATE), and of them the
  // temporaries: in the first line, so that such a free touches that line only.
  uint64_t untimed_freed, untimed_temporaries;
  mp_lifetime_count by_lifetime[MEMPROF_LIFETIME_CLASSES];
} __attribute__((aligned(64))) mp_bucket;

typedef struct memprof_sampler {
  // Read by every sample, written almost never: a line of their own.
  uint64_t magic;
  int64_t rate;                   // the rate in force (copied for readers of the file)
  uint64_t start_time_ns;         // CLOCK_REALTIME when sampling began
  // Written by every new stack or bucket.
  mp_lock intern __attribute__((aligned(64)));  // held to add a stack, a bucket or modules, and to copy
  uint32_t pad;
  uint64_t stacks_used, pcs_used, buckets_used;
  uint64_t modules_generation;    // the module generation the modules were last re-read in
  uint64_t dropped_samples;       // samples lost because a table was full or memory ran out
  uint64_t dropped_bytes;         // their usable bytes
  uint64_t module_count;
  mp_lock peak_lock;              // held by the one thread copying the peak
  uint32_t pad1;
  int64_t peak_copied_live;       // exact live bytes when the peak was last copied
  uint64_t peak_time_ns;          // CLOCK_REALTIME of that copy
  uint64_t thread_names_used;
  uint64_t handler_samples;       // allocated by a signal handler while its thread sampled
  uint64_t handler_bytes;         // their usable bytes (counted; their frees are not seen)
  memprof_module modules[MP_MODULES];
  char thread_names[MP_THREAD_NAMES][16];
  mp_stack stacks[MP_STACKS];
  uint64_t pcs[MP_PCS];
  mp_bucket buckets[MP_BUCKETS];
} memprof_sampler;

extern memprof_sampler *memprof_g_sampler HIDDEN;
extern int64_t memprof_g_rate HIDDEN;
/// Bytes until the slot's next sample, drawn at the current rate (sample_intervals.c).
HIDDEN int64_t memprof_next_interval(memprof_slot *s);
/// The module generation: 1 at start, one more after each dlclose (module_generation.c).
extern uint32_t memprof_g_module_generation HIDDEN;

HIDDEN void memprof_sampler_init(memprof_sampler *in_shared_file);
/// memprof_filter_recount (live_table.h) as the thread's sampler work: skipped in a signal
/// handler that interrupted its thread's sampling, and never waiting on a lock its own
/// thread holds.
HIDDEN void memprof_sampler_filter_recount(void);
/// Microseconds on CLOCK_MONOTONIC, for lifetimes: counted from the TSC where it is
/// invariant, after 5 ms of calibration (sample_clock.c).
HIDDEN uint64_t memprof_sample_clock_us(void);
/// The id of a stack (return addresses, leaf first), added if new; 0 when the tables are full.
HIDDEN uint32_t memprof_intern_stack(memprof_sampler *sp, const uint64_t *pcs, uint32_t depth);
/// The id of the (stack, size, thread, type) bucket, added if new; 0 when the table is full.
HIDDEN uint32_t memprof_intern_bucket(memprof_sampler *sp, uint32_t stack, uint64_t size, uint32_t thread, uint64_t type);
/// In a forked child that drops its parent's shared sampler: the indexes of its ids go too.
HIDDEN void memprof_intern_forget_indexes(void);
HIDDEN void memprof_slot_start_sampling(memprof_slot *s, int is_main_thread);
HIDDEN void memprof_sample(void *p, size_t usable, memprof_slot *s, uintptr_t frame, void *ret);
HIDDEN void memprof_sample_unslotted(void *p, size_t usable, void *ret);
/// Takes p out of the live sampled blocks and counts its free; 1 if it was one.
HIDDEN int memprof_sample_forget(void *p);
/// realloc's halves of memprof_sample_forget: takes p out of the table (1 if it was a live
/// sampled block, with what the table knew in *info), then, once glibc answered, counts its
/// free (`freed`) or puts it back (the realloc failed: p is still the program's, unchanged).
HIDDEN int memprof_sample_detach(void *p, mp_live_info *info);
HIDDEN void memprof_sample_end_detached(void *p, const mp_live_info *info, int freed);
/// Lifetimes cost two clock readings a sampled block (two `rdtsc`, about 36 ns together in
/// the hook: more than a third of what rate 1 adds to a malloc+free pair). At rates of
/// MP_TIME_ALL_RATE and above every sampled block is timed; below, a bucket's first
/// MP_TIME_FIRST blocks are, and then one in MP_TIME_ONE_IN chosen at random. The readers
/// spread the others over the classes the timed ones of their bucket fell in
/// (memprof_profile_copy), so class counts are estimates there and their totals exact.
#define MP_TIME_ALL_RATE 65536
#define MP_TIME_FIRST 64
#define MP_TIME_ONE_IN 16
/// xorshift64* on a slot's generator (owner only).
static inline uint64_t memprof_slot_random(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}
/// A countdown (a slot's until_sample, the unslotted one) set to this asks for a new
/// interval drawn at the next allocation, which is a sample only if it reaches past it: what
/// a rate change sets, and what the unslotted countdown starts at.
#define MP_REDRAW (INT64_MIN / 2)
extern int64_t memprof_g_unslotted_until HIDDEN;
/// Copies every bucket's live count as the heap's peak when live bytes exceed the last copy
/// by 2% (called when a thread publishes a rise of its live bytes).
HIDDEN void memprof_peak_check(int64_t live);
/// The thread label cached in a slot (reserved words, owner only; thread_labels.c).
#define MP_LABEL(s) ((s)->reserved[0])       // label index + 1, 0 = none yet
#define MP_LABEL_COUNTDOWN(s) (((uint32_t *)&(s)->reserved[1])[0])  // samples until the name is looked at
#define MP_LABEL_READ_MS(s) (((uint32_t *)&(s)->reserved[1])[1])   // when it was last read (ms, wraps)
#define MP_LABEL_NAME(s) ((char *)&(s)->reserved[2])  // 16 bytes: the name the label was made from
/// The label of a thread without one cached, or due for a look at its name.
HIDDEN uint32_t memprof_thread_label_slow(memprof_sampler *sp, memprof_slot *s);
/// The label of the calling thread (its name, `main`, or `tid-N`), as an index into the
/// sampler's thread names; refreshed now and then from the kernel.
static inline uint32_t memprof_thread_label(memprof_sampler *sp, memprof_slot *s) {
  if (LIKELY(s != NULL && MP_LABEL(s) != 0 && MP_LABEL_COUNTDOWN(s) > 0)) {
    MP_LABEL_COUNTDOWN(s)--;
    return (uint32_t)(MP_LABEL(s) - 1);
  }
  return memprof_thread_label_slow(sp, s);
}
/// Bytes of the process-local indexes of stacks and buckets (for memprof_read_self_memory).
HIDDEN uint64_t memprof_sampler_index_bytes(void);
/// The type census typed p (a live sampled block, or not sampled at all): moves its sample
/// to the bucket of the same stack, size and thread with that type.
HIDDEN void memprof_sample_set_type(void *p, uint64_t metadata);
#endif
