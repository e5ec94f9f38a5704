// The hook's own memory by address range, recorded in the process's state so that a
// breakdown of /proc/PID/smaps names it as the profiler's and never counts it as the
// program's anonymous memory (this kernel has no PR_SET_VMA_ANON_NAME to name the mappings).
// In a `memprof run` child the state is the shared file, so the parent sees the child's.
//
// An entry is written by whoever maps or unmaps that table (lock-free: a mapping event is
// rare and already makes a system call); readers take an entry only when its start reads
// the same before and after its length.
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include "state.h"

void memprof_own_range_add(memprof_state *st, uint64_t start, uint64_t length) {
  if (start == 0 || length == 0) return;
  // No transparent huge pages in the hook's memory: its tables are sparse (a 2 MiB page for
  // a few words touched would be RSS the program never asked for). The flag also keeps the
  // kernel from merging the range with a neighbouring mapping of the program's (a large
  // malloc block placed next to the preload library's .bss became one mapping with it),
  // so that smaps shows the hook's memory apart. (The range is page aligned.)
  // (A kernel without THP answers EINVAL: the program's errno must not see it.)
  int saved_errno = errno;
  madvise((void *)(uintptr_t)start, length, MADV_NOHUGEPAGE);
  errno = saved_errno;
  for (uint32_t i = 0; i < MEMPROF_OWN_RANGES; i++) {
    memprof_own_range *r = &st->own_ranges[i];
    uint64_t free_start = 0;
    if (LOAD(&r->start) == 0 &&
        __atomic_compare_exchange_n(&r->start, &free_start, start, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
      __atomic_store_n(&r->length, length, __ATOMIC_RELEASE);
      return;
    }
  }
}

void memprof_own_range_remove(memprof_state *st, uint64_t start) {
  for (uint32_t i = 0; i < MEMPROF_OWN_RANGES; i++) {
    memprof_own_range *r = &st->own_ranges[i];
    if (LOAD(&r->start) == start) {
      __atomic_store_n(&r->length, 0, __ATOMIC_RELEASE);
      __atomic_store_n(&r->start, 0, __ATOMIC_RELEASE);
      return;
    }
  }
}

#ifdef MEMPROF_PRELOAD_LIBRARY
// The linker's name for this module's ELF header (its first mapped byte).
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

// The preload library's .bss past its file's last page is an anonymous mapping of its own,
// and everything in it is the hook's: the sample filter, the counter slots used before a
// `memprof run` file is attached, the unwind cache. Found from the program headers in
// memory (no loader lock, no allocation). A linked hook's .bss shares the executable's.
void memprof_own_ranges_init(memprof_state *st) {
  const ElfW(Ehdr) *eh = &__ehdr_start;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) return;
  const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
  uintptr_t bias = 0;
  int found = 0;
  for (int i = 0; i < eh->e_phnum && !found; i++)
    if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
      bias = (uintptr_t)eh - ph[i].p_vaddr;
      found = 1;
    }
  if (!found) return;
  uintptr_t page = 4096;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_W)) continue;
    uintptr_t file_end = (bias + ph[i].p_vaddr + ph[i].p_filesz + page - 1) & ~(page - 1);
    uintptr_t mem_end = (bias + ph[i].p_vaddr + ph[i].p_memsz + page - 1) & ~(page - 1);
    if (mem_end > file_end) memprof_own_range_add(st, file_end, mem_end - file_end);
  }
}
#else
void memprof_own_ranges_init(memprof_state *st) { (void)st; }
#endif

int memprof_read_own_ranges(const void *state, size_t size, memprof_own_range *out, size_t capacity) {
  const memprof_state *st = state ? state : memprof_g_state;
  if (state && !memprof_valid_shared_state(state, size)) return -1;
  size_t n = 0;
  for (uint32_t i = 0; i < MEMPROF_OWN_RANGES && n < capacity; i++) {
    const memprof_own_range *r = &st->own_ranges[i];
    uint64_t start = __atomic_load_n(&r->start, __ATOMIC_ACQUIRE);
    uint64_t length = __atomic_load_n(&r->length, __ATOMIC_ACQUIRE);
    if (start == 0 || length == 0 || __atomic_load_n(&r->start, __ATOMIC_ACQUIRE) != start) continue;
    out[n].start = start;
    out[n].length = length;
    n++;
  }
  return (int)n;
}
