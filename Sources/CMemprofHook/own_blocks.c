// The profiler's own mmapped blocks, freed without moving glibc's thresholds.
//
// glibc's free of an mmapped chunk larger than the current mmap threshold raises that
// threshold to the chunk's size (and the trim threshold to twice that) for the whole process.
// A profile build frees buffers of several MiB (the bucket copy, the debug=1 text), so the
// first scrape of /debug/pprof/heap would make every later block of 128 KiB to a few MiB of
// the program come from an arena instead of its own mapping, and keep its freed memory
// resident: the measured program behaving differently because it is measured. The blocks
// allocated while a thread does the profiler's work (sampling paused, ProfilerWork) are
// remembered here when glibc mmapped them; their free hands glibc a chunk header that
// describes the same mapping with a one-page size, which glibc unmaps (and counts in
// mallinfo2) exactly as before, but which is below any dynamic threshold, so nothing moves.
// Only mmapped chunks, already on the slow path, look here.
#define _GNU_SOURCE
#include <stdint.h>
#include <unistd.h>
#include "accounting.h"

#define OWN_BLOCKS 256

static uintptr_t g_blocks[OWN_BLOCKS];
static uint32_t g_count;  // entries, counted before they are stored: 0 means none to look for

void memprof_own_block_add(void *p) {
  // Counted before it is stored: a free on another thread that finds the count at 0 can
  // then be sure the block is not in the table.
  __atomic_add_fetch(&g_count, 1, __ATOMIC_SEQ_CST);
  for (int i = 0; i < OWN_BLOCKS; i++) {
    uintptr_t zero = 0;
    if (LOAD(&g_blocks[i]) == 0 &&
        __atomic_compare_exchange_n(&g_blocks[i], &zero, (uintptr_t)p, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
      return;
  }
  __atomic_sub_fetch(&g_count, 1, __ATOMIC_SEQ_CST);
  // No room (256 of the profiler's blocks of a mapping of their own live at once): this one is
  // freed the ordinary way, and may move the threshold.
}

int memprof_own_block_take(void *p) {
  if (__atomic_load_n(&g_count, __ATOMIC_SEQ_CST) == 0) return 0;
  for (int i = 0; i < OWN_BLOCKS; i++) {
    uintptr_t expected = (uintptr_t)p;
    if (LOAD(&g_blocks[i]) == expected &&
        __atomic_compare_exchange_n(&g_blocks[i], &expected, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
      __atomic_sub_fetch(&g_count, 1, __ATOMIC_SEQ_CST);
      return 1;
    }
  }
  return 0;
}

// glibc's free of an mmapped chunk unmaps [chunk - prev_size, chunk + size) after checking
// that both ends are page-aligned and that the block's address is at a power-of-two offset in
// its page; it moves the threshold only for a size above it. A header written at the start of
// the mapping's last page, with prev_size reaching back to the mapping's start and a size of
// one page, names the same mapping.
static void free_mapped_quietly(void *mem) {
  const size_t *real = (const size_t *)mem - 2;  // prev_size, size
  size_t prev = real[0], size = real[1] & ~(size_t)7;
  uintptr_t block = (uintptr_t)real - prev;
  size_t total = prev + size;
  size_t page = (size_t)getpagesize();
  if (((block | total) & (page - 1)) != 0 || total < 2 * page) {
    __libc_free(mem);  // not the layout this relies on: glibc's own way
    return;
  }
  size_t *fake = (size_t *)(block + total - page);
  fake[0] = total - page;
  fake[1] = page | MEMPROF_CHUNK_MMAPPED;
  __libc_free(fake + 2);
}

void memprof_libc_free(void *p) {
  if (p != NULL && LOAD(&g_count) && (memprof_chunk_head(p) & MEMPROF_CHUNK_MMAPPED) && memprof_own_block_take(p)) {
    free_mapped_quietly(p);
    return;
  }
  __libc_free(p);
}
