import MemprofProfile
import MemprofSymbolication
#if canImport(Glibc)
import Glibc
#endif

/// Turns raw samples into a symbolized pprof heap profile with Go's conventions: four sample
/// types, period `space/bytes` = rate, a numeric label `bytes` with the block size, values
/// unbiased as Go's runtime/pprof does.
struct HeapProfileBuilder {
    var samples: HeapSamples
    var symbolizer: Symbolizer
    /// The profile is of this process: add the profiler's own heap (never sampled) as the
    /// pseudo-frame `[memprof: symbol tables]`, so inuse totals reconcile with `heapAlloc`.
    var showsOwnMemory = false

    /// The pseudo-frame that carries the heap bytes the profiler itself keeps.
    static let ownMemoryFrame = "[memprof: symbol tables]"
    /// The alloc-only pseudo-frame that carries the allocations of the profiler's own work
    /// (building and serving profiles), counted exactly and never sampled (`ProfilerWork`).
    static let ownWorkFrame = "[memprof: own work]"
    /// The pseudo-frame that carries samples the sampler could not record.
    static let droppedFrame = "[memprof: dropped samples]"

    static func isPlumbing(_ name: String) -> Bool { AllocatorFrames.isPlumbing(name) }

    /// False: serve addresses, mappings and build IDs only (`?symbolize=0`); the stacks keep
    /// their allocator frames, which `ProfileSymbolizer` trims when it names them.
    var symbolize = true

    /// Keep the Swift runtime's frames at the leaf end (only the allocator plumbing goes).
    var keepRuntimeFrames = AllocatorFrames.keepRuntimeFramesFromEnvironment

    /// The heap at its peak: inuse_* are the sampled blocks live when the heap was last
    /// copied at its high-water mark (alloc_* and temporary_* are the totals until now).
    var peak = false

    /// The values and labels a bucket contributes: with lifetimes, one sample for its live
    /// blocks and one per lifetime class of its freed ones (alloc_* add up to the bucket's).
    private func parts(_ bucket: HeapSamples.Bucket, rate: Int64) -> [(values: [Int64], lifetime: String?)] {
        func scaled(_ count: UInt64) -> (Int64, Int64) { Self.scale(count: count, size: bucket.size, rate: rate) }
        let live = bucket.allocs - min(bucket.frees, bucket.allocs)
        if peak {
            let (ao, ab) = scaled(bucket.allocs), (io, ib) = scaled(bucket.peakInuse)
            let (to, tb) = scaled(bucket.temporariesByLifetime.reduce(0, +) + bucket.unknownTemporaries)
            return [([ao, ab, io, ib, to, tb], nil)]
        }
        var result: [(values: [Int64], lifetime: String?)] = []
        if live > 0 {
            let (o, b) = scaled(live)
            result.append(([o, b, o, b, 0, 0], "live"))
        }
        var seen: UInt64 = 0
        for (c, freed) in bucket.freedByLifetime.enumerated() where freed > 0 {
            seen += freed
            let (o, b) = scaled(freed)
            let (to, tb) = scaled(c < bucket.temporariesByLifetime.count ? bucket.temporariesByLifetime[c] : 0)
            result.append(([o, b, 0, 0, to, tb], HeapProfile.lifetimeClasses[min(c, HeapProfile.lifetimeClasses.count - 1)]))
        }
        let freed = min(bucket.frees, bucket.allocs)
        let unknown = freed > seen ? freed - seen : 0
        if unknown > 0 {
            let (o, b) = scaled(unknown)
            let (to, tb) = scaled(min(bucket.unknownTemporaries, unknown))
            result.append(([o, b, 0, 0, to, tb], "unknown"))
        }
        return result
    }

    func build(defaultSampleType: String) -> Profile {
        let builder = ProfileBuilder(symbolizer: symbolizer, sampleTypes: HeapProfile.sampleTypes,
                                     periodType: ValueType(type: "space", unit: "bytes"), period: samples.rate)
        builder.leafIsReturnAddress = true
        // Named always: with the temporaries after Go's four, "the last type" is no default.
        builder.defaultSampleType = defaultSampleType.isEmpty ? "inuse_space" : defaultSampleType
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nowNanos = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        builder.timeNanos = nowNanos
        if samples.startTimeNanos > 0 { builder.durationNanos = max(0, nowNanos - Int64(samples.startTimeNanos)) }
        if samples.droppedSamples > 0 {
            builder.comments.append("\(samples.droppedSamples) samples dropped (\(samples.droppedBytes) bytes): the sampler's tables were full"
                + " or memory for them ran out; they are under \(Self.droppedFrame)")
        }
        if samples.handlerSamples > 0 {
            builder.comments.append("\(samples.handlerSamples) samples (\(samples.handlerBytes) bytes) allocated by signal handlers while"
                + " their thread was sampling: counted in alloc_* under \(Self.droppedFrame), not in inuse_* (their frees are not seen)")
        }
        if peak {
            builder.comments.append(samples.peakLiveBytes > 0
                ? "memprof: the heap at its peak: \(samples.peakLiveBytes) live bytes at \(samples.peakTimeNanos) ns (CLOCK_REALTIME);"
                    + " inuse_* are the blocks live then, within 2% of the true peak"
                : "memprof: no peak recorded yet")
        }
        builder.symbolize = symbolize
        if !symbolize { builder.comments.append(ProfileSymbolizer.unsymbolizedMarker) }
        // Every return address at once (as calls: address - 1), so that each module's tables
        // are read once; the same frames then name the profile's locations.
        var calls = Set<UInt64>()
        if symbolize { for bucket in samples.buckets { for pc in bucket.stack { calls.insert(pc &- 1) } } }
        let resolved = calls.isEmpty ? [:] : symbolizer.symbolize(Array(calls))
        // Allocator plumbing and the Swift runtime go from the leaf end (trimming may drop
        // inlined runtime frames of a leaf address from `resolved`), so the user's code is flat.
        var resolvedForProfile = resolved
        // Buckets share stacks (they differ by size, thread, lifetime): each stack is trimmed
        // once, as trimming a stack again gives the same result.
        var stacks: [[UInt64]] = []
        var trimmed: [[UInt64]: [UInt64]] = [:]
        for bucket in samples.buckets {
            let stack = Array(bucket.stack)
            guard symbolize else {
                stacks.append(stack)
                continue
            }
            if let known = trimmed[stack] {
                stacks.append(known)
                continue
            }
            let t = AllocatorFrames.trimLeaf(stack, resolved: &resolvedForProfile, keepRuntime: keepRuntimeFrames) {
                symbolizer.symbolize($0)
            }
            trimmed[stack] = t
            stacks.append(t)
        }
        builder.resolved = resolvedForProfile
        // Libraries unloaded (and maybe replaced at their addresses by others): their own
        // mappings, symbolizers and locations (see HeapSamples.moduleVersions).
        let mapped = Set(symbolizer.modules.map { "\($0.start) \($0.path)" })
        let separate = samples.separateModules { mapped.contains("\($0) \($1)") }
        builder.replacedModules = separate.map { Symbolizer(modules: ProcMaps.loadedModules(fromMaps: samples.mapsLine($0))) }
        for (bucket, trimmed) in zip(samples.buckets, stacks) {
            var stack = trimmed
            // Trimming drops leaf frames only: the versions of what is left are the last ones.
            let versions = separate.isEmpty ? [] : Array(samples.moduleVersions(bucket, separate: separate).suffix(stack.count))
            // pprof drops samples without locations: a stack that could not be walked keeps
            // its bytes under one unknown location.
            if stack.isEmpty { stack = [0] }
            let thread = bucket.thread < samples.threadNames.count ? samples.threadNames[bucket.thread] : "tid-unknown"
            for part in parts(bucket, rate: samples.rate) {
                var labels = ["thread": [thread]]
                if let lifetime = part.lifetime { labels["lifetime"] = [lifetime] }
                if let type = samples.typeNames[bucket.type] { labels["type"] = [type] }
                builder.add(stack: stack, values: part.values, labels: labels, numericLabels: ["bytes": [Int64(bucket.size)]],
                            moduleVersions: versions)
            }
        }
        // Samples without a stack keep their bytes (as blocks of their average size), so totals
        // add up: lost ones in alloc and inuse, a signal handler's in alloc only.
        for (count, bytes, live) in [(samples.droppedSamples, samples.droppedBytes, true),
                                     (samples.handlerSamples, samples.handlerBytes, false)] where count > 0 {
            let (o, b) = Self.scale(count: count, size: max(bytes / count, 1), rate: samples.rate)
            builder.add(frameNamed: Self.droppedFrame, values: live ? [o, b, o, b, 0, 0] : [o, b, 0, 0, 0, 0])
        }
        if showsOwnMemory {
            let own = ProfilerFootprint.read()
            let bytes = Int64(symbolizer.retainedBytes)
            if bytes > 0 { builder.add(frameNamed: Self.ownMemoryFrame, values: [1, bytes, 1, bytes, 0, 0]) }
            let work = ProfilerWork.allocations
            if work.objects > 0 {
                builder.add(frameNamed: Self.ownWorkFrame,
                            values: [Int64(clamping: work.objects), Int64(clamping: work.bytes), 0, 0, 0, 0])
                builder.comments.append("memprof: \(Self.ownWorkFrame) is what the profiler's own work (building and serving "
                    + "profiles) allocated: \(work.objects) blocks, \(work.bytes) bytes, counted exactly, never sampled")
            }
            builder.comments.append("memprof: \(Self.ownMemoryFrame) is the profiler's own heap (\(bytes) bytes, in heapAlloc, "
                + "never sampled); its sampler tables hold \(own.samplerTables + own.counterSlots) bytes outside the heap")
        }
        return builder.build()
    }

    /// Go's unbiasing of heap samples: a block of `size` bytes is sampled with probability
    /// 1 - exp(-size/rate), so `count` samples stand for count / that probability blocks.
    static func scale(count: UInt64, size: UInt64, rate: Int64) -> (Int64, Int64) {
        guard count > 0, size > 0 else { return (0, 0) }
        let objects = Double(count), bytes = Double(count) * Double(size)
        if rate <= 1 { return (Int64(objects), Int64(bytes)) }
        let scale = 1 / (1 - exp(-Double(size) / Double(rate)))
        return (Int64(objects * scale), Int64(bytes * scale))
    }
}
