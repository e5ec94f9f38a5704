import CMemprofHook

/// Exact allocation counters, summed over all threads, live and exited. Cheap to read: one
/// pass over the per-thread slots, no lock. Sizes are usable bytes (what
/// `malloc_usable_size` reports) unless the name says requested.
public struct AllocationCounters: Sendable, Equatable, Codable {
    /// Successful calls that returned a new block (malloc, calloc, realloc, reallocarray,
    /// posix_memalign, aligned_alloc, memalign, valloc, pvalloc).
    public var allocations: UInt64
    /// Blocks given back (free of non-NULL, the old block of a successful realloc).
    public var frees: UInt64
    /// Bytes callers asked for.
    public var requestedBytes: UInt64
    /// Usable bytes of all blocks handed out.
    public var allocatedBytes: UInt64
    /// Usable bytes of all blocks given back.
    public var freedBytes: UInt64
    /// Calls that failed (NULL, or an error from posix_memalign).
    public var failedAllocations: UInt64
    /// Usable bytes in blocks not yet freed.
    public var liveBytes: UInt64
    /// Blocks not yet freed.
    public var liveObjects: UInt64
    /// High-water mark of `liveBytes` (exact while one thread allocates at a time; within
    /// 64 KiB per concurrently allocating thread otherwise).
    public var peakLiveBytes: UInt64

    /// Reads the counters of this process.
    public static func read() -> AllocationCounters {
        var c = memprof_counters()
        memprof_read_counters(&c)
        return AllocationCounters(c)
    }

    /// Reads the counters of the calling thread only: exact deltas for code run on this
    /// thread whatever other threads do. Compare two readings with `since(_:)`; absolute
    /// values include earlier threads that used the same slot, and live figures are 0.
    public static func readCurrentThread() -> AllocationCounters {
        var c = memprof_counters()
        memprof_read_thread_counters(&c)
        return AllocationCounters(c)
    }

    /// Wraps counters read by the C hook (from this process or a shared-state file).
    public init(_ c: memprof_counters) {
        allocations = c.allocations
        frees = c.frees
        requestedBytes = c.requested_bytes
        allocatedBytes = c.allocated_bytes
        freedBytes = c.freed_bytes
        failedAllocations = c.failed_allocations
        liveBytes = c.live_bytes
        liveObjects = c.live_objects
        peakLiveBytes = c.peak_live_bytes
    }

    /// The change from `earlier` to `self`. The live figures are derived from the monotone
    /// ones (allocated - freed), so they work for thread readings too; they may be negative.
    public func since(_ earlier: AllocationCounters) -> Delta {
        let allocated = allocatedBytes &- earlier.allocatedBytes, freed = freedBytes &- earlier.freedBytes
        let allocs = allocations &- earlier.allocations, gone = frees &- earlier.frees
        return Delta(
            allocations: allocs, frees: gone,
            requestedBytes: requestedBytes &- earlier.requestedBytes,
            allocatedBytes: allocated, freedBytes: freed,
            liveBytes: Int64(bitPattern: allocated &- freed),
            liveObjects: Int64(bitPattern: allocs &- gone))
    }

    /// Difference of two readings, see `since(_:)`.
    public struct Delta: Sendable, Equatable {
        public var allocations: UInt64
        public var frees: UInt64
        public var requestedBytes: UInt64
        public var allocatedBytes: UInt64
        public var freedBytes: UInt64
        public var liveBytes: Int64
        public var liveObjects: Int64
    }
}
