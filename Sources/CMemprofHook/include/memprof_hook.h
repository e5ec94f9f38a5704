#ifndef MEMPROF_HOOK_H
#define MEMPROF_HOOK_H
#endif
