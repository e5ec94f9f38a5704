import CMemprofHook
import MemprofProfile

/// The sampler's raw tables, copied out of the C hook: buckets of (stack, block size) with
/// sampled allocation and free counts, not yet scaled or symbolized.
struct HeapSamples {
    struct Bucket {
        var size: UInt64
        var allocs: UInt64
        var frees: UInt64
        /// Return addresses, leaf first.
        var stack: ArraySlice<UInt64>
        /// The allocating thread: an index into `threadNames`.
        var thread: Int = 0
        /// Of the sampled blocks, those live when the heap was last copied at its peak.
        var peakInuse: UInt64 = 0
        /// Freed blocks by lifetime class (`HeapProfile.lifetimeClasses`), and the temporaries
        /// among them. Below a rate of 64 KiB only some blocks are timed: the classes then
        /// include the others, spread as the timed ones of the bucket fell (estimates whose
        /// sum is exact).
        var freedByLifetime: [UInt64] = []
        var temporariesByLifetime: [UInt64] = []
        /// Temporaries among the frees in no class (`frees` minus the classes' sum).
        var unknownTemporaries: UInt64 = 0
        /// The blocks' Swift type (metadata address) when the type census typed them, else 0.
        var type: UInt64 = 0
        /// The stack's module generation (0: code loaded at start-up only), see `moduleVersions`.
        var generation: UInt32 = 0
    }

    var rate: Int64
    var startTimeNanos: UInt64
    var buckets: [Bucket]
    var liveSamples: UInt64
    var droppedSamples: UInt64
    var droppedBytes: UInt64 = 0
    /// Samples allocated by a signal handler while its thread was sampling: counted, without
    /// a stack, and not known to be live or freed.
    var handlerSamples: UInt64 = 0
    var handlerBytes: UInt64 = 0
    /// Exact live heap bytes when the peak was copied (0: no copy yet), and when.
    var peakLiveBytes: Int64 = 0
    var peakTimeNanos: UInt64 = 0
    /// Labels of the allocating threads (`main`, names, `tid-N`).
    var threadNames: [String] = []
    /// Names of the buckets' types (those the census could name).
    var typeNames: [UInt64: String] = [:]
    /// Executable mappings recorded by the sampler (a child's, or this process's), in the order recorded.
    var modules: [memprof_module] { didSet { replaced = Self.replacedIndices(modules) } }
    /// Indexes of `modules` that a later recorded one overlaps.
    private var replaced: [Int] = []

    init(rate: Int64, startTimeNanos: UInt64, buckets: [Bucket], liveSamples: UInt64, droppedSamples: UInt64,
         modules: [memprof_module]) {
        self.rate = rate
        self.startTimeNanos = startTimeNanos
        self.buckets = buckets
        self.liveSamples = liveSamples
        self.droppedSamples = droppedSamples
        self.modules = modules
        replaced = Self.replacedIndices(modules)
    }

    /// Copies the tables of this process (`state` nil) or of a shared state file mapping.
    /// The lock is held only for the copy; buffers are sized before and grown if needed.
    static func copy(state: UnsafeRawPointer? = nil, size: Int = 0) -> HeapSamples? {
        var header = memprof_profile_header()
        var capacity = (buckets: 1024, pcs: 16384, modules: 64)
        while true {
            var buckets = [memprof_bucket_info](repeating: memprof_bucket_info(), count: capacity.buckets)
            var pcs = [UInt64](repeating: 0, count: capacity.pcs)
            var modules = [memprof_module](repeating: memprof_module(), count: capacity.modules)
            let rc = memprof_profile_copy(state, size, &header, &buckets, buckets.count, &pcs, pcs.count,
                                          &modules, modules.count)
            if rc < 0 { return nil }
            if rc == 1 {
                // Grow past what is needed now: the tables may grow again meanwhile. Sizes on
                // the grid, so that the copies of a steady table repeat their sizes.
                capacity = (Self.rounded(Int(header.buckets) * 5 / 4 + 64, MemoryLayout<memprof_bucket_info>.stride),
                            Self.rounded(Int(header.pcs) * 5 / 4 + 1024, 8), Int(header.modules) + 64)
                continue
            }
            let all = pcs[0..<Int(header.pcs)]
            let list = buckets[0..<Int(header.buckets)].compactMap { b -> Bucket? in
                guard b.allocs > 0 else { return nil }
                let start = Int(b.pc_offset)
                var freed = b.freed_by_lifetime, temporaries = b.temporaries_by_lifetime
                return Bucket(size: b.size, allocs: b.allocs, frees: b.frees,
                              stack: all[start..<start + Int(b.depth)], thread: Int(b.thread), peakInuse: b.peak_inuse,
                              freedByLifetime: withUnsafeBytes(of: &freed) { Array($0.bindMemory(to: UInt64.self)) },
                              temporariesByLifetime: withUnsafeBytes(of: &temporaries) { Array($0.bindMemory(to: UInt64.self)) },
                              unknownTemporaries: b.unknown_temporaries,
                              type: b.type, generation: b.generation)
            }
            var copied = HeapSamples(rate: header.rate, startTimeNanos: header.start_time_ns, buckets: list,
                                     liveSamples: header.live_samples, droppedSamples: header.dropped_samples,
                                     modules: Array(modules[0..<Int(header.modules)]))
            copied.droppedBytes = header.dropped_bytes
            copied.handlerSamples = header.handler_samples
            copied.handlerBytes = header.handler_bytes
            copied.peakLiveBytes = header.peak_live_bytes
            copied.peakTimeNanos = header.peak_time_ns
            copied.threadNames = threadNames(state: state, size: size, count: Int(header.thread_names))
            copied.typeNames = typeNames(Set(list.map(\.type)), state: state, size: size)
            return copied
        }
    }

    /// `count` elements of `stride` bytes, rounded up to fill an `AllocationSizeClass`.
    private static func rounded(_ count: Int, _ stride: Int) -> Int {
        AllocationSizeClass.capacity(atLeast: count * stride) / stride
    }

    /// Named by the census: in this process (resolved now), or as a `memprof run` child wrote them.
    private static func typeNames(_ types: Set<UInt64>, state: UnsafeRawPointer?, size: Int) -> [UInt64: String] {
        var names: [UInt64: String] = [:]
        var buffer = [CChar](repeating: 0, count: 512)
        for type in types where type != 0 {
            if memprof_type_name(state, size, type, &buffer, buffer.count) >= 0 {
                names[type] = TypeCensus.readable(String(cString: buffer))
            }
        }
        return names
    }

    private static func threadNames(state: UnsafeRawPointer?, size: Int, count: Int) -> [String] {
        guard count > 0 else { return [] }
        var names = [(CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar)](
            repeating: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), count: count + 64)
        let n = names.withUnsafeMutableBufferPointer { buffer in
            memprof_thread_names(state, size, buffer.baseAddress, buffer.count)
        }
        return names.prefix(max(0, min(Int(n), names.count))).map { name in
            var name = name
            return withUnsafeBytes(of: &name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
    }

    /// The recorded modules still mapped at the end (none recorded later at their addresses),
    /// as lines of /proc/PID/maps, for the symbolizer.
    var modulesAsMaps: String {
        let gone = Set(replaced)
        return modules.indices.filter { !gone.contains($0) }.map { Self.mapsLine(modules[$0]) }.joined(separator: "\n")
    }

    /// Indexes of the recorded modules that need a symbolizer of their own: those a later one
    /// replaced at their addresses (a library unloaded with dlclose, then another loaded where
    /// it was), and those `isMapped` says the profile's symbolizer does not have (unloaded).
    func separateModules(isMapped: (_ start: UInt64, _ path: String) -> Bool) -> [Int] {
        let gone = Set(replaced)
        return modules.indices.filter { gone.contains($0) || !isMapped(modules[$0].start, Self.path(modules[$0])) }
    }

    /// Module `i` as a line of /proc/PID/maps.
    func mapsLine(_ i: Int) -> String { Self.mapsLine(modules[i]) }

    /// For each return address of `bucket`: k when the module it was in is `separate[k - 1]`
    /// (see `separateModules`), else 0 (the symbolizer's module there). The module is the
    /// latest recorded one of the stack's generation, or an earlier one, that covers the address.
    func moduleVersions(_ bucket: Bucket, separate: [Int]) -> [Int] {
        guard !separate.isEmpty else { return [Int](repeating: 0, count: bucket.stack.count) }
        let version = Dictionary(uniqueKeysWithValues: separate.enumerated().map { ($1, $0 + 1) })
        return bucket.stack.map { pc in
            // Most addresses are in no separate module: those are the symbolizer's.
            guard separate.contains(where: { modules[$0].start <= pc && pc < modules[$0].end }) else { return 0 }
            // Entries are in the order recorded, so generations never decrease along them.
            let covering = modules.indices.filter { modules[$0].start <= pc && pc < modules[$0].end }
            let chosen = bucket.generation == 0 ? covering.first
                : covering.last { modules[$0].generation <= UInt64(bucket.generation) } ?? covering.first
            return chosen.flatMap { version[$0] } ?? 0
        }
    }

    private static func replacedIndices(_ modules: [memprof_module]) -> [Int] {
        modules.indices.filter { i in modules[(i + 1)...].contains { $0.start < modules[i].end && modules[i].start < $0.end } }
    }

    private static func path(_ m: memprof_module) -> String {
        var m = m
        return withUnsafeBytes(of: &m.path) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    private static func mapsLine(_ m: memprof_module) -> String {
        let path = path(m)
        return "\(String(m.start, radix: 16))-\(String(m.end, radix: 16)) r-xp \(String(m.file_offset, radix: 16)) 00:00 1 \(path)"
    }
}
