// Private: anonymous memory for the hook's tables that are mapped while the program runs
// (the sampler's tables, its indexes, the live table's shards, the type census).
//
// mmap(NULL, ...) takes the highest free gap, which is often a hole the program has just
// left: a library it dlclosed, a large block it freed. The program's next mapping then lands
// elsewhere than it would without us (a plugin loaded again lands at another address, which
// CompleteStacksTests saw now and then). So these tables are asked for at a hint 2 TiB below
// this thread's stack, far under the program's own mappings, each request at the next free
// hint; the kernel takes the hint when the range is free and chooses as usual otherwise.
// Never MAP_FIXED: nothing of the program's is ever replaced.
#ifndef MEMPROF_TABLE_MEMORY_H
#define MEMPROF_TABLE_MEMORY_H
#include <stddef.h>
#include "state.h"

/// Zeroed, readable and writable, MAP_NORESERVE memory of `bytes`, or NULL; recorded as the
/// hook's own (own_ranges.c). Give it back with memprof_unmap_table.
HIDDEN void *memprof_map_table(size_t bytes);
/// Unmaps a table memprof_map_table gave, and forgets it as the hook's.
HIDDEN void memprof_unmap_table(void *p, size_t bytes);
#endif
