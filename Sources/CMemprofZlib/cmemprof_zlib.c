// SwiftPM needs one source file in a C target; zlib itself comes from the system (-lz).
#include "cmemprof_zlib.h"
