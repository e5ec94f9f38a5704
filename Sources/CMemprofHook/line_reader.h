// Private: reading /proc files line by line without allocating.
#ifndef MEMPROF_LINE_READER_H
#define MEMPROF_LINE_READER_H
#include <stddef.h>
#include <unistd.h>

// A line reader over a file descriptor with a fixed buffer: no allocation, so it is safe in
// the trace thread of any process.
typedef struct line_reader {
  int fd;
  char buf[8192];
  size_t len, pos;
} line_reader;

static inline int next_line(line_reader *r, char *line, size_t cap) {
  size_t n = 0;
  for (;;) {
    if (r->pos == r->len) {
      ssize_t got = read(r->fd, r->buf, sizeof r->buf);
      if (got <= 0) { line[n] = 0; return n > 0; }
      r->len = (size_t)got;
      r->pos = 0;
    }
    char c = r->buf[r->pos++];
    if (c == '\n') { line[n] = 0; return 1; }
    if (n + 1 < cap) line[n++] = c;
  }
}

#endif
