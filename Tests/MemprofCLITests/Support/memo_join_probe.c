// The memo's join, alone (linked with the hook's sources): when a walk meets the memo at a
// frame it reached by another step, the frame keeps where this walk's step read rbp, so that
// the next walk checks that word. Exit status 0 when it does; the line printed says what
// went wrong otherwise.
#include <stdint.h>
#include <stdio.h>
#include "stack_memo.h"

static mp_stack_memo memo;
static uint64_t words[64];

static uint64_t at(int i) { return (uint64_t)(uintptr_t)&words[i]; }

int main(void) {
  // The memo: three frames, outermost first; the middle one was reached without reading rbp.
  memo.f[0] = (mp_memo_frame){.pc = 0x401000, .sp = at(40), .fp = 0, .rbp_read = MP_MEMO_NO_READ};
  memo.f[1] = (mp_memo_frame){.pc = 0x402000, .sp = at(20), .fp = at(30), .rbp_read = MP_MEMO_NO_READ};
  memo.f[2] = (mp_memo_frame){.pc = 0x403000, .sp = at(10), .fp = at(30), .rbp_read = MP_MEMO_NO_READ};
  memo.n = 3;
  memo.end_sp = at(40);
  memo.caller = 0x403000;
  // A new walk: one frame of its own, then the middle frame's state, reached by a step that
  // read rbp 16 bytes below that frame's sp.
  memo.fresh[0] = (mp_memo_frame){.pc = 0x404000, .sp = at(5), .fp = at(30), .rbp_read = MP_MEMO_NO_READ};
  memo.fresh[1] = (mp_memo_frame){.pc = 0x402000, .sp = at(20), .fp = at(30), .rbp_read = -16};
  uint64_t pcs[3] = {0x404000, 0x402000, 0x401000};
  int same = memprof_memo_join(&memo, 1, 2, 0x404000, pcs, 3);
  if (same || memo.n != 3 || memo.f[2].pc != 0x404000 || memo.depth != 3) {
    printf("join: same %d, n %u, f[2].pc %#llx\n", same, memo.n, (unsigned long long)memo.f[2].pc);
    return 1;
  }
  if (memo.f[1].rbp_read != -16) {
    printf("the frame where the walks met kept the old walk's rbp read (%d)\n", memo.f[1].rbp_read);
    return 2;
  }
  // The words the memo's walk read: return addresses at sp - 8, rbp where it was read.
  words[40 - 1] = 0x401000;
  words[20 - 1] = 0x402000;
  words[20 - 2] = at(30);
  if (!memprof_memo_still_holds(&memo, 2)) {
    printf("the words read do not hold\n");
    return 3;
  }
  words[20 - 2] = at(31);  // the saved rbp changed: the callers may be others
  if (memprof_memo_still_holds(&memo, 2)) {
    printf("a changed saved rbp still holds\n");
    return 4;
  }
  printf("ok\n");
  return 0;
}
