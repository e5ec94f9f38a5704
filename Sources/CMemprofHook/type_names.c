// The census's readers: rows by (thread, type), and names. A metadata pointer is named
// lazily, when a report asks (swift_getTypeName is slow, mallocs and takes a lock), and the
// name is kept in the census. Every name is written before a dlclose (a library's types
// may be unmapped after it) and at exit, so that a `memprof run` parent reads them too.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "accounting.h"
#include "sampler.h"
#include "type_census.h"
#include "include/memprof_types.h"


// swift_getTypeName(metadata, qualified) uses the Swift calling convention; for two
// pointer-sized arguments and a two-word result it passes and returns them in the same
// registers as C on x86_64 (rdi, rsi -> rax, rdx) and arm64 (x0, x1 -> x0, x1).
typedef struct { const char *data; uintptr_t length; } type_name_pair;
typedef type_name_pair (*get_type_name_fn)(const void *, _Bool);

static int copy_name(char *out, size_t cap, const char *prefix, const char *data, size_t length) {
  size_t p = strlen(prefix);
  if (cap == 0) return 0;
  size_t n = p < cap - 1 ? p : cap - 1;
  memcpy(out, prefix, n);
  size_t m = length < cap - 1 - n ? length : cap - 1 - n;
  memcpy(out + n, data, m);
  out[n + m] = 0;
  return (int)(n + m);
}

static int swift_name(const void *metadata, char *out, size_t cap, const char *prefix) {
  static get_type_name_fn fn;
  if (fn == NULL) fn = (get_type_name_fn)dlsym(RTLD_DEFAULT, "swift_getTypeName");
  if (fn == NULL) return -1;
  type_name_pair r = fn(metadata, 1);
  if (r.data == NULL) return -1;
  return copy_name(out, cap, prefix, r.data, r.length);
}

// Whether `bytes` at p can be read, without touching them (a type of a library unloaded
// without our seeing its dlclose, e.g. a program linked with lld that does not export ours).
static int readable(const void *p, size_t bytes) {
  char copy[24];
  struct iovec local = {copy, bytes}, remote = {(void *)p, bytes};
  if (bytes > sizeof copy) return 0;
  int saved = errno;
  ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  // A sandbox that forbids the call (EPERM, ENOSYS) leaves the old behaviour: trust p.
  int ok = n == (ssize_t)bytes || (n < 0 && errno != EFAULT);
  errno = saved;
  return ok;
}

// Metadata kinds (swift/ABI/MetadataKind.def): values above 0x7FF are class isa pointers.
static int describe(uint64_t metadata, char *out, size_t cap) {
  const uint64_t *m = (const uint64_t *)(uintptr_t)metadata;
  if (!readable(m, 3 * sizeof *m)) return -1;
  uint64_t kind = m[0];
  if (kind == 0 || kind > 0x7FF) return swift_name(m, out, cap, "");
  switch (kind) {
  // The compiler's own heap layouts: closure contexts and the boxes of captured variables
  // share this kind (their capture descriptors would tell them apart: not read here).
  case 0x400: return copy_name(out, cap, "(closure context or box)", "", 0);
  case 0x500: return m[2] ? swift_name((const void *)(uintptr_t)m[2], out, cap, "(box) ") : -1;
  case 0x501: return copy_name(out, cap, "(error box)", "", 0);
  default: {
    char text[40];
    snprintf(text, sizeof text, "(metadata kind 0x%llx)", (unsigned long long)kind);
    return copy_name(out, cap, text, "", 0);
  }
  }
}

static inline uint32_t name_hash(uint64_t m) {
  return (uint32_t)(((m >> 3) * 0x9E3779B97F4A7C15ull) >> 52) & (MEMPROF_TYPE_NAMES - 1);
}

static const mp_type_name *find_name(memprof_census *c, uint64_t m, mp_type_name **free_slot) {
  if (free_slot) *free_slot = NULL;
  for (uint32_t i = name_hash(m), n = 0; n < MEMPROF_TYPE_NAMES; i = (i + 1) & (MEMPROF_TYPE_NAMES - 1), n++) {
    mp_type_name *e = &c->names[i];
    uint64_t k = __atomic_load_n(&e->metadata, __ATOMIC_ACQUIRE);
    if (k == m) return e;
    if (k == 0) {
      if (free_slot) *free_slot = e;
      return NULL;
    }
  }
  return NULL;
}

static void lock(memprof_census *c) {
  uint64_t zero = 0;
  while (!__atomic_compare_exchange_n(&c->names_lock, &zero, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) zero = 0;
}
static void unlock(memprof_census *c) { __atomic_store_n(&c->names_lock, 0, __ATOMIC_RELEASE); }

const mp_type_name *memprof_census_name(memprof_census *c, uint64_t m, int resolve) {
  const mp_type_name *found = find_name(c, m, NULL);
  if (found || !resolve || m == 0) return found;
  // Resolved outside the lock: swift_getTypeName takes the runtime's own locks and allocates.
  char text[MEMPROF_TYPE_NAME_BYTES];
  int n = describe(m, text, sizeof text);
  if (n < 0) return NULL;
  lock(c);
  mp_type_name *slot;
  found = find_name(c, m, &slot);
  if (found == NULL && slot && LOAD(&c->name_count) < MEMPROF_TYPE_NAMES - 1) {
    memcpy(slot->name, text, (size_t)n + 1);
    slot->length = (uint32_t)n;
    __atomic_store_n(&slot->metadata, m, __ATOMIC_RELEASE);
    STORE(&c->name_count, c->name_count + 1);
    found = slot;
  }
  unlock(c);
  return found;
}

// A key with no allocation anywhere came from a free only: never dereference it.
static int allocated_somewhere(memprof_census *c, uint64_t m) {
  uint32_t n = LOAD(&c->tables_high_water);
  for (uint32_t i = 0; i < n && i < MEMPROF_TYPE_TABLES; i++)
    for (uint32_t j = 0; j < MEMPROF_TYPE_ENTRIES; j++) {
      const mp_type_entry *e = &c->tables[i].entries[j];
      if (LOAD(&e->metadata) == m && LOAD(&e->allocations) > 0) return 1;
    }
  return 0;
}

void memprof_census_name_all(void) {
  memprof_census *c = memprof_g_census;
  if (c == NULL) return;
  uint32_t n = LOAD(&c->tables_high_water);
  for (uint32_t i = 0; i < n && i < MEMPROF_TYPE_TABLES; i++)
    for (uint32_t j = 0; j < MEMPROF_TYPE_ENTRIES; j++) {
      const mp_type_entry *e = &c->tables[i].entries[j];
      uint64_t m = __atomic_load_n(&e->metadata, __ATOMIC_ACQUIRE);
      if (m == 0 || find_name(c, m, NULL)) continue;
      if (LOAD(&e->allocations) > 0 || allocated_somewhere(c, m)) memprof_census_name(c, m, 1);
    }
}

static memprof_census *census_of(const void *state, size_t size) {
  if (state == NULL) return memprof_g_census;
  if (!memprof_valid_shared_state(state, size) || size < MEMPROF_CENSUS_OFFSET + sizeof(memprof_census)) return NULL;
  memprof_census *c = (memprof_census *)((char *)state + MEMPROF_CENSUS_OFFSET);
  return LOAD(&c->magic) == MEMPROF_CENSUS_MAGIC ? c : NULL;
}

size_t memprof_read_type_census(const void *state, size_t size, memprof_type_count *out, size_t capacity,
                                memprof_type_census_losses *losses) {
  if (losses) memset(losses, 0, sizeof *losses);
  memprof_census *c = census_of(state, size);
  if (c == NULL) return 0;
  if (state == NULL) memprof_census_settle();
  size_t rows = 0;
  uint32_t n = LOAD(&c->tables_high_water);
  if (n > MEMPROF_TYPE_TABLES) n = MEMPROF_TYPE_TABLES;
  for (uint32_t i = 0; i < n; i++) {
    const mp_type_table *t = &c->tables[i];
    if (losses) {
      losses->full_allocations += LOAD(&t->full_allocations);
      losses->full_bytes += LOAD(&t->full_bytes);
      losses->full_frees += LOAD(&t->full_frees);
      losses->full_freed_bytes += LOAD(&t->full_freed_bytes);
      losses->pending += LOAD(&t->pending) != 0;
    }
    for (uint32_t j = 0; j < MEMPROF_TYPE_ENTRIES; j++) {
      const mp_type_entry *e = &t->entries[j];
      uint64_t m = __atomic_load_n(&e->metadata, __ATOMIC_ACQUIRE);
      if (m == 0) continue;
      if (rows < capacity)
        out[rows] = (memprof_type_count){m, LOAD(&e->allocations), LOAD(&e->frees), LOAD(&e->allocated_bytes),
                                         LOAD(&e->freed_bytes)};
      rows++;
    }
  }
  if (losses) {
    losses->untabled_allocations = LOAD(&c->untabled_allocations);
    losses->untabled_bytes = LOAD(&c->untabled_bytes);
    losses->untabled_frees = LOAD(&c->untabled_frees);
    losses->untabled_freed_bytes = LOAD(&c->untabled_freed_bytes);
    losses->threads = n;
    losses->names_final = LOAD(&c->names_final);
  }
  return rows;
}

int memprof_type_name(const void *state, size_t size, uint64_t metadata, char *buffer, size_t capacity) {
  memprof_census *c = census_of(state, size);
  if (c == NULL || metadata == 0) return -1;
  const mp_type_name *e = memprof_census_name(c, metadata, state == NULL && allocated_somewhere(c, metadata));
  if (e == NULL) return -1;
  return copy_name(buffer, capacity, "", e->name, e->length);
}

// A library's types may be unmapped by dlclose: name them all before (module_generation.c's
// dlclose calls this first).
void memprof_census_before_dlclose(void) {
  if (__atomic_load_n(&memprof_g_types, __ATOMIC_ACQUIRE) && memprof_copy_is_active()) memprof_census_name_all();
}

// Only for a `memprof run` parent: in this process, readers name types when they report.
__attribute__((destructor)) static void name_all_at_exit(void) {
  memprof_census *c = memprof_g_census;
  if (c == NULL || !memprof_census_is_shared() || !memprof_copy_is_active()) return;
  memprof_census_settle();
  memprof_census_name_all();
  __atomic_store_n(&c->names_final, 1, __ATOMIC_RELEASE);
}
