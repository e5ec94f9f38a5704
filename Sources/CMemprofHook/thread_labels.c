// The `thread` label of samples: the allocating thread's name (pthread_setname_np, NIO's
// `NIO-ELT-0-#1`), `main` for the main thread, or `tid-N` for a thread that was never named
// (it still carries the process's name). Read from the kernel when a sample is taken, not
// per allocation, and cached in the thread's slot: looked at again every 256 samples, and read
// again then if 10 ms have passed since it was last read (at rate 1 the prctl every 256
// allocations was 0.7% of the program's time).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "sampler.h"

#define REFRESH_EVERY 256
#define REREAD_AFTER_MS 10
// Slot fields used here (reserved words of memprof_slot, owner only: see sampler.h).
#define LABEL(s) MP_LABEL(s)
#define COUNTDOWN(s) MP_LABEL_COUNTDOWN(s)
#define NAME(s) MP_LABEL_NAME(s)

static char g_process_name[16];  // the main thread's name: what unnamed threads inherit

static void read_process_name(void) {
  if (g_process_name[0]) return;
  int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[16] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  if (buf[n - 1] == '\n') buf[n - 1] = 0;
  memcpy(g_process_name, buf, sizeof buf);
}

// The label's index, added under the intern lock if new; the last index stands for all
// threads past the table's capacity.
static uint32_t intern(memprof_sampler *sp, const char *label) {
  uint64_t used = __atomic_load_n(&sp->thread_names_used, __ATOMIC_ACQUIRE);
  for (uint64_t i = 0; i < used; i++)
    if (strncmp(sp->thread_names[i], label, 16) == 0) return (uint32_t)i;
  mp_lock_take(&sp->intern);
  used = sp->thread_names_used;
  uint32_t found = UINT32_MAX;
  for (uint64_t i = 0; i < used && found == UINT32_MAX; i++)
    if (strncmp(sp->thread_names[i], label, 16) == 0) found = (uint32_t)i;
  if (found == UINT32_MAX) {
    if (used < MP_THREAD_NAMES - 1) {
      found = (uint32_t)used;
      strncpy(sp->thread_names[used], label, 15);
      __atomic_store_n(&sp->thread_names_used, used + 1, __ATOMIC_RELEASE);
    } else {
      found = MP_THREAD_NAMES - 1;
      if (used == MP_THREAD_NAMES - 1) {
        strncpy(sp->thread_names[found], "other", 15);
        __atomic_store_n(&sp->thread_names_used, MP_THREAD_NAMES, __ATOMIC_RELEASE);
      }
    }
  }
  mp_lock_give(&sp->intern);
  return found;
}

uint32_t memprof_thread_label_slow(memprof_sampler *sp, memprof_slot *s) {
  uint32_t now_ms = (uint32_t)(memprof_sample_clock_us() / 1000);
  if (s != NULL && LABEL(s) != 0 && now_ms - MP_LABEL_READ_MS(s) < REREAD_AFTER_MS) {
    COUNTDOWN(s) = REFRESH_EVERY;
    return (uint32_t)(LABEL(s) - 1);
  }
  char name[16] = {0};
  prctl(PR_GET_NAME, name, 0, 0, 0);
  if (s != NULL) MP_LABEL_READ_MS(s) = now_ms;
  if (s != NULL && LABEL(s) != 0 && memcmp(name, NAME(s), 16) == 0) {
    COUNTDOWN(s) = REFRESH_EVERY;
    return (uint32_t)(LABEL(s) - 1);
  }
  read_process_name();
  pid_t tid = (pid_t)syscall(SYS_gettid);
  char label[16];
  if (tid == getpid()) snprintf(label, sizeof label, "main");
  else if (strcmp(name, g_process_name) == 0) snprintf(label, sizeof label, "tid-%d", (int)tid);
  else memcpy(label, name, sizeof label);
  label[15] = 0;
  uint32_t index = intern(sp, label);
  if (s != NULL) {
    LABEL(s) = index + 1;
    COUNTDOWN(s) = REFRESH_EVERY;
    memcpy(NAME(s), name, 16);
  }
  return index;
}
