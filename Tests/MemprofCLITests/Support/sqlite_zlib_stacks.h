// The C libraries sqlite_zlib_stacks.swift calls (swiftc -import-objc-header).
#include <sqlite3.h>
#include <zlib.h>
