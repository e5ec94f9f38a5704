#include "memprof_hook.h"
