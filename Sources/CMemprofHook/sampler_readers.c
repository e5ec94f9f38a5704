// The sampler as its readers see it: copies of its tables for a profile (in this process,
// or from a `memprof run` child's shared file, alive or dead), the thread labels, and the
// memory the hook's own tables hold. Readers never take a lock a sampled allocation holds
// for long: the intern lock, in this process only, while copying.
#define _GNU_SOURCE
#include <string.h>
#include "sampler.h"
#include "live_table.h"
#include "unwind_cache.h"
#include "stack_memo.h"

static void lifetime_classes(const mp_bucket *b, memprof_bucket_info *out);

int memprof_profile_copy(const void *state, size_t size, memprof_profile_header *h,
                         memprof_bucket_info *buckets, size_t bucket_capacity, uint64_t *pcs,
                         size_t pc_capacity, memprof_module *modules, size_t module_capacity) {
  memprof_sampler *sp;
  int in_process = state == NULL;
  if (in_process) {
    sp = memprof_g_sampler;
  } else {
    if (!memprof_valid_shared_state(state, size)) return -1;
    sp = (memprof_sampler *)((char *)state + MEMPROF_SAMPLER_OFFSET);
    if (sp->magic != MP_SAMPLER_MAGIC) sp = NULL;  // the child never sampled
  }
  memset(h, 0, sizeof *h);
  h->rate = in_process ? memprof_sample_rate() : 0;
  if (sp == NULL) return 0;
  // A dead or running child's lock is never taken: entries below the published counts are
  // complete, so a parent reads a consistent prefix without it.
  if (in_process) mp_lock_take(&sp->intern);
  h->rate = LOAD(&sp->rate) ? LOAD(&sp->rate) : h->rate;
  h->start_time_ns = LOAD(&sp->start_time_ns);
  h->buckets = __atomic_load_n(&sp->buckets_used, __ATOMIC_ACQUIRE);
  h->pcs = __atomic_load_n(&sp->pcs_used, __ATOMIC_ACQUIRE);
  h->modules = __atomic_load_n(&sp->module_count, __ATOMIC_ACQUIRE);
  h->live_samples = 0;  // summed from the buckets (one shared counter would be contended)
  h->dropped_samples = LOAD(&sp->dropped_samples);
  h->dropped_bytes = LOAD(&sp->dropped_bytes);
  h->handler_samples = LOAD(&sp->handler_samples);
  h->handler_bytes = LOAD(&sp->handler_bytes);
  h->peak_live_bytes = LOAD(&sp->peak_copied_live);
  h->peak_time_ns = LOAD(&sp->peak_time_ns);
  h->thread_names = __atomic_load_n(&sp->thread_names_used, __ATOMIC_ACQUIRE);
  for (uint64_t i = 0; i < h->buckets; i++) {
    uint64_t allocs = LOAD(&sp->buckets[i].allocs), frees = LOAD(&sp->buckets[i].frees);
    if (allocs > frees) h->live_samples += allocs - frees;
  }
  int fits = h->buckets <= bucket_capacity && h->pcs <= pc_capacity && h->modules <= module_capacity;
  if (fits) {
    for (uint64_t i = 0; i < h->buckets; i++) {
      const mp_bucket *b = &sp->buckets[i];
      const mp_stack *st = &sp->stacks[b->stack_plus_one - 1];
      memprof_bucket_info *out = &buckets[i];
      *out = (memprof_bucket_info){.size = b->size, .allocs = LOAD(&b->allocs), .frees = LOAD(&b->frees),
                                   .pc_offset = st->offset_plus_one - 1, .depth = st->depth,
                                   .thread = b->thread, .generation = st->generation,
                                   .peak_inuse = LOAD(&b->peak_inuse), .type = b->type};
      lifetime_classes(b, out);

    }
    memcpy(pcs, sp->pcs, h->pcs * sizeof *pcs);
    memcpy(modules, sp->modules, h->modules * sizeof *modules);
  }
  if (in_process) mp_lock_give(&sp->intern);
  return fits ? 0 : 1;
}

// n split in proportion to `weights` (largest remainders, ties to the shorter lifetime), added
// to `out`. Returns 0 when the weights are all 0 (nothing added).
static int spread(uint64_t n, const uint64_t weights[MEMPROF_LIFETIME_CLASSES], uint64_t out[MEMPROF_LIFETIME_CLASSES]) {
  unsigned __int128 total = 0;
  for (int c = 0; c < MEMPROF_LIFETIME_CLASSES; c++) total += weights[c];
  if (total == 0) return 0;
  uint64_t given = 0;
  unsigned __int128 rest[MEMPROF_LIFETIME_CLASSES];
  for (int c = 0; c < MEMPROF_LIFETIME_CLASSES; c++) {
    unsigned __int128 share = (unsigned __int128)n * weights[c];
    out[c] += (uint64_t)(share / total);
    given += (uint64_t)(share / total);
    rest[c] = share % total;
  }
  for (; given < n; given++) {
    int best = 0;
    for (int c = 1; c < MEMPROF_LIFETIME_CLASSES; c++)
      if (rest[c] > rest[best]) best = c;
    out[best]++;
    rest[best] = 0;
  }
  return 1;
}

// A bucket's frees by lifetime class: the timed ones as counted, and the untimed ones (see
// MP_TIME_ALL_RATE) spread over the classes of the timed ones, temporaries over the classes
// of the timed temporaries and the others over those of the timed others, so that no class
// gets more temporaries than frees. Those with nothing to follow stay in no class.
static void lifetime_classes(const mp_bucket *b, memprof_bucket_info *out) {
  uint64_t freed[MEMPROF_LIFETIME_CLASSES], temporaries[MEMPROF_LIFETIME_CLASSES], others[MEMPROF_LIFETIME_CLASSES];
  for (int c = 0; c < MEMPROF_LIFETIME_CLASSES; c++) {
    freed[c] = LOAD(&b->by_lifetime[c].freed);
    temporaries[c] = LOAD(&b->by_lifetime[c].temporaries);
    others[c] = freed[c] > temporaries[c] ? freed[c] - temporaries[c] : 0;
    out->freed_by_lifetime[c] = freed[c];
    out->temporaries_by_lifetime[c] = temporaries[c];
  }
  uint64_t untimed = LOAD(&b->untimed_freed), untimed_temporaries = LOAD(&b->untimed_temporaries);
  if (untimed_temporaries > untimed) untimed_temporaries = untimed;  // read while a free counted them
  uint64_t untimed_others = untimed - untimed_temporaries;
  out->unknown_temporaries = 0;
  if (untimed_temporaries) {
    uint64_t add[MEMPROF_LIFETIME_CLASSES] = {0};
    if (spread(untimed_temporaries, temporaries, add) || spread(untimed_temporaries, freed, add)) {
      for (int c = 0; c < MEMPROF_LIFETIME_CLASSES; c++) {
        out->freed_by_lifetime[c] += add[c];
        out->temporaries_by_lifetime[c] += add[c];
      }
    } else {
      out->unknown_temporaries = untimed_temporaries;
    }
  }
  if (untimed_others && !spread(untimed_others, others, out->freed_by_lifetime))
    spread(untimed_others, freed, out->freed_by_lifetime);
}

int memprof_thread_names(const void *state, size_t size, char (*names)[16], size_t capacity) {
  memprof_sampler *sp;
  if (state == NULL) {
    sp = memprof_g_sampler;
  } else {
    if (!memprof_valid_shared_state(state, size)) return -1;
    sp = (memprof_sampler *)((char *)state + MEMPROF_SAMPLER_OFFSET);
    if (sp->magic != MP_SAMPLER_MAGIC) sp = NULL;
  }
  if (sp == NULL) return 0;
  uint64_t n = __atomic_load_n(&sp->thread_names_used, __ATOMIC_ACQUIRE);
  if (n > MP_THREAD_NAMES) n = MP_THREAD_NAMES;
  for (uint64_t i = 0; i < n && i < capacity; i++) {
    memcpy(names[i], sp->thread_names[i], 16);
    names[i][15] = 0;
  }
  return (int)n;
}

void memprof_read_self_memory(memprof_self_memory *out) {
  memset(out, 0, sizeof *out);
  memprof_state *st = memprof_g_state;
  out->counter_slots = (uint64_t)__atomic_load_n(&st->slots_high_water, __ATOMIC_ACQUIRE) * sizeof(memprof_slot);
  memprof_sampler *sp = __atomic_load_n(&memprof_g_sampler, __ATOMIC_ACQUIRE);
  if (sp == NULL) return;
  uint64_t live_table = memprof_live_mapped_bytes();
  out->sampler_mapped = sizeof(memprof_sampler) + memprof_sampler_index_bytes() +
                        sizeof memprof_g_sample_filter + live_table + memprof_unwind_cache_bytes() +
                        memprof_stack_memo_mapped();
  uint64_t stacks = LOAD(&sp->stacks_used), buckets = LOAD(&sp->buckets_used);
  out->sampler_used = stacks * (sizeof(mp_stack) + 2 * sizeof(uint32_t)) +
                      LOAD(&sp->pcs_used) * sizeof(uint64_t) +
                      buckets * (sizeof(mp_bucket) + 2 * sizeof(uint32_t)) + live_table +
                      sizeof memprof_g_sample_filter + memprof_stack_memo_used();
}
