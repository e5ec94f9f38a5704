__attribute__((noinline)) int leaf(int x) __asm__("$s4tiny4leafyS2iF");
__attribute__((noinline)) int leaf(int x) { return x * 3; }
__attribute__((noinline)) int generic(int x) __asm__("$s4tiny7genericyxxlFSi_Tg5");
__attribute__((noinline)) int generic(int x) { return leaf(x) + 1; }
__attribute__((noinline)) int closure(int x) __asm__("$s4tiny4mainyyFSaySiGyXEfU_");
__attribute__((noinline)) int closure(int x) { return generic(x) + 2; }
void _start(void) { closure(3); for (;;) {} }
