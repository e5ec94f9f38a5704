#ifndef MEMPROF_TYPES_H
#define MEMPROF_TYPES_H
/// The census of Swift heap objects by type: opt-in (MEMPROF_TYPES=1 at start-up, or
/// memprof_enable_type_census), exact for every object made by swift_allocObject and
/// swift_bufferAllocate (class instances, Array/Dictionary/Set/String storage, boxes,
/// closure contexts) after it was switched on.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One type's counts. Live objects are allocations - frees: summed over threads, exact
/// (one thread's counts alone may show more frees than allocations).
typedef struct memprof_type_count {
  uint64_t metadata;        /// the type's metadata address in the profiled process
  uint64_t allocations, frees, allocated_bytes, freed_bytes;
} memprof_type_count;

/// Objects the census could not type, so that nothing is lost silently.
typedef struct memprof_type_census_losses {
  uint64_t untabled_allocations, untabled_bytes;  /// by threads beyond the table limit
  uint64_t untabled_frees, untabled_freed_bytes;
  uint64_t full_allocations, full_bytes;          /// by threads with too many types
  uint64_t full_frees, full_freed_bytes;
  uint64_t pending;         /// objects allocated just now whose type is not read yet
  uint32_t threads;         /// thread tables used so far
  uint32_t names_final;     /// 1 when the process named every type at exit
} memprof_type_census_losses;

/// 1 when the census is on in this process.
int memprof_type_census_enabled(void);
/// Switches the census on in a program that links the hook. Call it first thing in main,
/// before other threads start: returns -1 (and stays off) if another thread holds a slot.
/// Returns 0 when on. Objects allocated before are not counted.
int memprof_enable_type_census(void);
/// Copies every (thread, type) row of the census into `out` (up to `capacity`) and returns
/// how many rows there are (call with capacity 0 to size the buffer). `state`: a `memprof run`
/// state file of `size` bytes, or NULL for this process. Rows of one type from different
/// threads are separate: sum them. `losses` may be NULL. Returns 0 when there is no census.
size_t memprof_read_type_census(const void *state, size_t size, memprof_type_count *out, size_t capacity,
                                memprof_type_census_losses *losses);
/// The readable name of a type counted by the census ("main.Customer",
/// "Swift._ContiguousArrayStorage<main.Order>", "(closure context or box)", "(box) Swift.Int" for a generic box).
/// With `state` NULL the name is resolved now if needed (slow: only for reports); a state
/// file has the names its process wrote at exit. Returns the length written (NUL-terminated,
/// cut to `capacity`), or -1 when the name is not known.
int memprof_type_name(const void *state, size_t size, uint64_t metadata, char *buffer, size_t capacity);
/// swift_slowAlloc calls that were not object allocations (UnsafeMutablePointer.allocate...).
uint64_t memprof_type_census_raw_allocations(void);
/// Bytes the census has mapped in this process (tables, names, marks; virtual, mostly untouched).
uint64_t memprof_type_census_bytes(void);

#ifdef __cplusplus
}
#endif
#endif
