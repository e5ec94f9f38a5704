#ifndef MEMPROF_HOOK_H
#define MEMPROF_HOOK_H
/// The C seam of swift-memprof: the malloc-family interposers and their exact counters.
///
/// Everything here is prefixed `memprof_`. The hot path (malloc, free, ...) takes no lock,
/// makes no allocation and no syscall; everything declared below is for readers, which are
/// free to be slower.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Exact totals since the process started, summed over all threads (live and exited).
typedef struct memprof_counters {
  /// Successful calls that returned a new block: malloc, calloc, realloc, reallocarray,
  /// posix_memalign, aligned_alloc, memalign, valloc, pvalloc.
  uint64_t allocations;
  /// Blocks given back: free of a non-NULL pointer, the old block of a successful realloc
  /// that moved or resized it, realloc(p, 0).
  uint64_t frees;
  /// Bytes the callers asked for (the size argument; count*size for calloc).
  uint64_t requested_bytes;
  /// Usable bytes of the blocks handed out (what malloc_usable_size reports).
  uint64_t allocated_bytes;
  /// Usable bytes of the blocks given back.
  uint64_t freed_bytes;
  /// Calls that returned NULL (or an error for posix_memalign) for a non-zero request.
  uint64_t failed_allocations;
  /// allocated_bytes - freed_bytes.
  uint64_t live_bytes;
  /// allocations - frees.
  uint64_t live_objects;
  /// High-water mark of live_bytes. Exact while one thread allocates at a time; with several
  /// threads allocating concurrently it may be off by at most MEMPROF_FLUSH_BYTES per thread.
  uint64_t peak_live_bytes;
} memprof_counters;

/// Per-thread live-byte change that is published to the shared peak tracker at once.
#define MEMPROF_FLUSH_BYTES (64 * 1024)

/// Reads the process's counters. Cost: one pass over the per-thread slots in use.
void memprof_read_counters(memprof_counters *out);

/// Reads the counters of the calling thread's slot only: exact deltas for code run on this
/// thread, whatever other threads do. Absolute values include earlier owners of the slot
/// (slots are reused after a thread exits): use differences. live_* and peak are 0.
void memprof_read_thread_counters(memprof_counters *out);

/// 1 when this copy of the hook is the one every malloc-family call of the process reaches.
int memprof_hook_is_active(void);

/// How many hooked symbols resolve elsewhere for shared libraries (an lld-linked executable
/// may not export them). Writes their names, space-separated, into buffer when given.
size_t memprof_bypassed_symbols(char *buffer, size_t capacity);

/// How the size of a block is read: 1 = glibc chunk header (fast), 0 = malloc_usable_size.
int memprof_uses_chunk_header(void);

/// Size in bytes of the shared state a `memprof run` parent maps to read a child's counters.
size_t memprof_shared_state_size(void);

/// Reads counters out of a shared-state file written by a child run under MEMPROF_SHM.
/// Returns 0 on success, -1 if the bytes are not a valid state (bad magic, version, size).
int memprof_read_shared_counters(const void *state, size_t size, memprof_counters *out);

/// Initialises a shared-state file of memprof_shared_state_size() bytes (zeroed, with header).
void memprof_init_shared_state(void *state);

/// How many times the signal named by MEMPROF_RUN_SIGNAL reached the process that claimed a
/// shared state (it asks its `memprof run` parent for a heap profile).
uint64_t memprof_shared_dump_requests(const void *state);

/// The pid of the process that claimed a shared state, 0 if none did.
int32_t memprof_shared_state_owner(const void *state);

/// One address range of the hook's own memory: [start, start + length).
typedef struct memprof_own_range {
  uint64_t start;
  uint64_t length;
} memprof_own_range;

/// Copies the address ranges of the hook's own memory (its tables, mapped or static) into
/// `out` and returns how many it copied (at most `capacity`), so that a breakdown of smaps
/// can show them as the profiler's, not the program's. `state` NULL reads this process;
/// otherwise a shared state file of `size` bytes (another process's, under `memprof run`),
/// and -1 if it is not valid. Ranges may be adjacent (the kernel merges such mappings).
int memprof_read_own_ranges(const void *state, size_t size, memprof_own_range *out, size_t capacity);

// ---- The sampling heap profiler -----------------------------------------------------

/// The sampling rate in bytes: on average one allocation is recorded with its stack per
/// `rate` bytes allocated (Poisson process, as Go's MemProfileRate). 0 = off, 1 = every
/// allocation. Default 524288, or MEMPROF_RATE from the environment at start-up.
int64_t memprof_sample_rate(void);

/// Sets the sampling rate. Each thread applies it from its next allocation. Set it early:
/// blocks sampled at the old rate keep their old weight only if the rate is unchanged.
void memprof_set_sample_rate(int64_t rate);

/// Pauses (0) or resumes (1) sampling on the calling thread, so the profiler's own work
/// (symbolizing, encoding) does not show in profiles. Its allocations are still counted.
/// A paused thread stays paused when the rate changes (memprof_set_sample_rate).
void memprof_set_thread_sampling(int enabled);

/// A mapping of executable code in the profiled process (recorded as new stacks need them).
/// Recorded modules are never overwritten: after a dlclose, a library mapped where another
/// was is a new entry of a later `generation`. A stack of generation g (see
/// memprof_bucket_info) is in, at each address, the latest entry of a generation <= g that
/// covers it (any entry for a stack of generation 0: code loaded at start-up).
typedef struct memprof_module {
  uint64_t start, end, file_offset;
  uint64_t generation;    // the module generation in which the mapping was recorded
  char path[256];
} memprof_module;

/// Lifetime classes of freed sampled blocks, by powers of ten: < 1 us, 1-10 us, ...,
/// 10-100 s, >= 100 s.
#define MEMPROF_LIFETIME_CLASSES 10

/// One (stack, block size, thread) bucket: raw sampled counts, not yet scaled.
typedef struct memprof_bucket_info {
  uint64_t size;          // usable size of the blocks
  uint64_t allocs;        // sampled allocations
  uint64_t frees;         // of them, freed since
  uint32_t pc_offset;     // first return address in the pcs array (leaf first)
  uint32_t depth;         // number of return addresses
  uint32_t thread;        // the allocating thread: index into memprof_thread_names
  uint32_t generation;    // the stack's module generation: 0 = start-up code only
  uint64_t peak_inuse;    // sampled blocks live when the heap was at its peak
  /// Freed blocks by lifetime class, and of them the temporaries (freed before their
  /// thread allocated anything else).
  uint64_t freed_by_lifetime[MEMPROF_LIFETIME_CLASSES];
  uint64_t temporaries_by_lifetime[MEMPROF_LIFETIME_CLASSES];
  uint64_t type;          // Swift metadata of the blocks (type census on), 0 when unknown
  /// Temporaries among the frees in no lifetime class (frees - the sum of freed_by_lifetime):
  /// blocks not timed (rates below 64 KiB time 1 in 16 after a bucket's first 64, and the
  /// classes above include the others spread over the classes of the timed ones) while
  /// no timed block of the bucket was yet freed.
  uint64_t unknown_temporaries;
} memprof_bucket_info;

/// What memprof_profile_copy found.
typedef struct memprof_profile_header {
  int64_t rate;
  uint64_t start_time_ns;    // CLOCK_REALTIME at the first sample, 0 if none yet
  uint64_t buckets;          // buckets in use (needed capacity)
  uint64_t pcs;              // return addresses in use (needed capacity)
  uint64_t modules;          // recorded modules
  uint64_t live_samples;     // sampled blocks not yet freed
  uint64_t dropped_samples;  // samples lost: a table was full, or memory for it ran out
  uint64_t dropped_bytes;    // their usable bytes (not scaled)
  int64_t peak_live_bytes;   // exact live heap bytes when the peak was copied (0: never)
  uint64_t peak_time_ns;     // CLOCK_REALTIME of that copy
  uint64_t thread_names;     // labels in use (memprof_thread_names)
  uint64_t handler_samples;  // samples a signal handler allocated while its thread sampled:
  uint64_t handler_bytes;    // counted, not recorded (no stack; their frees are not seen)
} memprof_profile_header;

/// Copies the sampler's tables. `state` is NULL for this process, or a mapping of a shared
/// state file of `size` bytes. Returns 0 when everything fit, 1 when a capacity was too
/// small (the header then says how much is needed; call again), -1 for an invalid file.
/// Holds the sampler's intern lock only while copying (sampled allocations of new stacks
/// wait; others never do).
int memprof_profile_copy(const void *state, size_t size, memprof_profile_header *header,
                         memprof_bucket_info *buckets, size_t bucket_capacity, uint64_t *pcs,
                         size_t pc_capacity, memprof_module *modules, size_t module_capacity);

/// Memory the hook itself holds, outside malloc's heap (its own mappings): so that the
/// profiler's cost is shown under its own name, never hidden in the program's figures.
typedef struct memprof_self_memory {
  /// Bytes of address space mapped for the sampler's tables (mostly never touched).
  uint64_t sampler_mapped;
  /// Bytes of those tables in use: stacks, return addresses, buckets, live sampled blocks,
  /// their indexes and filters, the sampling threads' last stack walks (an upper bound of
  /// what they add to RSS).
  uint64_t sampler_used;
  /// Bytes of per-thread counter slots handed out (128 each).
  uint64_t counter_slots;
} memprof_self_memory;

/// Fills what the hook's own mappings hold (see memprof_self_memory). Cheap: no lock, no
/// system call.
void memprof_read_self_memory(memprof_self_memory *out);

/// The sample filter, page by page (a word per 4 KiB page of a 2 GiB window of addresses):
/// free() looks a block up in the live sampled blocks only where its page's word may hold it.
typedef struct memprof_filter_pages {
  /// Pages whose word names one live sampled block: only that block's free looks it up.
  uint64_t lone;
  /// Pages whose word counts several: every free in them looks up.
  uint64_t counted;
  /// Pages whose word is stuck, counting no more (rate 1 leaves its samples' pages so until
  /// the rate changes): every free in them looks up.
  uint64_t stuck;
} memprof_filter_pages;

/// Counts the filter's pages by kind (see memprof_filter_pages), for diagnostics: reads the
/// whole filter (1 MiB), without a lock.
void memprof_read_filter_pages(memprof_filter_pages *out);

/// Copies the thread labels of the sampler (NUL-terminated, at most 15 bytes each) into
/// `names`; returns how many there are (copies at most `capacity`), -1 for an invalid file.
int memprof_thread_names(const void *state, size_t size, char (*names)[16], size_t capacity);

// ---- Events for profile dumps (MEMPROF_PROFILE_SIGNAL, MEMPROF_PROFILE_THRESHOLD) ----------

/// Event bits returned by memprof_wait_event.
#define MEMPROF_EVENT_THRESHOLD 1  /* live bytes first crossed the threshold */
#define MEMPROF_EVENT_SIGNAL 2     /* the profile signal arrived */

/// Arms a one-shot event for when live bytes first exceed `bytes` (0 disarms). Checked when
/// a thread publishes its live-byte change (every 64 KiB of change), so it fires within
/// 64 KiB per thread of the crossing.
void memprof_set_live_threshold(uint64_t bytes);

/// Installs a handler for `signal` that posts MEMPROF_EVENT_SIGNAL (async-signal-safe: it
/// only posts a semaphore). Returns 0, or -1 with errno.
int memprof_install_profile_signal(int signal);

/// Blocks until an event is posted; returns the event bits seen (and clears them).
int memprof_wait_event(void);

/// glibc's view of the heap, plus what the kernel says is resident. Costly: mallinfo2 takes
/// every arena's lock and walks its free chunks, and /proc/self/smaps is read. Never call it
/// on a hot path.
typedef struct memprof_heap_stats {
  /// Bytes of heap obtained from the system: arenas (sbrk and mmapped heaps) + mmapped blocks.
  uint64_t heap_sys;
  /// Bytes in chunks handed out (arenas) + mmapped blocks.
  uint64_t heap_inuse;
  /// Free bytes glibc holds in its arenas (free chunks, top chunk).
  uint64_t heap_idle;
  /// Bytes of heap mappings ([heap] and arena heaps) that are not resident: given back with
  /// malloc_trim / MADV_DONTNEED, or never touched.
  uint64_t heap_released;
  /// Bytes in blocks glibc serves with their own mmap (>= M_MMAP_THRESHOLD).
  uint64_t mmapped_bytes;
  /// Number of arenas' free chunks (mallinfo2 ordblks + smblks).
  uint64_t free_chunks;
} memprof_heap_stats;

/// Fills heap statistics (see memprof_heap_stats). Returns 0, or -1 if smaps could not be
/// read (the mallinfo2 figures are still filled, heap_released is then 0).
int memprof_read_heap_stats(memprof_heap_stats *out);

/// Resident and virtual size of this process in bytes, from /proc/self/statm. Returns 0 or -1.
int memprof_read_rss_virt(uint64_t *rss, uint64_t *virt);

/// Starts the trace thread if MEMPROF_TRACE asks for it ("1" = every second, or an
/// interval such as "500ms", "2s", "1m"). Called by a constructor; idempotent.
void memprof_trace_start(void);

/// Writes one trace line now (also used for the final line at exit).
void memprof_trace_line(int final_line);

/// The exit line of a traced `memprof run` child, formatted by its parent into `buffer` from
/// the shared state file (`state`, `size` bytes) once the child has ended: its counts are the
/// final ones, its sizes (rss, virt, heap) those of the child's last line. Returns the
/// line's length, 0 when the child did not trace, -1 for an invalid state.
int memprof_trace_exit_line(const void *state, size_t size, int32_t pid, char *buffer, size_t capacity);

#ifdef __cplusplus
}
#endif
#endif
