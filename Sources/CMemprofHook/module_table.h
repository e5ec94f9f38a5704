// Private, included by sample_interning.c only: module generations, and the executable mappings
// recorded for a parent that reads the samples after the child has ended.
//
// A library unloaded with dlclose leaves a hole that the next dlopen may fill with another
// library at the same addresses. So each dlclose starts a new module generation
// (module_generation.c); a new stack through code loaded after start-up belongs to the
// generation it was captured in, and is a new stack in a later one even with the same
// addresses. The table of mappings is only appended to: a mapping that differs from the
// latest one recorded at its addresses is a new entry of the current generation, so the
// parent names each stack's addresses after the modules of its generation.
#include "line_reader.h"

// 0 when every return address is in code loaded at start-up, else `generation`.
static uint32_t stack_generation(const uint64_t *pcs, uint32_t depth, uint32_t generation) {
  for (uint32_t i = 0; i < depth; i++)
    if (!memprof_in_startup_module((uintptr_t)pcs[i])) return generation;
  return 0;
}

// The latest recorded entry that overlaps [start, end), or NULL.
static const memprof_module *latest_overlapping(const memprof_sampler *sp, uint64_t n, uint64_t start, uint64_t end) {
  for (uint64_t i = n; i-- > 0;)
    if (sp->modules[i].start < end && start < sp->modules[i].end) return &sp->modules[i];
  return NULL;
}

// Appends the executable file mappings of /proc/self/maps that differ from the latest entry
// at their addresses, as entries of `generation`. Entries are complete before the count
// that publishes them (a parent reads without the lock).
static void refresh_modules(memprof_sampler *sp, uint32_t generation) {
  line_reader r = {.fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)};
  if (r.fd < 0) return;
  char line[512];
  uint64_t n = sp->module_count;
  while (n < MP_MODULES && next_line(&r, line, sizeof line)) {
    // start-end perms offset dev inode path
    char *end;
    unsigned long long start = strtoull(line, &end, 16);
    if (*end != '-') continue;
    unsigned long long stop = strtoull(end + 1, &end, 16);
    if (*end != ' ' || strncmp(end + 1, "r-xp", 4) != 0) continue;
    unsigned long long offset = strtoull(end + 6, &end, 16);
    char *path = strchr(end, '/');
    if (path == NULL) path = strchr(end, '[');
    if (path == NULL) continue;
    size_t len = strlen(path);
    if (len >= sizeof sp->modules[0].path) len = sizeof sp->modules[0].path - 1;
    const memprof_module *last = latest_overlapping(sp, n, start, stop);
    if (last && last->start == start && last->end == stop && last->file_offset == offset &&
        strncmp(last->path, path, len) == 0 && last->path[len] == 0)
      continue;  // the same mapping as recorded
    memprof_module *m = &sp->modules[n++];
    m->start = start;
    m->end = stop;
    m->file_offset = offset;
    m->generation = generation;
    memcpy(m->path, path, len);
    m->path[len] = 0;
    __atomic_store_n(&sp->module_count, n, __ATOMIC_RELEASE);
  }
  close(r.fd);
  sp->modules_generation = generation;
}

static int module_covers(const memprof_sampler *sp, uint64_t pc) {
  for (uint64_t i = 0; i < sp->module_count; i++)
    if (pc >= sp->modules[i].start && pc < sp->modules[i].end) return 1;
  return 0;
}

// Under the intern lock, for a new stack of `generation`: the table is re-read when an
// address is in no recorded mapping, or when a stack of code loaded later comes in a
// generation the table was not read in (a dlclose since may have replaced a library).
static void memprof_modules_cover(memprof_sampler *sp, const uint64_t *pcs, uint32_t depth, uint32_t generation) {
  if (generation != 0 && sp->modules_generation != generation) {
    refresh_modules(sp, generation);
    return;
  }
  for (uint32_t i = 0; i < depth; i++) {
    if (!module_covers(sp, pcs[i])) {
      refresh_modules(sp, generation ? generation : __atomic_load_n(&memprof_g_module_generation, __ATOMIC_ACQUIRE));
      return;
    }
  }
}
