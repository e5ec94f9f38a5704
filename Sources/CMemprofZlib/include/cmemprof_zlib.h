#ifndef CMEMPROF_ZLIB_H
#define CMEMPROF_ZLIB_H
/// The system zlib, reached by MemprofProfile for gzip encode and decode.
#include <zlib.h>
#endif
