// The census of Swift heap objects by type (MEMPROF_TYPES=1, `memprof run --types`,
// memprof_enable_type_census). Opt-in: a census thread's memprof_t_slot is SLOT_CENSUS, so
// all its calls take the slow path, which comes here; threads of a process without the census
// never do.
//
// Which blocks are Swift objects: swift_allocators.h.
//
// The metadata is not there yet when malloc returns: the block is "pending" in the thread's
// table and typed at the thread's next call (alloc or free). Each object is marked in
// type_marks.h, so its free (on any thread: swift_slowDealloc tail-calls free, so the free's
// return address says nothing) reads word 0 before giving the block back. A free of a block
// still pending on another thread claims it from that thread's table, with a CAS, and counts
// both its allocation and its free.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "accounting.h"
#include "sampler.h"
#include "type_census.h"
#include "type_marks.h"
#include "table_memory.h"
#include "swift_allocators.h"

int memprof_g_types;
memprof_census *memprof_g_census;
static memprof_census *g_shared_census;    // area of a `memprof run` file, NULL otherwise

static __thread memprof_slot *t_slot __attribute__((tls_model("initial-exec")));
static __thread mp_type_table *t_table __attribute__((tls_model("initial-exec")));  // 1: none
static __thread int t_busy __attribute__((tls_model("initial-exec")));
// The entry found last (objects of one type tend to come in runs), for the table it is in.
static __thread mp_type_entry *t_last_entry __attribute__((tls_model("initial-exec")));
#define NO_TABLE ((mp_type_table *)1)
#define CLAIMING 1ull  // low bit of a pending pointer: the owner is typing it

// ---- Per-thread tables ----
static mp_type_table *my_table(void) {
  mp_type_table *t = t_table;
  if (LIKELY(t != NULL)) return t == NO_TABLE ? NULL : t;
  memprof_census *c = memprof_g_census;
  t_table = NO_TABLE;
  if (c == NULL) return NULL;
  for (uint32_t i = 0; i < MEMPROF_TYPE_TABLES; i++) {
    mp_type_table *cand = &c->tables[i];
    uint32_t zero = 0;
    if (LOAD(&cand->in_use) == 0 &&
        __atomic_compare_exchange_n(&cand->in_use, &zero, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      uint32_t hw = LOAD(&c->tables_high_water);
      while (hw < i + 1 && !__atomic_compare_exchange_n(&c->tables_high_water, &hw, i + 1, 1,
                                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {}
      t_table = cand;
      return cand;
    }
  }
  return NULL;
}

static inline uint32_t hash_metadata(uint64_t m) {
  return (uint32_t)(((m >> 3) * 0x9E3779B97F4A7C15ull) >> 54) & (MEMPROF_TYPE_ENTRIES - 1);
}

static mp_type_entry *entry_lookup(mp_type_table *t, uint64_t m);

// The entry of `m` in the owner's table, added if new; NULL when the table is full.
static mp_type_entry *entry_for(mp_type_table *t, uint64_t m) {
  mp_type_entry *last = t_last_entry;
  if ((uintptr_t)last - (uintptr_t)t->entries < sizeof t->entries && last->metadata == m) return last;
  mp_type_entry *e = entry_lookup(t, m);
  if (e) t_last_entry = e;
  return e;
}

static mp_type_entry *entry_lookup(mp_type_table *t, uint64_t m) {
  for (uint32_t i = hash_metadata(m), n = 0; n < MEMPROF_TYPE_ENTRIES; i = (i + 1) & (MEMPROF_TYPE_ENTRIES - 1), n++) {
    mp_type_entry *e = &t->entries[i];
    uint64_t k = e->metadata;
    if (k == m) return e;
    if (k == 0) {
      if (t->used >= MEMPROF_TYPE_ENTRIES - 1) return NULL;
      __atomic_store_n(&e->metadata, m, __ATOMIC_RELEASE);
      STORE(&t->used, t->used + 1);
      return e;
    }
  }
  return NULL;
}

static void count_alloc(mp_type_table *t, uint64_t m, size_t usable) {
  mp_type_entry *e = entry_for(t, m);
  if (e == NULL) {
    BUMP(&t->full_allocations, 1);
    BUMP(&t->full_bytes, usable);
    return;
  }
  BUMP(&e->allocations, 1);
  BUMP(&e->allocated_bytes, usable);
}

static void count_free(mp_type_table *t, uint64_t m, size_t usable) {
  mp_type_entry *e = t ? entry_for(t, m) : NULL;
  if (e == NULL) {
    if (t) {
      BUMP(&t->full_frees, 1);
      BUMP(&t->full_freed_bytes, usable);
    } else {
      ADD(&memprof_g_census->untabled_frees, 1);
      ADD(&memprof_g_census->untabled_freed_bytes, usable);
    }
    return;
  }
  BUMP(&e->frees, 1);
  BUMP(&e->freed_bytes, usable);
}

// Types the owner's pending object: its allocator has stored the metadata by now. The claim
// (pending -> pending|CLAIMING) keeps another thread from freeing it meanwhile.
static void resolve_pending(mp_type_table *t) {
  uint64_t q = LOAD(&t->pending);
  if (q == 0) return;
  if (!__atomic_compare_exchange_n(&t->pending, &q, q | CLAIMING, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
    return;  // another thread freed it and counted it
  void *p = (void *)(uintptr_t)q;
  uint64_t m = ((uint64_t *)p)[0];
  count_alloc(t, m, memprof_block_size(p));
  // A sampled block: its sample gets the type (the `type` label of the profile).
  if (memprof_filter_may_hold(p)) memprof_sample_set_type(p, m);
  memprof_mark_take(p, MP_MARK_PENDING);
  __atomic_store_n(&t->pending, 0, __ATOMIC_RELEASE);
}

// A free found p still pending: take it from the table that has it. 1 if this thread took it
// (it counts the allocation), 0 if its owner typed it first.
static int claim_foreign_pending(void *p) {
  memprof_census *c = memprof_g_census;
  uint64_t q = (uint64_t)(uintptr_t)p;
  uint32_t n = LOAD(&c->tables_high_water);
  for (uint32_t i = 0; i < n && i < MEMPROF_TYPE_TABLES; i++) {
    mp_type_table *t = &c->tables[i];
    for (;;) {
      uint64_t v = __atomic_load_n(&t->pending, __ATOMIC_ACQUIRE);
      if (v == (q | CLAIMING)) {  // its owner is typing it right now: a few instructions
        sched_yield();
        continue;
      }
      if (v != q) break;
      if (__atomic_compare_exchange_n(&t->pending, &v, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) return 1;
    }
  }
  return 0;
}

static void mark_new_object(mp_type_table *t, void *p) {
  if (t == NULL) {
    ADD(&memprof_g_census->untabled_allocations, 1);
    ADD(&memprof_g_census->untabled_bytes, memprof_block_size(p));
    return;
  }
  if (t->used >= MEMPROF_TYPE_FILL) {
    BUMP(&t->full_allocations, 1);
    BUMP(&t->full_bytes, memprof_block_size(p));
    return;
  }
  __atomic_store_n(&t->pending, (uint64_t)(uintptr_t)p, __ATOMIC_RELEASE);
  if (!memprof_mark_set(p, MP_MARK_TYPED | MP_MARK_PENDING)) {
    STORE(&t->pending, 0);
    ADD(&memprof_g_census->untabled_allocations, 1);
    ADD(&memprof_g_census->untabled_bytes, memprof_block_size(p));
  }
}

HOOK_TEXT void *memprof_census_alloc(void *p, size_t requested, void *ret) {
  if (t_busy || memprof_g_census == NULL) return memprof_alloc_plain(p, requested, ret);
  t_busy = 1;
  mp_type_table *t = my_table();
  if (t) resolve_pending(t);
  if (p != NULL) {
    if (memprof_allocates_object(ret, t_slot ? t_slot->stack_top : 0)) mark_new_object(t, p);
    else if (memprof_g_marks) memprof_mark_take(p, MP_MARK_TYPED);  // a free we never saw
  }
  t_busy = 0;
  return memprof_alloc_plain(p, requested, ret);
}

HOOK_TEXT void memprof_census_free(void *p) {
  if (t_busy || p == NULL || memprof_g_census == NULL) {
    memprof_free_plain(p);
    return;
  }
  t_busy = 1;
  mp_type_table *t = my_table();
  if (t) resolve_pending(t);
  uint64_t bits = memprof_mark_take(p, MP_MARK_TYPED | MP_MARK_PENDING);
  if (bits & MP_MARK_TYPED) {
    uint64_t m = ((uint64_t *)p)[0];
    size_t usable = memprof_block_size(p);
    if ((bits & MP_MARK_PENDING) && claim_foreign_pending(p)) {
      if (t) {
        count_alloc(t, m, usable);
      } else {
        ADD(&memprof_g_census->untabled_allocations, 1);
        ADD(&memprof_g_census->untabled_bytes, usable);
      }
    }
    count_free(t, m, usable);
  }
  t_busy = 0;
  memprof_free_plain(p);
}

memprof_slot *memprof_census_slot(void) { return t_slot; }

memprof_slot *memprof_census_adopt(memprof_slot *slot) {
  if (!__atomic_load_n(&memprof_g_types, __ATOMIC_ACQUIRE) || (uintptr_t)slot <= 1) return slot;
  t_slot = slot;
  return SLOT_CENSUS;
}

void memprof_census_thread_exit(void) {
  mp_type_table *t = t_table;
  t_slot = NULL;
  if (t == NULL || t == NO_TABLE) return;
  t_busy = 1;
  resolve_pending(t);
  t_table = NO_TABLE;  // later calls of this thread (other TLS destructors) count untabled
  t_last_entry = NULL;
  __atomic_store_n(&t->in_use, 0, __ATOMIC_RELEASE);
  t_busy = 0;
}

// ---- Switching it on ----
static void census_header(memprof_census *c) {
  c->magic = MEMPROF_CENSUS_MAGIC;
  __atomic_store_n(&c->enabled, 1, __ATOMIC_RELEASE);
}

static memprof_census *private_census(void) {
  return memprof_map_table(sizeof(memprof_census));
}

static void after_fork_child(void) { memprof_census_detach(); }

static int switch_on(void) {
  memprof_census *c = g_shared_census ? g_shared_census : private_census();
  if (c == NULL) return -1;
  census_header(c);
  memprof_g_census = c;
  pthread_atfork(NULL, NULL, after_fork_child);
  __atomic_store_n(&memprof_g_types, 1, __ATOMIC_RELEASE);
  return 0;
}

void memprof_census_init(memprof_census *shared) {
  g_shared_census = shared;
  const char *env = getenv("MEMPROF_TYPES");
  if (env && env[0] == '1' && env[1] == 0) switch_on();
}

int memprof_enable_type_census(void) {
  if (__atomic_load_n(&memprof_g_types, __ATOMIC_ACQUIRE)) return 0;
  memprof_ensure_init();
  // Only while this thread is the only one with a slot: a thread that kept counting on the
  // fast path would free objects without looking at their marks.
  memprof_state *st = memprof_g_state;
  memprof_slot *mine = memprof_t_slot;
  uint32_t n = __atomic_load_n(&st->slots_high_water, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < n && i < MEMPROF_SLOTS; i++)
    if (LOAD(&st->slots[i].in_use) && &st->slots[i] != mine) return -1;
  if (switch_on() != 0) return -1;
  if ((uintptr_t)mine > 1) memprof_t_slot = memprof_census_adopt(mine);
  return 0;
}

int memprof_type_census_enabled(void) { return __atomic_load_n(&memprof_g_types, __ATOMIC_ACQUIRE); }

// After fork only the forking thread lives on: the others' tables are free again, and a
// census in a `memprof run` file goes on in private memory (the file is the parent's).
void memprof_census_detach(void) {
  memprof_census *c = memprof_g_census;
  if (c == NULL) return;
  if (c == g_shared_census) {
    memprof_census *copy = private_census();
    if (copy == NULL) return;
    uint32_t n = LOAD(&c->tables_high_water);
    memcpy(copy, c, offsetof(memprof_census, tables) + n * sizeof(mp_type_table));
    if (t_table != NULL && t_table != NO_TABLE) t_table = &copy->tables[t_table - c->tables];
    t_last_entry = NULL;
    memprof_g_census = copy;
    g_shared_census = NULL;
    c = copy;
  }
  c->names_lock = 0;
  uint32_t n = LOAD(&c->tables_high_water);
  for (uint32_t i = 0; i < n && i < MEMPROF_TYPE_TABLES; i++) {
    mp_type_table *t = &c->tables[i];
    if (t == t_table) continue;
    // A thread that is gone here may have left an object pending (or half typed): type it
    // now, in its table, or a free of it would wait for that thread forever (one caught
    // half typed, by a fork within those few instructions, may count twice).
    uint64_t q = t->pending & ~CLAIMING;
    if (q) {
      void *p = (void *)(uintptr_t)q;
      count_alloc(t, ((uint64_t *)p)[0], memprof_block_size(p));
      memprof_mark_take(p, MP_MARK_PENDING);
      t->pending = 0;
    }
    t->in_use = 0;
  }
}

int memprof_census_is_shared(void) { return memprof_g_census != NULL && memprof_g_census == g_shared_census; }

uint64_t memprof_type_census_bytes(void) {
  memprof_census *c = memprof_g_census;
  if (c == NULL) return 0;
  return (c == g_shared_census ? 0 : offsetof(memprof_census, tables) + LOAD(&c->tables_high_water) * sizeof(mp_type_table)) +
         memprof_marks_bytes();
}

// A reader on this thread: its own pending object is typed first.
void memprof_census_settle(void) {
  mp_type_table *t = t_table;
  if (t_busy || t == NULL || t == NO_TABLE) return;
  t_busy = 1;
  resolve_pending(t);
  t_busy = 0;
}
