// Private: the hook's lock. Critical sections are a few dozen instructions, so a thread that
// finds the lock taken spins briefly, then yields its CPU (the holder may have been
// preempted): never a futex, never a sleep, so threads do not queue in the kernel on us.
// All-zero is unlocked, so a lock in .bss or in a fresh mapping needs no initialisation.
#ifndef MEMPROF_SPIN_LOCK_H
#define MEMPROF_SPIN_LOCK_H
#include <sched.h>
#include <stdint.h>
#include "state.h"

typedef struct mp_lock { uint32_t taken; } mp_lock;

static inline __attribute__((noinline, cold)) void mp_lock_contended(mp_lock *l) {
  for (unsigned spins = 0;; spins++) {
    if (__atomic_load_n(&l->taken, __ATOMIC_RELAXED) == 0 &&
        !__atomic_exchange_n(&l->taken, 1, __ATOMIC_ACQUIRE))
      return;
    if (spins < 100) __builtin_ia32_pause();
    else sched_yield();
  }
}

static inline void mp_lock_take(mp_lock *l) {
  if (LIKELY(!__atomic_exchange_n(&l->taken, 1, __ATOMIC_ACQUIRE))) return;
  mp_lock_contended(l);
}

static inline void mp_lock_give(mp_lock *l) { __atomic_store_n(&l->taken, 0, __ATOMIC_RELEASE); }
#endif
