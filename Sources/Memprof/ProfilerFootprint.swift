import CMemprofHook
import MemprofSymbolication

/// What the profiler itself holds, so that its cost is shown under its own name and never
/// mixed into the program's figures (Go counts its profiling buckets in `BuckHashSys`).
///
/// - `symbolTables`: heap bytes kept by the process's shared `Symbolizer` between profiles
///   (DWARF unit headers and indexes, the bounded cache of resolved addresses), measured with
///   the hook's exact per-thread counters while they were built. Part of `MemStats.heapAlloc`,
///   never in the sampled profile: the profile carries them as the pseudo-frame
///   `[memprof: symbol tables]`.
/// - `samplerTables`, `counterSlots`: the hook's own mappings (not malloc's heap).
/// - `mappedFiles`: executables and libraries the symbolizer keeps mapped read-only; file
///   pages the kernel can drop, resident only while recently read.
public struct ProfilerFootprint: Sendable, Equatable {
    /// Heap bytes held by the profiler's symbol tables and caches.
    public var symbolTables: UInt64
    /// Bytes of the sampler's tables in use (stacks, buckets, live sampled blocks, the
    /// sampling threads' last stack walks).
    public var samplerTables: UInt64
    /// Address space mapped for the sampler's tables (mostly never touched).
    public var samplerMapped: UInt64
    /// Bytes of per-thread counter slots.
    public var counterSlots: UInt64
    /// Bytes of binaries mapped read-only for symbolization.
    public var mappedFiles: UInt64
    /// Address space the type census mapped in this process (its tables and its marks of
    /// Swift objects, about 1/64 of the span of the heap; mostly never touched), 0 when off.
    public var typeCensus: UInt64 = 0

    /// Reads the figures now (cheap: no lock of the allocator, no system call).
    public static func read() -> ProfilerFootprint {
        var own = memprof_self_memory()
        memprof_read_self_memory(&own)
        let symbols = ProfilerSymbols.existing
        return ProfilerFootprint(symbolTables: UInt64(symbols?.retainedBytes ?? 0), samplerTables: own.sampler_used,
                                 samplerMapped: own.sampler_mapped, counterSlots: own.counter_slots,
                                 mappedFiles: UInt64(symbols?.mappedFileBytes ?? 0),
                                 typeCensus: memprof_type_census_bytes())
    }
}

/// The process's one symbolizer for its own profiles (heap profiles, dumps, the HTTP
/// endpoint), so that what it keeps is kept once and measured.
public enum ProfilerSymbols {
    private static let lock = PthreadLock()
    nonisolated(unsafe) private static var instance: Symbolizer?

    /// The shared symbolizer, created on first use from `/proc/self/maps`.
    public static func shared() throws -> Symbolizer {
        try lock.withLock {
            if let instance { return instance }
            let fresh = try Symbolizer(meter: threadHeapBalance)
            instance = fresh
            return fresh
        }
    }

    /// The shared symbolizer if one was created.
    static var existing: Symbolizer? { lock.withLock { instance } }

    /// The calling thread's allocated minus freed bytes, from the hook's exact counters.
    @Sendable static func threadHeapBalance() -> Int64 {
        var c = memprof_counters()
        memprof_read_thread_counters(&c)
        return Int64(bitPattern: c.allocated_bytes &- c.freed_bytes)
    }
}
