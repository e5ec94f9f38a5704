// Private, included by sampler.c only: the executable mappings recorded for a parent that
// reads the samples after the child has ended.
#include "line_reader.h"

static int module_covers(const memprof_sampler *sp, uint64_t pc) {
  for (uint64_t i = 0; i < sp->module_count; i++)
    if (pc >= sp->modules[i].start && pc < sp->modules[i].end) return 1;
  return 0;
}

// Re-reads the executable file mappings of /proc/self/maps into the table.
static void refresh_modules(memprof_sampler *sp) {
  line_reader r = {.fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)};
  if (r.fd < 0) return;
  char line[512];
  uint64_t n = 0;
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
    memprof_module *m = &sp->modules[n++];
    m->start = start;
    m->end = stop;
    m->file_offset = offset;
    size_t len = strlen(path);
    if (len >= sizeof m->path) len = sizeof m->path - 1;
    memcpy(m->path, path, len);
    m->path[len] = 0;
  }
  close(r.fd);
  __atomic_store_n(&sp->module_count, n, __ATOMIC_RELEASE);
}

static void memprof_modules_cover(memprof_sampler *sp, const uint64_t *pcs, uint32_t depth) {
  for (uint32_t i = 0; i < depth; i++) {
    if (!module_covers(sp, pcs[i])) {
      refresh_modules(sp);
      return;
    }
  }
}
