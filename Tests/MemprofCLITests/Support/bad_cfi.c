// Functions whose unwind information is wrong or missing, each calling malloc(64) with its
// CFI in that state, for the unwinder's robustness test: a stack walked through them must end
// there, cleanly (the host neither crashes nor hangs), not run off into other memory.
//   no_cfi       no FDE at all and a garbage rbp (the frame-pointer fallback)
//   huge_cfa     CFA = rsp + 64 MiB (beyond the stack)
//   low_cfa      CFA = rsp + 0 (not above the frame)
//   odd_cfa      CFA = rsp + 13 (misaligned: so is the return address below it)
//   rbp_cfa      CFA = rbp + 16 with rbp = 8
//   good_cfi     correct CFI, for comparison: its stacks reach main
#include <stdio.h>
#include <stdlib.h>

void *volatile sink;
#define CALL_MALLOC "  mov $64, %edi\n  call malloc@PLT\n  mov %rax, sink(%rip)\n"

__asm__(".text\n"
        ".globl no_cfi\n.type no_cfi,@function\nno_cfi:\n"
        "  push %rbp\n  mov $0x12345678, %rbp\n" CALL_MALLOC "  pop %rbp\n  ret\n.size no_cfi, .-no_cfi\n"

        ".globl huge_cfa\n.type huge_cfa,@function\nhuge_cfa:\n  .cfi_startproc\n"
        "  sub $8, %rsp\n  .cfi_def_cfa_offset 67108864\n" CALL_MALLOC "  add $8, %rsp\n  .cfi_def_cfa_offset 8\n  ret\n"
        "  .cfi_endproc\n.size huge_cfa, .-huge_cfa\n"

        ".globl low_cfa\n.type low_cfa,@function\nlow_cfa:\n  .cfi_startproc\n"
        "  sub $8, %rsp\n  .cfi_def_cfa_offset 0\n" CALL_MALLOC "  add $8, %rsp\n  .cfi_def_cfa_offset 8\n  ret\n"
        "  .cfi_endproc\n.size low_cfa, .-low_cfa\n"

        ".globl odd_cfa\n.type odd_cfa,@function\nodd_cfa:\n  .cfi_startproc\n"
        "  sub $8, %rsp\n  .cfi_def_cfa_offset 13\n" CALL_MALLOC
        "  add $8, %rsp\n  .cfi_def_cfa_offset 8\n  ret\n  .cfi_endproc\n.size odd_cfa, .-odd_cfa\n"

        ".globl rbp_cfa\n.type rbp_cfa,@function\nrbp_cfa:\n  .cfi_startproc\n"
        "  push %rbp\n  .cfi_def_cfa_offset 16\n  .cfi_offset rbp, -16\n  mov $8, %rbp\n  .cfi_def_cfa rbp, 16\n"
        CALL_MALLOC "  pop %rbp\n  .cfi_def_cfa rsp, 8\n  ret\n  .cfi_endproc\n.size rbp_cfa, .-rbp_cfa\n"

        ".globl good_cfi\n.type good_cfi,@function\ngood_cfi:\n  .cfi_startproc\n"
        "  sub $8, %rsp\n  .cfi_def_cfa_offset 16\n" CALL_MALLOC "  add $8, %rsp\n  .cfi_def_cfa_offset 8\n  ret\n"
        "  .cfi_endproc\n.size good_cfi, .-good_cfi\n");

void no_cfi(void), huge_cfa(void), low_cfa(void), odd_cfa(void), rbp_cfa(void), good_cfi(void);

int main(void) {
  void (*fns[])(void) = {no_cfi, huge_cfa, low_cfa, odd_cfa, rbp_cfa, good_cfi};
  int n = 0;
  for (int round = 0; round < 100; round++)
    for (unsigned i = 0; i < sizeof fns / sizeof fns[0]; i++) {
      fns[i]();
      free(sink);
      n++;
    }
  printf("calls=%d\n", n);
  return 0;
}
