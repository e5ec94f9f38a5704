// glibc heap statistics (mallinfo2) and the residency of heap mappings (smaps).
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memprof_hook.h"

#include "line_reader.h"

// A glibc arena heap is an anonymous rw mapping starting on a 64 MiB boundary (HEAP_MAX_SIZE
// on 64-bit) whose first bytes hold its heap_info; the main arena is "[heap]".
static int is_heap_mapping(const char *line, unsigned long start) {
  const char *name = line;
  for (int field = 0; field < 5 && name; field++) {
    name = strchr(name, ' ');
    if (name) while (*name == ' ') name++;
  }
  if (name && strcmp(name, "[heap]") == 0) return 1;
  const char *perms = strchr(line, ' ');
  int anonymous = name == NULL || *name == 0;
  return anonymous && perms && strncmp(perms + 1, "rw-p", 4) == 0 && (start & ((64ul << 20) - 1)) == 0;
}

static int heap_residency(uint64_t *size, uint64_t *rss) {
  line_reader r = {.fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC)};
  if (r.fd < 0) return -1;
  char line[512];
  int in_heap = 0;
  *size = *rss = 0;
  while (next_line(&r, line, sizeof line)) {
    const char *space = strchr(line, ' ');
    if (space && space > line && space[-1] != ':') {  // a mapping's header, not "Key: value"
      in_heap = is_heap_mapping(line, strtoul(line, NULL, 16));
    } else if (in_heap && strncmp(line, "Size:", 5) == 0) {
      *size += strtoull(line + 5, NULL, 10) * 1024;
    } else if (in_heap && strncmp(line, "Rss:", 4) == 0) {
      *rss += strtoull(line + 4, NULL, 10) * 1024;
    }
  }
  close(r.fd);
  return 0;
}

int memprof_read_heap_stats(memprof_heap_stats *out) {
  struct mallinfo2 mi = mallinfo2();
  memset(out, 0, sizeof *out);
  out->heap_sys = mi.arena + mi.hblkhd;
  out->heap_inuse = mi.uordblks + mi.hblkhd;
  out->heap_idle = mi.fordblks;
  out->mmapped_bytes = mi.hblkhd;
  out->free_chunks = mi.ordblks + mi.smblks;
  uint64_t size, rss;
  if (heap_residency(&size, &rss) != 0) return -1;
  out->heap_released = size > rss ? size - rss : 0;
  return 0;
}

int memprof_read_rss_virt(uint64_t *rss, uint64_t *virt) {
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *end;
  unsigned long long pages_virt = strtoull(buf, &end, 10);
  unsigned long long pages_rss = strtoull(end, NULL, 10);
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  *virt = pages_virt * page;
  *rss = pages_rss * page;
  return 0;
}
