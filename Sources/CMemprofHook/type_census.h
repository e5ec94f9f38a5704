// Private: the census of Swift heap objects by type (MEMPROF_TYPES=1). See type_census.c.
#ifndef MEMPROF_TYPE_CENSUS_H
#define MEMPROF_TYPE_CENSUS_H
#include "state.h"

#define MEMPROF_TYPE_TABLES 128          // threads with a table of their own at once (then none)
#define MEMPROF_TYPE_ENTRIES 1024        // types per table (open addressing, power of two)
#define MEMPROF_TYPE_FILL 768            // a table takes no new type beyond this many
#define MEMPROF_TYPE_NAMES 4096          // names kept (open addressing, power of two)
#define MEMPROF_TYPE_NAME_BYTES 232      // longer names are cut
#define MEMPROF_CENSUS_MAGIC 0x4d454d5054595031ull /* "MEMPTYP1" */

/// One type's counts in one thread's table. Written by the table's owner only.
typedef struct mp_type_entry {
  uint64_t metadata;        // 0: empty
  uint64_t allocations, frees, allocated_bytes, freed_bytes;
} mp_type_entry;

/// What one thread (or a run of threads, one after another) counted.
typedef struct mp_type_table {
  uint32_t in_use;          // 0 free, 1 owned by a thread
  uint32_t used;            // entries taken
  uint64_t pending;         // owner's block allocated by swift_allocObject, not typed yet (CAS)
  // Objects not typed because the table was full (counted at allocation, never freed).
  uint64_t full_allocations, full_bytes;
  // Frees of typed objects that found this table full (their type is lost).
  uint64_t full_frees, full_freed_bytes;
  uint64_t reserved[2];
  mp_type_entry entries[MEMPROF_TYPE_ENTRIES];
} mp_type_table;

typedef struct mp_type_name {
  uint64_t metadata;        // 0: empty; written last, with release
  uint32_t length;
  uint32_t reserved;
  char name[MEMPROF_TYPE_NAME_BYTES];
} mp_type_name;

/// The whole census. Lives in a `memprof run` state file (after the sampler), or in a private
/// mapping made when the census is switched on.
typedef struct memprof_census {
  uint64_t magic;
  uint32_t enabled;
  uint32_t tables_high_water;
  // Swift objects not typed: allocated by a thread that had no table (more than
  // MEMPROF_TYPE_TABLES threads at once, or a thread that is exiting). Atomic adds.
  uint64_t untabled_allocations, untabled_bytes;
  uint64_t names_lock;      // spin lock of the writers of `names`
  uint32_t name_count;
  uint32_t names_final;     // 1: the process wrote every name at exit
  // Frees of typed objects by a thread that had no table (their type is lost). Atomic adds.
  uint64_t untabled_frees, untabled_freed_bytes;
  uint64_t reserved[8];
  mp_type_name names[MEMPROF_TYPE_NAMES];
  mp_type_table tables[MEMPROF_TYPE_TABLES];
} memprof_census;

/// Offset of the census in a shared state file (after the sampler tables, page aligned).
#define MEMPROF_CENSUS_OFFSET ((MEMPROF_SAMPLER_OFFSET + sizeof(struct memprof_sampler) + 4095) & ~(size_t)4095)

extern int memprof_g_types HIDDEN;          // census on (set once, at start-up or by the API)
/// Names every type seen before a library is unloaded (its metadata may go with it).
HIDDEN void memprof_census_before_dlclose(void);
extern memprof_census *memprof_g_census HIDDEN;

/// Reads MEMPROF_TYPES; `shared` is the census area of a `memprof run` file, or NULL.
HIDDEN void memprof_census_init(memprof_census *shared);
/// Slow paths of the hooks while the census is on (memprof_g_types).
HIDDEN void *memprof_census_alloc(void *p, size_t requested, void *ret);
HIDDEN void memprof_census_free(void *p);
/// The thread's slot when it counts through the census (memprof_t_slot == SLOT_CENSUS).
HIDDEN memprof_slot *memprof_census_slot(void);
/// A thread took `slot`: returns what memprof_t_slot should hold (slot, or SLOT_CENSUS).
HIDDEN memprof_slot *memprof_census_adopt(memprof_slot *slot);
/// The thread is exiting: types its pending object and gives its table back.
HIDDEN void memprof_census_thread_exit(void);
/// After fork in the child: the census continues in private memory.
HIDDEN void memprof_census_detach(void);
/// Writes the names of every type counted so far into the census (at exit, before dlclose).
HIDDEN void memprof_census_name_all(void);
/// The name of `metadata` from the census's names, resolving it now if it has none.
HIDDEN const mp_type_name *memprof_census_name(memprof_census *c, uint64_t metadata, int resolve);
/// 1 when the census lives in a `memprof run` file (its parent reads the names written at exit).
HIDDEN int memprof_census_is_shared(void);
/// Types this thread's pending object (readers on this thread).
HIDDEN void memprof_census_settle(void);
#endif
