static int counter;
static inline __attribute__((always_inline)) int twice(int x) { return x * 2 + counter; }
__attribute__((noinline)) int leaf(int x) { counter += twice(x); return counter; }
__attribute__((noinline)) int middle(int x) { return leaf(x) + twice(x + 1); }
void _start(void) { middle(3); for (;;) {} }
