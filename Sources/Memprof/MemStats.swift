import CMemprofHook

/// Memory statistics with the names and meanings of Go's `runtime.MemStats` where they carry
/// over to malloc, plus what only an exact hook knows (peak, requested bytes).
///
/// Cost: the allocation figures come from the per-thread counters (cheap); the `heap*`
/// figures call glibc's `mallinfo2`, which takes every arena's lock and walks the free
/// chunks (milliseconds with a million free chunks), and read `/proc/self/smaps`. Read it
/// from a monitoring thread or an endpoint, never on a hot path; use
/// `AllocationCounters.read()` when only the counters are needed.
public struct MemStats: Sendable, Equatable, Codable {
    /// Bytes in live heap blocks (usable size). Go: `Alloc`, same as `heapAlloc`.
    public var alloc: UInt64
    /// Cumulative bytes handed out (usable size), never decreases. Go: `TotalAlloc`.
    public var totalAlloc: UInt64
    /// Bytes of memory the allocator obtained from the OS: arenas plus mmapped blocks. Unlike
    /// Go's `Sys` it does not include stacks or code: see `ProcessMemory` for those.
    public var sys: UInt64
    /// Cumulative count of blocks handed out. Go: `Mallocs`.
    public var mallocs: UInt64
    /// Cumulative count of blocks freed. Go: `Frees`.
    public var frees: UInt64
    /// Bytes in live heap blocks. Go: `HeapAlloc`.
    public var heapAlloc: UInt64
    /// Bytes of heap obtained from the OS (arenas + mmapped blocks). Go: `HeapSys`.
    public var heapSys: UInt64
    /// Free bytes glibc keeps in its arenas (free chunks and top), resident or not.
    /// Go: `HeapIdle`.
    public var heapIdle: UInt64
    /// Bytes in chunks in use, as glibc sees them (includes chunk overhead). Go: `HeapInuse`.
    public var heapInuse: UInt64
    /// Bytes of heap mappings not resident: returned to the OS (malloc_trim) or never
    /// touched. Go: `HeapReleased`.
    public var heapReleased: UInt64
    /// Number of live blocks. Go: `HeapObjects`.
    public var heapObjects: UInt64
    /// High-water mark of `heapAlloc` since start (not in Go).
    public var peakAlloc: UInt64
    /// Cumulative bytes requested by callers, before rounding to usable size (not in Go).
    public var totalRequested: UInt64
    /// Allocation calls that failed (not in Go).
    public var failedAllocations: UInt64
    /// Bytes of blocks served by their own mmap (large blocks); part of `heapSys`.
    public var mmappedBytes: UInt64
    /// Heap bytes the profiler itself holds (symbol tables, caches of resolved addresses);
    /// part of `heapAlloc`, and shown in heap profiles as `[memprof: symbol tables]` (not in Go).
    public var profilerHeap: UInt64
    /// Bytes of the sampler's tables and per-thread counters, in the profiler's own mappings
    /// outside malloc's heap. Go: `BuckHashSys` (its profiling bucket tables).
    public var buckHashSys: UInt64

    /// Reads the statistics now. See the type's note on cost.
    public static func read() -> MemStats {
        let c = AllocationCounters.read()
        var h = memprof_heap_stats()
        _ = memprof_read_heap_stats(&h)
        return MemStats(counters: c, heap: h)
    }

    init(counters c: AllocationCounters, heap h: memprof_heap_stats) {
        alloc = c.liveBytes
        totalAlloc = c.allocatedBytes
        sys = h.heap_sys
        mallocs = c.allocations
        frees = c.frees
        heapAlloc = c.liveBytes
        heapSys = h.heap_sys
        heapIdle = h.heap_idle
        heapInuse = h.heap_inuse
        heapReleased = h.heap_released
        heapObjects = c.liveObjects
        peakAlloc = c.peakLiveBytes
        totalRequested = c.requestedBytes
        failedAllocations = c.failedAllocations
        mmappedBytes = h.mmapped_bytes
        let own = ProfilerFootprint.read()
        profilerHeap = own.symbolTables
        buckHashSys = own.samplerTables + own.counterSlots
    }
}
